"""Marketplace pages: listings, search and factor sets (server-rendered, htmx where it helps)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.http import url_has_allowed_host_and_scheme

PAGE_SIZE = 25


def page_of(request, queryset, *, param: str = "page"):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(param))


def safe_next(request, default: str) -> str:
    """The ``next`` the form posted, when it points back into this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
