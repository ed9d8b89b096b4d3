"""Flow-factor sets through factor_services: import, copy, edit, publish; published is immutable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.errors import DomainError, ErrorCode
from accounts.models import Event
from marketplace import factor_data
from marketplace.factor_services import (
    active_factor_set,
    factor_set_copy,
    factor_set_delete,
    factor_set_import,
    factor_set_publish,
    factor_set_update,
    factor_update,
)
from marketplace.models import Factor, FactorSet, ImpactMethod, Material


@pytest.fixture
def active(db):
    factor_set, _ = factor_set_import()
    return factor_set


def test_importing_the_shipped_files_creates_the_catalogue_and_one_active_published_set(active):
    assert active.is_published and active.is_active
    assert Material.objects.count() == active.factors.count() == 26
    assert active.road_freight_kg_per_tkm == Decimal("0.101630")


def test_importing_the_same_files_twice_changes_nothing(active):
    again, created = factor_set_import()
    assert not created and again == active
    assert FactorSet.objects.count() == 1 and Factor.objects.count() == 26


def test_a_bad_factor_file_writes_nothing(db, tmp_path):
    text = factor_data.DEFAULT_FACTORS_PATH.read_text(encoding="utf-8")
    bad = tmp_path / "flow-factors.csv"
    # The last row's landfill factor becomes text: the parser must refuse the whole file.
    lines = text.rstrip("\n").split("\n")
    cells = lines[-1].split(",")
    lines[-1] = ",".join([*cells[:10], "lots", *cells[11:]])
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(factor_data.FactorFileError):
        factor_set_import(factors_path=bad, globals_path=factor_data.DEFAULT_GLOBALS_PATH)
    assert Material.objects.count() == FactorSet.objects.count() == Event.objects.count() == 0


def test_a_published_set_cannot_be_edited_or_deleted(active, municipality):
    factor = active.factors.first()
    attempts = [
        lambda: factor_set_update(factor_set=active, actor=municipality.user, gwp_ch4="28"),
        lambda: factor_update(factor=factor, actor=municipality.user, treatment_kg_per_t="1"),
        lambda: factor_set_delete(factor_set=active, actor=municipality.user),
        lambda: factor_set_publish(factor_set=active, actor=municipality.user),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as caught:
            attempt()
        assert caught.value.code is ErrorCode.CONFLICT
    active.refresh_from_db()
    factor.refresh_from_db()
    assert active.gwp_ch4 == Decimal("25") and active.is_active


def test_copy_edit_publish_moves_the_active_flag_and_records_every_step(active, municipality):
    draft = factor_set_copy(source=active, version="2027.1", actor=municipality.user)
    assert draft.status == "draft" and not draft.is_active and draft.based_on == active
    assert draft.factors.count() == active.factors.count()
    draft = factor_set_update(
        factor_set=draft,
        actor=municipality.user,
        road_freight_kg_per_tkm="0.12522",
        road_freight_source="DEFRA 2025 incl. well-to-tank",
    )
    assert draft.road_freight_kg_per_tkm == Decimal("0.125220")
    grain = draft.factors.get(material__key="brewers_spent_grain")
    factor_update(factor=grain, actor=municipality.user, substitution_kg_per_t="300", landfill_kg_per_t=None)
    published = factor_set_publish(factor_set=draft, actor=municipality.user)
    assert published.is_active and published.published_by == municipality.user
    assert list(FactorSet.objects.filter(is_active=True)) == [published]
    assert active_factor_set() == published
    active.refresh_from_db()
    assert active.is_published and not active.is_active
    # The original keeps its numbers: the copy was a copy.
    assert active.factors.get(material__key="brewers_spent_grain").substitution_kg_per_t == Decimal("100")
    actions = list(
        Event.objects.filter(object_id=str(draft.pk)).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["factor_set.drafted", "factor_set.edited", "factor_set.published"]
    event = Event.objects.get(action="factor_set.published", object_id=str(draft.pk))
    assert event.actor == municipality.user and event.data == {"version": "2027.1"}


def test_only_the_municipality_drafts_edits_and_publishes(active, brewery):
    with pytest.raises(DomainError) as caught:
        factor_set_copy(source=active, version="x", actor=brewery.user)
    assert caught.value.code is ErrorCode.FORBIDDEN


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gwp_ch4", "0"),
        ("gwp_ch4", "NaN"),
        ("road_freight_kg_per_tkm", "-1"),
        ("road_freight_kg_per_tkm", "abc"),
        ("road_freight_kg_per_tkm", None),
        ("version", "2"),
    ],
)
def test_bad_set_values_are_refused_naming_the_field(active, municipality, field, value):
    draft = factor_set_copy(source=active, version="draft-1", actor=municipality.user)
    with pytest.raises(DomainError) as caught:
        factor_set_update(factor_set=draft, actor=municipality.user, **{field: value})
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("treatment_kg_per_t", "-1"),
        ("substitution_kg_per_t", "1e9"),
        ("treatment_kg_per_t", None),
        ("landfill_kg_per_t", "Infinity"),
    ],
)
def test_bad_factor_values_are_refused_naming_the_field(active, municipality, field, value):
    draft = factor_set_copy(source=active, version="draft-2", actor=municipality.user)
    with pytest.raises(DomainError) as caught:
        factor_update(factor=draft.factors.first(), actor=municipality.user, **{field: value})
    assert caught.value.field == field


def test_a_draft_version_must_be_new(active, municipality):
    with pytest.raises(DomainError) as caught:
        factor_set_copy(source=active, version=active.version, actor=municipality.user)
    assert caught.value.field == "version"


def test_a_draft_that_another_draft_is_based_on_cannot_be_deleted(active, municipality):
    first = factor_set_copy(source=active, version="a", actor=municipality.user)
    factor_set_copy(source=first, version="b", actor=municipality.user)
    with pytest.raises(DomainError) as caught:
        factor_set_delete(factor_set=first, actor=municipality.user)
    assert caught.value.code is ErrorCode.CONFLICT


def test_a_draft_can_be_deleted(active, municipality):
    draft = factor_set_copy(source=active, version="scratch", actor=municipality.user)
    factor_set_delete(factor_set=draft, actor=municipality.user)
    assert not FactorSet.objects.filter(version="scratch").exists()
    assert Event.objects.filter(action="factor_set.deleted").exists()


# --- fate baselines --------------------------------------------------------------------------


def test_a_published_set_holds_every_fates_factor_with_its_source(active):
    factors = {f.material.key: f for f in active.factors.select_related("material")}
    straw, whey, sludge = factors["straw"], factors["whey"], factors["sewage_sludge"]

    assert (straw.open_burning_kg_per_t, straw.incineration_kg_per_t) == (Decimal("67.6"), Decimal("14.9"))
    assert straw.source_fates.startswith("Open burning in the field: IPCC 2006 V4 Ch2 Table 2.5")
    assert (whey.open_burning_kg_per_t, whey.incineration_kg_per_t) == (None, None)  # not burnt
    assert (sludge.open_burning_kg_per_t, sludge.incineration_kg_per_t) == (None, Decimal("59.0"))
    assert all(f.source_fates for f in factors.values())
    assert active.impact_method == ImpactMethod.FATE_BASELINES
    assert "fate-factors.csv" in active.source_notes


def _fate_files(tmp_path, *, straw_burning: str):
    """The shipped files, with straw's open-burning factor replaced."""
    text = factor_data.DEFAULT_FATES_PATH.read_text(encoding="utf-8")
    fates = tmp_path / "fate-factors.csv"
    fates.write_text(text.replace("straw,67.6,", f"straw,{straw_burning},"), encoding="utf-8")
    return {
        "factors_path": factor_data.DEFAULT_FACTORS_PATH,
        "globals_path": factor_data.DEFAULT_GLOBALS_PATH,
        "fates_path": fates,
    }


