"""Circularity targets the municipality sets: an indicator, a year, a value, a basis."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TargetIndicator(models.TextChoices):
    WASTE_DIVERTED_T = "waste_diverted_t", _("Waste diverted (t)")
    NET_CO2E_T = "net_co2e_t", _("Net CO₂e avoided (t)")
    ORGANIC_WASTE_DIVERTED_T = "organic_waste_diverted_t", _("Organic waste diverted (t)")


class TargetBasis(models.TextChoices):
    DELIVERED = "delivered", _("Delivered")
    AGREED = "agreed", _("Agreed")


YEAR_RANGE = (2000, 2100)


class Target(models.Model):
    """ "By the end of ``year``, ``value`` of ``indicator`` on ``basis``" — one per combination."""

    Indicator = TargetIndicator
    Basis = TargetBasis

    indicator = models.CharField(_("indicator"), max_length=30, choices=TargetIndicator.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("target value"), max_digits=16, decimal_places=3)
    basis = models.CharField(
        _("basis"), max_length=10, choices=TargetBasis.choices, default=TargetBasis.DELIVERED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "indicator", "basis", "id"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year", "basis"], name="target_unique"),
            models.CheckConstraint(condition=Q(value__gt=0), name="target_value_positive"),
            models.CheckConstraint(
                condition=Q(year__gte=YEAR_RANGE[0]) & Q(year__lte=YEAR_RANGE[1]), name="target_year_range"
            ),
            models.CheckConstraint(
                condition=Q(indicator__in=TargetIndicator.values), name="target_indicator_valid"
            ),
            models.CheckConstraint(condition=Q(basis__in=TargetBasis.values), name="target_basis_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()} {self.year}: {self.value} ({self.basis})"
