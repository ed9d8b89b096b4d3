"""Why a listing got no proposal (issue 14): each listing's ``match_status`` after a real run.

Every real run, inside its write, stores one :class:`ListingMatchStatus` per listing it solved
(every active listing of a verified organisation), computed by ``engine.diagnose`` from the
solution and the candidate filters: no re-solving. Listings outside the run are stated live:
``not_active`` (draft, paused, closed) and ``organisation_unverified``. Before any real run, and
for a listing created since the last one, the status is null.

The owner's organisation and the municipality see a listing's status; other companies see null.
``nearest_km`` is whole km between positions rounded as the market sees them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.db import connection
from django.db.models import Model
from django.utils.translation import gettext as _

from accounts.access import is_authority, member_organisation_ids
from marketplace.models import ListingStatus, MatchReason, Need, Offer

from . import engine
from .engine.diagnose import diagnose
from .models import ListingMatchStatus, MatchRun, RunStatus

R = MatchReason


def match_status_write(*, run: MatchRun, problem: engine.Problem, solution: engine.Solution) -> int:
    """Replace every listing's stored status with this run's (inside the run's write).

    Plain rows (COPY on PostgreSQL) rather than 10,000 model instances: building those cost more
    than the diagnosis itself (docs/benchmarks.md).
    """
    rows = [
        (
            run.pk,
            d.id if d.kind == "offer" else None,
            d.id if d.kind == "need" else None,
            d.reason,
            d.nearest_km,
        )
        for d in diagnose(problem, solution.flows)
        if d.id > 0
    ]
    table = connection.ops.quote_name(ListingMatchStatus._meta.db_table)
    columns = "(run_id, offer_id, need_id, reason, nearest_km)"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a model's own table name
        if connection.vendor == "postgresql":  # COPY: a few ms for 10,000 rows
            with cursor.cursor.copy(f"COPY {table} {columns} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} {columns} VALUES (%s, %s, %s, %s, %s)", rows)  # noqa: S608
    return len(rows)


def explanation(reason: str, nearest_km: int | None) -> str:
    """One line in the reader's language."""
    if reason == R.MATCHED:
        return _("All of this listing is in a proposal or a deal.")
    if reason == R.PARTLY_MATCHED:
        return _("Only part of this listing found a counterpart in the last run.")
    if reason == R.NO_COUNTERPART_IN_RADIUS:
        if nearest_km is None:
            return _("No listing of a compatible material is on the market yet.")
        return _("No counterpart within reach: the nearest compatible one is %(km)s km away.") % {
            "km": nearest_km
        }
    if reason == R.WINDOWS_DO_NOT_OVERLAP:
        return _(
            "Counterparts are within reach, but their availability windows do not overlap with this one."
        )
    if reason == R.DECLINED_BY_COUNTERPART:
        return _("The counterparts within reach declined this pairing or are still deciding on it.")
    if reason == R.OUTCOMPETED:
        if nearest_km is None:
            return _("Counterparts are within reach, but their capacity went to supply that ranks higher.")
        return _(
            "A counterpart %(km)s km away could take it, but its capacity went to supply that ranks higher."
        ) % {"km": nearest_km}
    if reason == R.RECIPE_OUT_OF_REACH:
        return _(
            "No mix of the materials this need accepts can meet its blend recipe: "
            "widen the recipe's bounds or accept another material."
        )
    if reason == R.ORGANISATION_UNVERIFIED:
        return _("The organisation is not verified yet, so its listings are not matched.")
    return _("This listing is not active, so it is not matched.")


def _last_real_run_id() -> int | None:
    return (
        MatchRun.objects.filter(dry_run=False, status=RunStatus.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )


def _may_see(listing: Model, user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return is_authority(user) or listing.organisation_id in member_organisation_ids(user)  # type: ignore[attr-defined]


def statuses_for(listings: Iterable[Model], *, user=None) -> dict[tuple[str, int], ListingMatchStatus]:
    """The stored statuses of these offers and needs, in one query (none when ``user`` is given
    and may see none of them)."""
    listings = [x for x in listings if user is None or _may_see(x, user)]
    offers = [x.pk for x in listings if isinstance(x, Offer)]
    needs = [x.pk for x in listings if isinstance(x, Need)]
    if not offers and not needs:
        return {}
    rows = ListingMatchStatus.objects.filter(offer_id__in=offers) | ListingMatchStatus.objects.filter(
        need_id__in=needs
    )
    return {("offer", r.offer_id) if r.offer_id else ("need", cast(int, r.need_id)): r for r in rows}


def match_status_of(
    listing: Offer | Need, *, user, stored: dict[tuple[str, int], ListingMatchStatus] | None = None
) -> dict[str, Any] | None:
    """``{reason, nearest_km, explanation, run}`` for the owner and the municipality, else None."""
    if not _may_see(listing, user):
        return None
    kind = "offer" if isinstance(listing, Offer) else "need"
    if stored is None:
        stored = statuses_for([listing])
    row = stored.get((kind, listing.pk))
    reason: str | None = None
    if listing.status != ListingStatus.ACTIVE:
        reason = R.NOT_ACTIVE
    elif not listing.organisation.verified:
        reason = R.ORGANISATION_UNVERIFIED
    if reason is not None:
        run_id = row.run_id if row is not None else _last_real_run_id()
        if run_id is None:
            return None
        return {"reason": reason, "nearest_km": None, "explanation": explanation(reason, None), "run": run_id}
    if row is None:
        return None
    return {
        "reason": row.reason,
        "nearest_km": row.nearest_km,
        "explanation": explanation(row.reason, row.nearest_km),
        "run": row.run_id,
    }