def test_the_import_digest_covers_the_fate_file_and_a_new_version_leaves_the_old_set_as_it_was(
    active, tmp_path
):
    changed, created = factor_set_import(**_fate_files(tmp_path, straw_burning="70.0"), version="fates-2")

    assert created and changed.version == "fates-2" and changed.is_active
    assert changed.source_digest != active.source_digest
    assert changed.factors.get(material__key="straw").open_burning_kg_per_t == Decimal("70.0")
    active.refresh_from_db()
    assert active.is_published and not active.is_active
    assert active.factors.get(material__key="straw").open_burning_kg_per_t == Decimal("67.6")
    again, created_again = factor_set_import(**_fate_files(tmp_path, straw_burning="70.0"))
    assert not created_again and again == changed
    event = Event.objects.get(action="factor_set.imported", object_id=str(changed.pk))
    assert event.data["files"] == ["flow-factors.csv", "flow-factor-globals.csv", "fate-factors.csv"]


def test_a_bad_fate_file_writes_nothing(db, tmp_path):
    files = _fate_files(tmp_path, straw_burning="-1")

    with pytest.raises(factor_data.FactorFileError, match="fate-factors.csv, row 4, column 'open_burning"):
        factor_set_import(**files)

    assert Material.objects.count() == FactorSet.objects.count() == Event.objects.count() == 0


def test_a_copy_keeps_the_fate_factors_and_follows_todays_impact_method(active, municipality):
    draft = factor_set_copy(source=active, version="2027.2", actor=municipality.user)

    straw = draft.factors.get(material__key="straw")
    assert (straw.open_burning_kg_per_t, straw.incineration_kg_per_t) == (Decimal("67.6"), Decimal("14.9"))
    assert straw.source_fates == active.factors.get(material__key="straw").source_fates
    assert draft.impact_method == ImpactMethod.FATE_BASELINES


def test_a_drafts_fate_factors_and_their_source_can_be_edited_or_emptied(active, municipality):
    draft = factor_set_copy(source=active, version="2027.3", actor=municipality.user)
    straw = draft.factors.get(material__key="straw")

    factor_update(
        factor=straw,
        actor=municipality.user,
        open_burning_kg_per_t="70.25",
        incineration_kg_per_t=None,
        source_fates="Field survey 2026",
    )

    straw.refresh_from_db()
    assert (straw.open_burning_kg_per_t, straw.incineration_kg_per_t) == (Decimal("70.25"), None)
    assert straw.source_fates == "Field survey 2026"


@pytest.mark.parametrize("field", ["open_burning_kg_per_t", "incineration_kg_per_t", "landfill_kg_per_t"])
def test_a_negative_baseline_factor_is_refused_naming_the_field(active, municipality, field):
    draft = factor_set_copy(source=active, version="2027.4", actor=municipality.user)
    straw = draft.factors.get(material__key="straw")

    with pytest.raises(DomainError) as caught:
        factor_update(factor=straw, actor=municipality.user, **{field: "-1"})

    assert caught.value.field == field
    straw.refresh_from_db()
    assert straw.open_burning_kg_per_t == Decimal("67.6")
