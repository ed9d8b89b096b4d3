"""Safe bulk import: example rows are drafts, a preview before writing, duplicates of active
listings skipped unless confirmed, every problem of every row, the material keys in three languages."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace import importers
from marketplace.factor_data import DATA_DIR
from marketplace.models import Material, Need, Offer
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "kind,site,materials,quantity,unit,period,max_distance_km,status"


def csv_file(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def grain(persona, status="active", quantity="40") -> str:
    return f"offer,{persona.site.name},brewers_spent_grain,{quantity},t,week,,{status}"


def run(persona, data: bytes, **kwargs):
    return importers.listings_import(
        organisation=persona.organisation, actor=persona.user, data=data, **kwargs
    )


def test_the_template_rows_are_drafts_marked_as_examples(brewery, catalogue):
    rows = list(csv.DictReader(io.StringIO((DATA_DIR / "listings-template.csv").read_text())))
    assert rows and all(r["status"] == "draft" for r in rows)
    assert all(r["note"].lower().startswith("example") for r in rows)
    factories.make_site(brewery.organisation, "Brewery", latitude="43.2664", longitude="76.8803")
    preview = importers.listings_preview(
        organisation=brewery.organisation, data=(DATA_DIR / "listings-template.csv").read_bytes()
    )
    assert [r.example for r in preview] == [True] * 4 and {r.status for r in preview} == {"draft"}


def test_importing_the_template_twice_leaves_only_drafts(brewery, catalogue):
    factories.make_site(brewery.organisation, "Brewery", latitude="43.2664", longitude="76.8803")
    for _ in range(2):
        run(brewery, (DATA_DIR / "listings-template.csv").read_bytes())
    assert (
        not Offer.objects.filter(status="active").exists()
        and not Need.objects.filter(status="active").exists()
    )


def test_the_preview_lists_the_rows_and_writes_nothing(brewery, catalogue):
    data = csv_file(grain(brewery), f"need,{brewery.site.name},straw;bread_residues,5,t,month,40,draft")
    preview = importers.listings_preview(organisation=brewery.organisation, data=data)
    assert [(r.row, r.kind, r.material_keys, r.status) for r in preview] == [
        (2, "offer", ["brewers_spent_grain"], "active"),
        (3, "need", ["straw", "bread_residues"], "draft"),
    ]
    assert not Offer.objects.exists() and not Need.objects.exists()


def test_a_row_equal_to_an_active_listing_is_skipped_unless_confirmed(brewery, catalogue):
    data = csv_file(grain(brewery), grain(brewery, quantity="41"))
    first = run(brewery, data)
    assert len(first.offers) == 2 and first.skipped == []
    again = run(brewery, data)
    assert again.offers == [] and [r.row for r in again.skipped] == [2, 3]
    assert again.skipped[0].duplicate_of == first.offers[0].pk
    assert Offer.objects.count() == 2
    one = run(brewery, data, confirm_duplicates=[3])
    assert [o.quantity for o in one.offers] == [41] and [r.row for r in one.skipped] == [2]
    everything = run(brewery, data, confirm_duplicates=True)
    assert len(everything.offers) == 2 and Offer.objects.count() == 5


def test_a_draft_or_another_period_is_not_a_duplicate(brewery, catalogue):
    run(brewery, csv_file(grain(brewery, status="draft")))
    assert run(brewery, csv_file(grain(brewery))).skipped == []  # only active listings count
    other = csv_file(f"offer,{brewery.site.name},brewers_spent_grain,40,t,month,,active")
    assert run(brewery, other).skipped == []


def test_equal_rows_within_one_file_are_flagged(brewery, catalogue):
    data = csv_file(grain(brewery), grain(brewery))
    preview = importers.listings_preview(organisation=brewery.organisation, data=data)
    assert [(r.duplicate_of, r.duplicate_row) for r in preview] == [(None, None), (None, 2)]
    assert len(run(brewery, data).offers) == 1


def test_equal_needs_compare_the_set_of_materials(farm, catalogue):
    site = farm.site.name
    run(farm, csv_file(f"need,{site},straw;bread_residues,5,t,month,40,active"))
    preview = importers.listings_preview(
        organisation=farm.organisation, data=csv_file(f"need,{site},bread_residues;straw,5,t,month,60,active")
    )
    assert preview[0].duplicate_of == Need.objects.get().pk


def test_every_problem_of_every_row_is_reported(brewery, catalogue):
    data = csv_file(
        "offer,Nowhere,unobtainium,-3,tonnes,daily,,published",
        f"need,{brewery.site.name},straw,abc,t,year,,draft",
        grain(brewery),
    )
    with pytest.raises(importers.ImportRefused) as caught:
        importers.listings_preview(organisation=brewery.organisation, data=data)
    assert [(e.row, e.field) for e in caught.value.errors] == [
        (2, "site"),
        (2, "material"),
        (2, "unit"),
        (2, "quantity"),
        (2, "period"),
        (2, "status"),
        (3, "quantity"),
        (3, "max_distance_km"),
    ]


def test_the_material_keys_download_names_each_in_three_languages(client, brewery, catalogue):
    client.force_login(brewery.user)
    response = client.get("/marketplace/import/materials.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["key", "name_en", "name_ru", "name_kk", "unit_basis", "category", "ewc_code"]
    assert len(rows) == Material.objects.count()
    grain_row = next(r for r in rows if r["key"] == "brewers_spent_grain")
    material = Material.objects.get(key="brewers_spent_grain")
    assert (grain_row["name_ru"], grain_row["name_kk"]) == (material.name_ru, material.name_kk)
    assert "/marketplace/import/materials.csv" in client.get("/marketplace/import/").content.decode()


def test_the_web_import_previews_flags_duplicates_and_confirms_the_ticked_ones(client, brewery, catalogue):
    run(brewery, csv_file(grain(brewery)))
    client.force_login(brewery.user)
    data = csv_file(grain(brewery), grain(brewery, quantity="7"))
    preview = client.post("/marketplace/import/", {"file": SimpleUploadedFile("l.csv", data)})
    html = preview.content.decode()
    assert preview.status_code == 200 and 'data-row="2" data-duplicate' in html and 'data-row="3">' in html
    assert 'name="confirm_row" value="2"' in html and Offer.objects.count() == 1
    token = preview.context["token"]
    done = client.post("/marketplace/import/confirm/", {"token": token}, follow=True)
    assert "Skipped 1 row equal to an active listing." in done.content.decode()
    assert sorted(Offer.objects.values_list("quantity", flat=True)) == [7, 40]
    # The same preview cannot be confirmed twice.
    client.post("/marketplace/import/confirm/", {"token": token})
    assert Offer.objects.count() == 2
    preview = client.post("/marketplace/import/", {"file": SimpleUploadedFile("l.csv", data)})
    client.post("/marketplace/import/confirm/", {"token": preview.context["token"], "confirm_row": ["2"]})
    assert sorted(Offer.objects.values_list("quantity", flat=True)) == [7, 40, 40]


def test_the_api_skips_duplicates_unless_confirmed(brewery, catalogue):
    def post(**extra):
        upload = SimpleUploadedFile("l.csv", csv_file(grain(brewery)), content_type="text/csv")
        return brewery.client().post(
            "/api/v1/listings/import/", {"file": upload, **extra}, format="multipart"
        )

    assert post().json()["skipped_duplicates"] == []
    second = post()
    assert second.status_code == 201 and second.json() == {
        "offers": [],
        "needs": [],
        "skipped_duplicates": [2],
    }
    third = post(confirm_duplicates="true")
    assert len(third.json()["offers"]) == 1 and Offer.objects.count() == 2
