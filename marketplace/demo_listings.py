"""The demo's offers and needs: the study's symbiosis cases, placed so that they can match.

Each need's radius reaches at least one offer of a material it accepts (a test checks it), so
a match run on the demo proposes real flows: spent grain and bread to the dairy and feedlot,
chicken manure and straw to the mushroom compost yard, façade panels to the panel plant and
builders, jute bags to the nursery, sludge to composting, scrap to the steel works.
Quantities are per period; windows are relative to the day the demo is loaded.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, Site

from . import services
from .models import ListingStatus, Need, Offer


@dataclass(frozen=True)
class DemoListing:
    org: str
    site: str
    kind: str  # "offer" or "need"
    materials: tuple[str, ...]
    quantity: str
    unit: str
    period: str
    description: str
    min_lot: str | None = None
    max_distance_km: str | None = None
    destination: str = "landfill"
    window_days: tuple[int, int] | None = None  # (from, until), days after loading


def _o(org, site, material, quantity, unit, period, description, **kw) -> DemoListing:
    return DemoListing(org, site, "offer", (material,), quantity, unit, period, description, **kw)


def _n(org, site, materials, quantity, unit, period, radius, description, **kw) -> DemoListing:
    return DemoListing(
        org, site, "need", tuple(materials), quantity, unit, period, description, max_distance_km=radius, **kw
    )


# fmt: off
LISTINGS: tuple[DemoListing, ...] = (
    # --- Food and farming: residues ------------------------------------------------------
    _o("brewery", "Brewery", "brewers_spent_grain", "40", "t", "week",
       "Wet spent grain (~22 % dry matter) pressed daily; use within 48 h in summer. We load with "
       "our own front loader, 6:00–18:00.",
       min_lot="5"),
    _o("brewery", "Brewery", "wooden_pallets", "250", "piece", "month",
       "EUR/EPAL pallets with one or two broken boards, repairable; burnt in the boiler house "
       "today.",
       min_lot="50", destination="open_burning"),
    _o("brewery", "Brewery", "cardboard_paper", "6", "t", "month",
       "Baled brown cardboard from malt and crown-cap deliveries, dry, stored indoors.", min_lot="1"),
    _o("bakery", "Bakery No. 1", "bread_residues", "3", "t", "week",
       "Unsold bread and crusts returned from shops, dry, in plastic crates; no mould accepted "
       "back.",
       min_lot="0.5"),
    _o("bakery", "Bakery No. 2", "bread_residues", "2", "t", "week",
       "Day-old loaves and trimmings from the sandwich line, collected every morning.", min_lot="0.5"),
    _o("tandyr", "Central bakery", "bread_residues", "1.5", "t", "week",
       "Tandyr flatbread and baursak residues, dry; suitable as a malt substitute or feed."),
    _o("rakhat", "Chocolate factory", "jute_bags", "3000", "piece", "month",
       "Cocoa-bean jute sacks (60–70 kg size) with some cocoa dust; landfilled today.", min_lot="500"),
    _o("rakhat", "Chocolate factory", "cocoa_shells", "30", "t", "month",
       "Roasted cocoa bean shells, dry, in 1 t big bags; good mulch, not for livestock "
       "(theobromine).",
       min_lot="5"),
    _o("rakhat", "Chocolate factory", "cardboard_paper", "10", "t", "month",
       "Corrugated cartons from ingredient deliveries, baled.", min_lot="1"),
    _o("poultry", "Poultry houses", "chicken_manure", "800", "t", "year",
       "Broiler litter on sunflower-husk bedding, ~40 % dry matter, stored under a roof.", min_lot="10"),
    _o("dairy", "Cow barns", "cattle_manure", "1500", "t", "year",
       "Solid farmyard manure with straw bedding from 600 cows; loaded by our tractor.", min_lot="10"),
    _o("freshmarket", "Wholesale market", "fruit_veg_residues", "15", "t", "week",
       "Unsold fruit and vegetables, sorted from packaging on site; daily pick-up before 10:00.",
       min_lot="1"),
    _o("coffee", "Roastery", "coffee_grounds", "800", "kg", "week",
       "Spent espresso grounds from 12 cafés, collected at the roastery in sealed bins.", min_lot="100"),
    _o("dairyplant", "Cheese plant", "whey", "200", "m3", "month",
       "Sweet whey from cheese making, chilled, pH 6.2; tanker connection on site.", min_lot="10"),
    _o("grainfarm", "Farm yard", "straw", "2000", "t", "year",
       "Wheat straw in square bales (~300 kg), stored dry; burnt in the field when unsold.", min_lot="20",
       destination="open_burning"),
    # --- Construction and demolition -----------------------------------------------------
    _o("demolition", "Demolition site Orbita", "precast_concrete_panel", "240", "piece", "once",
       "Exterior wall panels of a 1960s five-storey block (series 1-464), 3.2 × 2.8 m; inspected, "
       "about 80 % reusable. Crane on site until dismantling ends.",
       min_lot="10", window_days=(0, 240)),
    _o("demolition", "Demolition site Orbita", "crushed_concrete_aggregate", "6000", "t", "once",
       "0–40 mm crushed concrete, rebar removed; suitable for road sub-base.", min_lot="50",
       window_days=(0, 300)),
    _o("demolition", "Demolition site Orbita", "structural_steel_elements", "150", "t", "once",
       "I-beams and columns of a factory hall, lengths 6–12 m; need sandblasting and repainting.",
       min_lot="5", window_days=(30, 270)),
    _o("demolition", "Demolition site Aksai", "bricks", "120000", "piece", "once",
       "Fired clay bricks cleaned of lime mortar, 500 per pallet.", min_lot="5000", window_days=(0, 200)),
    _o("demolition", "Demolition site Aksai", "construction_timber", "80", "t", "once",
       "Softwood roof beams and joists, nails removed, dry.", min_lot="2", window_days=(0, 200)),
    _o("demolition", "Demolition site Aksai", "steel_scrap", "300", "t", "once",
       "Rebar and mixed ferrous scrap, sorted, no cables.", min_lot="20", window_days=(0, 200)),
    _o("dismantling", "Demolition site Turksib", "precast_concrete_panel", "120", "piece", "once",
       "Interior and façade panels from a 1959 block; lifting loops intact on most.", min_lot="10",
       window_days=(15, 210)),
    _o("dismantling", "Demolition site Turksib", "bricks", "60000", "piece", "once",
       "Red bricks, partly with cement mortar; sorted on pallets.", min_lot="5000", window_days=(15, 210)),
    _o("dismantling", "Demolition site Turksib", "crushed_concrete_aggregate", "2500", "t", "once",
       "Crushed foundations, 0–63 mm.", min_lot="50", window_days=(15, 240)),
    _o("dismantling", "Demolition site Turksib", "steel_scrap", "80", "t", "once",
       "Reinforcement bars and pipes.", window_days=(15, 240)),
    # --- Utilities, logistics, retail ----------------------------------------------------
    _o("waterworks", "Wastewater treatment plant", "sewage_sludge", "2500", "t", "month",
       "Dewatered digested sludge, ~25 % dry solids; heavy metals below the EU 86/278 limits (2025 "
       "tests).",
       min_lot="20"),
    _o("logistics", "Warehouse", "wooden_pallets", "1200", "piece", "year",
       "Mixed pallets (EUR and one-way), sorted by size.", min_lot="100"),
    _o("logistics", "Warehouse", "hdpe_pp_film", "4", "t", "month",
       "Clear LDPE stretch film, baled, little contamination.", min_lot="0.5"),
    _o("mall", "Shopping centre", "cardboard_paper", "20", "t", "month",
       "Baled cardboard from 150 shops, collected by our waste team.", min_lot="2"),
    _o("mall", "Shopping centre", "hdpe_pp_film", "2", "t", "month", "Mixed film, baled."),
    _o("mall", "Shopping centre", "pet", "3", "t", "month",
       "PET bottles from the food court, sorted clear/coloured.", min_lot="0.5"),
    _o("mall", "Shopping centre", "wooden_pallets", "400", "piece", "month",
       "Delivery pallets, mostly one-way.", min_lot="50", destination="open_burning"),
    # --- Needs -------------------------------------------------------------------------------
    _n("mushrooms", "Composting yard", ["chicken_manure", "cattle_manure"], "1200", "t", "year", "80",
       "Manure for Agaricus compost (Phase I), mixed 1:1 with straw; ~40 % dry matter preferred.",
       min_lot="10"),
    _n("mushrooms", "Composting yard", ["straw"], "600", "t", "year", "150",
       "Wheat or barley straw, dry bales, for mushroom compost.", min_lot="20"),
    _n("mushrooms", "Composting yard", ["coffee_grounds"], "20", "t", "year", "50",
       "Oyster-mushroom substrate trials on spent coffee grounds."),
    _n("dairy", "Cow barns", ["brewers_spent_grain", "bread_residues", "fruit_veg_residues"], "25", "t",
       "week", "60", "Feed for 600 dairy cows; fresh residues only, delivered to the feed yard.",
       min_lot="2"),
    _n("livestock", "Feedlot", ["brewers_spent_grain", "bread_residues", "fruit_veg_residues"], "30", "t",
       "week", "120", "Beef cattle feedlot; we collect with our own trucks.", min_lot="5"),
    _n("livestock", "Feedlot", ["whey"], "100", "m3", "month", "100", "Liquid feed for calves and pigs."),
    _n("pigfarm", "Piggery", ["bread_residues", "food_processing_residues", "fruit_veg_residues"], "10", "t",
       "week", "50", "Pig feed; bread and produce without packaging."),
    _n("panels", "Panel plant", ["precast_concrete_panel"], "300", "piece", "year", "60",
       "Panels for remanufacturing: cut, re-edge and re-certify for low-rise buildings.", min_lot="10"),
    _n("builder", "Housing site Shugyla", ["bricks"], "50000", "piece", "once", "40",
       "Reclaimed bricks for garden walls and inner partitions.", min_lot="5000", window_days=(30, 365)),
    _n("builder", "Housing site Shugyla", ["crushed_concrete_aggregate"], "3000", "t", "once", "40",
       "Sub-base for access roads and parking.", window_days=(30, 365)),
    _n("builder", "Housing site Shugyla", ["construction_timber"], "40", "t", "once", "40",
       "Formwork and scaffolding boards.", window_days=(0, 300)),
    _n("builder", "Housing site Shugyla", ["precast_concrete_panel"], "60", "piece", "once", "40",
       "Certified reused panels for two low-rise service buildings.", window_days=(60, 365)),
    _n("builder", "Housing site Shugyla", ["structural_steel_elements"], "50", "t", "once", "50",
       "Beams for a parking canopy.", window_days=(60, 365)),
    _n("housing", "Housing site Kok-Tobe", ["crushed_concrete_aggregate"], "5000", "t", "once", "30",
       "Backfill and sub-base.", window_days=(0, 365)),
    _n("housing", "Housing site Kok-Tobe", ["bricks"], "30000", "piece", "once", "30",
       "Facing bricks for a heritage-style façade.", min_lot="5000", window_days=(30, 365)),
    _n("roads", "Aggregate yard", ["crushed_concrete_aggregate"], "20000", "t", "year", "60",
       "Recycled aggregate for road sub-base (GOST 32826).", min_lot="100"),
    _n("steel", "Rolling mill", ["steel_scrap", "structural_steel_elements"], "1000", "t", "month", "150",
       "Ferrous scrap for the electric arc furnace; no cables, no closed vessels.", min_lot="20"),
    _n("papermill", "Paper mill", ["cardboard_paper"], "300", "t", "month", "100",
       "OCC (old corrugated cardboard) for testliner production; baled, dry.", min_lot="1"),
    _n("greenscape", "Tree nursery", ["jute_bags"], "2000", "piece", "month", "50",
       "Jute for root-ball wrapping and erosion control on slopes."),
    _n("greenscape", "Tree nursery", ["cocoa_shells"], "100", "t", "year", "50",
       "Cocoa shell mulch for city flowerbeds."),
    _n("compost", "Composting plant", ["sewage_sludge"], "12000", "t", "year", "50",
       "Sludge for co-composting with green waste; test certificates required.", min_lot="20"),
    _n("compost", "Composting plant", ["fruit_veg_residues", "food_processing_residues", "coffee_grounds"],
       "20", "t", "week", "60", "Food residues for in-vessel composting."),
    _n("rakhat", "Chocolate factory", ["wooden_pallets"], "500", "piece", "month", "40",
       "Repaired EUR pallets for finished-goods storage.", min_lot="50"),
    _n("freshmarket", "Wholesale market", ["wooden_pallets"], "300", "piece", "month", "60",
       "Any sound pallets for produce stacking."),
    _n("polymer", "Recycling plant", ["hdpe_pp_film", "hdpe_rigid"], "20", "t", "month", "60",
       "Polyolefin film and rigid HDPE for regranulation.", min_lot="0.5"),
    _n("polymer", "Recycling plant", ["pet"], "10", "t", "month", "60", "PET bottles for flake production."),
)
# fmt: on


def _exists(listing: DemoListing, organisation: Organisation, site: Site) -> bool:
    if listing.kind == "offer":
        return Offer.objects.filter(
            organisation=organisation, site=site, material__key=listing.materials[0], unit=listing.unit
        ).exists()
    candidates = Need.objects.filter(
        organisation=organisation, site=site, unit=listing.unit
    ).prefetch_related("materials")
    return any(
        sorted(m.key for m in need.materials.all()) == sorted(listing.materials) for need in candidates
    )


@transaction.atomic
def load_listings(organisations: dict[str, Organisation]) -> tuple[int, int]:
    """Create the demo listings that do not exist yet (as active); returns (offers, needs) created."""
    today = timezone.localdate()
    offers = needs = 0
    for listing in LISTINGS:
        organisation = organisations[listing.org]
        site = Site.objects.get(organisation=organisation, name=listing.site)
        if _exists(listing, organisation, site):
            continue
        window = {}
        if listing.window_days:
            start, end = listing.window_days
            window = {
                "available_from": today + datetime.timedelta(days=start),
                "available_until": today + datetime.timedelta(days=end),
            }
        common: dict[str, Any] = {
            "organisation": organisation,
            "actor": None,
            "site": site,
            "quantity": listing.quantity,
            "unit": listing.unit,
            "period": listing.period,
            "min_lot": listing.min_lot,
            "max_distance_km": listing.max_distance_km,
            "description": listing.description,
            "status": ListingStatus.ACTIVE,
            **window,
        }
        if listing.kind == "offer":
            services.offer_create(
                material=listing.materials[0], current_destination=listing.destination, **common
            )
            offers += 1
        else:
            services.need_create(materials=list(listing.materials), **common)
            needs += 1
    return offers, needs
