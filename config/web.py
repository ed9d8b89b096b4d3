"""Helpers every app's pages share (it imports nothing of ours, so accounts may use it too)."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str) -> str:
    """The ``next`` the form posted, when it points back into this site; else ``default``.

    A posted ``next`` is attacker-controlled (a forged form, a crafted link): an absolute URL to
    another host, ``//evil.example`` or ``javascript:`` is never followed.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
