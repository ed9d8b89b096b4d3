"""Heartbeats: the health check's proof that the database takes writes and that workers live."""

from django.db import models


class Heartbeat(models.Model):
    """One row per beating part (``worker:<hostname>``); short-lived ``probe:<uuid>`` rows are the
    database write check's own and never outlive their transaction."""

    name = models.CharField(max_length=200, primary_key=True)
    beat_at = models.DateTimeField()
    payload = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
