"""The city's audit log: every event, filtered by organisation, action and date range.

Only the municipality reads the whole log (``GET /api/v1/events/``, ``/accounts/events/``); a
company sees its own organisation's last events on the organisation page. Filters are
validated here once for the API and the page: a bad value is a 400 naming the parameter.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .access import require_authority
from .errors import invalid
from .event_labels import ACTION_LABELS, action_label
from .models import Event, Organisation

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ACTION = re.compile(r"^[a-z0-9_.]{1,60}$")
CSV_COLUMNS = (
    "id",
    "created_at",
    "action",
    "action_label",
    "actor",
    "organisation",
    "organisation_name",
    "object_type",
    "object_id",
    "data",
)
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class EventFilters:
    organisation: Organisation | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _date(name: str, raw: Any) -> date | None:
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    if not _ISO_DATE.match(text):
        raise invalid(name, _("Use an ISO date, YYYY-MM-DD."))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid(name, _("%(date)s is not a calendar date.") % {"date": text}) from None


def event_filters(data: Mapping[str, Any]) -> EventFilters:
    """Parse ``organisation`` (an id), ``action`` (a code), ``from`` and ``to`` (inclusive dates)."""
    organisation = None
    raw_org = str(data.get("organisation") or "").strip()
    if raw_org:
        if not raw_org.isascii() or not raw_org.isdigit() or len(raw_org) > 18:
            raise invalid("organisation", _("An organisation id is required."))
        organisation = Organisation.objects.filter(pk=int(raw_org)).first()
        if organisation is None:
            raise invalid("organisation", _("No such organisation."))
    action = str(data.get("action") or "").strip()
    if action and (not _ACTION.match(action) or action not in ACTION_LABELS):
        # a well-formed code nothing writes (the schema's enum) is refused as a malformed one
        raise invalid("action", _("An action code such as deal.agreed is required."))
    filters = EventFilters(
        organisation=organisation,
        action=action,
        date_from=_date("from", data.get("from")),
        date_to=_date("to", data.get("to")),
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise invalid("to", _("The end date is before the start date."))
    return filters


def event_log_for(*, user, filters: EventFilters) -> QuerySet[Event]:
    """The filtered log, newest first (the municipality only: anyone else gets a 403)."""
    require_authority(user)
    events = Event.objects.select_related("actor", "organisation").order_by("-created_at", "-id")
    if filters.organisation is not None:
        events = events.filter(organisation=filters.organisation)
    if filters.action:
        events = events.filter(action=filters.action)
    # Dates are local (Asia/Almaty): __date converts in the current time zone.
    if filters.date_from:
        events = events.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        events = events.filter(created_at__date__lte=filters.date_to)
    return events


def event_row(event: Event) -> dict[str, Any]:
    """One event as the API and the CSV show it."""
    return {
        "id": event.pk,
        "created_at": event.created_at,
        "action": event.action,
        "action_label": action_label(event.action),
        "actor": event.actor.username if event.actor else None,
        "organisation": event.organisation_id,
        "organisation_name": event.organisation.name if event.organisation else None,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
    }


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    elif hasattr(value, "isoformat"):
        value = timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(events: QuerySet[Event], *, language: str | None = None) -> Iterator[str]:
    """The log as CSV lines (header first), streamed in chunks of the query.

    The response is consumed after the view has returned, so the labels' language is fixed
    here (``language``, by default the one active when the generator is made)."""
    return _csv_lines(events, language or translation.get_language() or "en")


def _csv_lines(events: QuerySet[Event], language: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for event in events.iterator(chunk_size=2000):
        with translation.override(language):
            row = event_row(event)
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
        yield flush()
