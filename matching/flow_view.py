"""A flow's distance-bound figures as one viewer may see them: the one place of the rule.

Until a deal, a party sees the other party's site only rounded to about a kilometre
(``marketplace.selectors.coarse_coordinate``). A distance computed from the exact site, stated
to the metre, would give that site back (two proposals to the same site locate it within a
metre), and so would every figure derived from the distance: tonne-kilometres, transport
emissions, the net (and any haulage cost). So for a viewer who cannot see both ends exactly,
:func:`flow_view_for` recomputes the distance from the coordinates that viewer sees, with the
road rule the run used (great circle × circuity), states it in whole kilometres, and derives
the tonne-kilometres, transport kg and net from that same distance.

Exact figures: for the municipality, for a member of both parties, and for both parties once
the flow is a deal (an agreed proposal, or a deal). ``viewer=None`` (internal use) is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.conf import settings

from accounts.access import is_authority, member_organisation_ids
from marketplace.geo import haversine_km
from marketplace.selectors import coarse_coordinate

from .impact import IMPACT_QUANTUM, IMPACT_ROUNDING
from .models import Deal, ProposalStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


_TKM_QUANTUM = Decimal("0.001")


@dataclass(frozen=True)
class Viewer:
    """Who is looking, worked out once per request (not once per row)."""

    organisation_ids: frozenset[int]
    authority: bool

    @classmethod
    def of(cls, user: User | AnonymousUser) -> Viewer | None:
        if user is None:
            return None
        return cls(frozenset(member_organisation_ids(user)), is_authority(user))


def viewer_of(request_or_user) -> Viewer | None:
    """The :class:`Viewer` of a request (cached on it) or of a user."""
    if request_or_user is None:
        return None
    user = getattr(request_or_user, "user", None)
    if user is None:  # a user, not a request
        return Viewer.of(request_or_user)
    cached = getattr(request_or_user, "_qaita_viewer", None)
    if cached is None:
        cached = Viewer.of(user)
        request_or_user._qaita_viewer = cached
    return cached


@dataclass(frozen=True)
class FlowView:
    """What a viewer is shown of one proposal or deal."""

    distance_km: Decimal
    exact: bool
    tkm: Decimal
    impact: dict[str, Decimal]

    @property
    def net_kg(self) -> Decimal:
        return self.impact["net_kg"]

    @property
    def transport_kg(self) -> Decimal:
        return self.impact["transport_kg"]


def road_km(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal, *, circuity: float) -> float:
    """The road-distance rule of matching: great circle × circuity (``MATCHING_CIRCUITY``)."""
    return haversine_km(float(lat1), float(lon1), float(lat2), float(lon2)) * circuity


def whole_km(km: float) -> Decimal:
    return Decimal(repr(km)).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _circuity(obj) -> float:
    run = getattr(obj, "run", None)
    parameters = getattr(run, "parameters", None) or {}
    return float(parameters.get("circuity", settings.MATCHING_CIRCUITY))


def _is_exact(obj, viewer: Viewer | None) -> bool:
    if viewer is None or viewer.authority or isinstance(obj, Deal):
        return True
    if getattr(obj, "status", None) == ProposalStatus.AGREED:
        return True
    return {obj.offer.organisation_id, obj.need.organisation_id} <= viewer.organisation_ids


def _end(organisation_id: int, lat: Decimal, lon: Decimal, viewer_orgs) -> tuple[Decimal, Decimal]:
    if organisation_id in viewer_orgs:
        return lat, lon
    return coarse_coordinate(lat), coarse_coordinate(lon)


def shown_distance_km(
    *,
    offer: tuple[int, Decimal, Decimal],
    need: tuple[int, Decimal, Decimal],
    viewer_orgs,
    circuity: float,
    via: tuple[int, Decimal, Decimal] | None = None,
) -> Decimal:
    """The road distance between two sites, each ``(organisation, latitude, longitude)``, from
    the coordinates an organisation in ``viewer_orgs`` sees (its own exact, others rounded), in
    whole km. With ``via`` (a storage yard's site, issue 13), both legs: offer → yard → need."""
    ends = [_end(*site, viewer_orgs) for site in (offer, via, need) if site is not None]
    legs = (road_km(*a, *b, circuity=circuity) for a, b in zip(ends, ends[1:], strict=False))
    return whole_km(sum(legs, 0.0))


def transport_kg(mass_t: Decimal, distance_km: Decimal, road_freight_kg_per_tkm: Decimal) -> Decimal:
    """SPEC §4's transport term, quantised as ``matching.impact`` quantises it."""
    return (mass_t * distance_km * road_freight_kg_per_tkm).quantize(IMPACT_QUANTUM, rounding=IMPACT_ROUNDING)


def flow_view_for(viewer: Viewer | None, obj) -> FlowView:
    """The distance, tonne-km and impact of a proposal or deal as ``viewer`` may see them."""
    impact = obj.impact_dict()
    if _is_exact(obj, viewer):
        return FlowView(
            distance_km=obj.distance_km,
            exact=True,
            tkm=(obj.mass_t * obj.distance_km).quantize(_TKM_QUANTUM),
            impact=impact,
        )
    assert viewer is not None
    offer_site, need_site = obj.offer.site, obj.need.site
    # A flow through a storage yard is carried on both legs (issue 13), as its exact distance is.
    storage = obj.via_storage if getattr(obj, "via_storage_id", None) is not None else None
    distance = shown_distance_km(
        offer=(obj.offer.organisation_id, offer_site.latitude, offer_site.longitude),
        need=(obj.need.organisation_id, need_site.latitude, need_site.longitude),
        viewer_orgs=viewer.organisation_ids,
        circuity=_circuity(obj),
        via=None
        if storage is None
        else (storage.organisation_id, storage.site.latitude, storage.site.longitude),
    )
    transport = transport_kg(obj.mass_t, distance, obj.factor_set.road_freight_kg_per_tkm)
    # The net is the sum of its quantised components, so swapping the transport term is exact.
    net = impact["net_kg"] + impact["transport_kg"] - transport
    return FlowView(
        distance_km=distance,
        exact=False,
        tkm=(obj.mass_t * distance).quantize(_TKM_QUANTUM),
        impact={**impact, "transport_kg": transport, "net_kg": net},
    )
