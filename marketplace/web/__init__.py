"""Marketplace pages: listings, search and factor sets (server-rendered, htmx where it helps)."""

from __future__ import annotations

from django.core.paginator import Paginator

from config.web import safe_next

__all__ = ["PAGE_SIZE", "page_of", "safe_next"]

PAGE_SIZE = 25


def page_of(request, queryset, *, param: str = "page"):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(param))
