"""Marketplace pages as people use them: listings, photos, search, factor sets, import."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from PIL import Image

from accounts.models import Site
from marketplace import factor_services
from marketplace.models import Factor, FactorSet, ListingPhoto, Need, Offer
from marketplace.selectors import coarse_coordinate
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(db):
    return f.ensure_factor_set()


def _png(name="photo.png", size=(40, 30)) -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", size, (120, 90, 30)).save(data, format="PNG")
    data.seek(0)
    data.name = name
    return data


def _offer_post(site_, **overrides):
    values = {
        "material": "brewers_spent_grain",
        "quantity": "40",
        "unit": "t",
        "period": "week",
        "current_destination": "landfill",
        "site": str(site_.pk),
        "description": "Wet, collected daily",
        "publish": "on",
    }
    values.update(overrides)
    return values


def _need_post(site_, **overrides):
    values = {
        "materials": ["brewers_spent_grain", "bread_residues"],
        "quantity": "1500",
        "unit": "t",
        "period": "year",
        "max_distance_km": "80",
        "site": str(site_.pk),
        "publish": "on",
    }
    values.update(overrides)
    return values


def _json_script(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no json_script {element_id}"
    return json.loads(match.group(1))


# --- My listings and the forms ----------------------------------------------------------------
def test_my_listings_has_helpful_empty_states_and_links(client, brewery, catalogue):
    client.force_login(brewery.user)
    page = client.get(reverse("marketplace:mine")).content.decode()
    assert "No offers yet" in page
    for name in ("marketplace:offer-create", "marketplace:need-create", "marketplace:import"):
        assert reverse(name) in page
    assert "No needs yet" in client.get(reverse("marketplace:mine") + "?kind=needs").content.decode()


def test_the_nav_links_the_marketplace_pages(client, brewery, municipality):
    client.force_login(brewery.user)
    page = client.get(reverse("matching:dashboard")).content.decode()
    assert reverse("marketplace:search") in page and reverse("marketplace:mine") in page
    assert reverse("marketplace:factor-sets") not in page
    client.force_login(municipality.user)
    assert reverse("marketplace:factor-sets") in client.get(reverse("matching:dashboard")).content.decode()


def test_the_offer_form_shows_materials_in_the_users_language_with_ewc_codes(client, brewery, catalogue):
    client.force_login(brewery.user)
    page = client.get(reverse("marketplace:offer-create"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Пивная дробина" in page or "пивная дробина" in page.lower()
    assert "02 07" in page
    units = _json_script(page, "material-units")
    assert units["materials"]["brewers_spent_grain"][:2] == ["t", "kg"]
    assert "brewery-site" not in page  # nothing of others
    sites = _json_script(page, "sites-data")
    assert [s["name"] for s in sites] == ["Almaty Brewery main site"]


def test_material_search_returns_matching_options_in_any_language(client, brewery, catalogue):
    client.force_login(brewery.user)
    url = reverse("marketplace:material-options")
    options = client.get(url, {"field": "material", "q": "дробина"}).content.decode()
    assert 'value="brewers_spent_grain" selected' in options  # the only match is chosen
    assert "bread_residues" not in options
    nothing = client.get(url, {"field": "material", "q": "zzzz"}).content.decode()
    assert "nothing matches" in nothing
    kept = client.get(
        url, {"field": "materials", "q": "bread", "materials": ["brewers_spent_grain"]}
    ).content.decode()
    assert 'value="brewers_spent_grain" selected' in kept and "bread_residues" in kept


def test_a_company_posts_an_offer_with_a_photo_through_the_form(client, brewery, catalogue):
    client.force_login(brewery.user)
    data = _offer_post(brewery.site, photos=[_png("a.png"), _png("b.png")])
    response = client.post(reverse("marketplace:offer-create"), data)
    offer = Offer.objects.get()
    assert response.status_code == 302 and response.url == reverse("marketplace:offer", args=[offer.pk])
    assert offer.status == "active" and offer.quantity == Decimal("40") and offer.period == "week"
    assert offer.photos.count() == 2
    page = client.get(response.url).content.decode()
    assert "Wet, collected daily" in page
    photo = offer.photos.first()
    assert reverse("marketplace:photo", args=[photo.pk]) in page
    image = client.get(reverse("marketplace:photo", args=[photo.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"


def test_an_offer_saved_without_publish_is_a_draft(client, brewery, catalogue):
    client.force_login(brewery.user)
    data = _offer_post(brewery.site)
    del data["publish"]
    client.post(reverse("marketplace:offer-create"), data)
    assert Offer.objects.get().status == "draft"


def test_service_errors_are_shown_on_their_fields_and_nothing_is_written(client, brewery, catalogue):
    client.force_login(brewery.user)
    response = client.post(reverse("marketplace:offer-create"), _offer_post(brewery.site, unit="piece"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "is stated in" in page and "has-error" in page
    response = client.post(reverse("marketplace:offer-create"), _offer_post(brewery.site, min_lot="50"))
    assert "cannot exceed the quantity" in response.content.decode()
    response = client.post(
        reverse("marketplace:offer-create"),
        _offer_post(brewery.site, available_from="2026-05-01", available_until="2026-04-01"),
    )
    assert "ends before it starts" in response.content.decode()
    response = client.post(reverse("marketplace:offer-create"), _offer_post(brewery.site, quantity="-3"))
    assert response.status_code == 400
    assert Offer.objects.count() == 0


def test_a_bad_photo_refuses_the_whole_listing(client, brewery, catalogue):
    client.force_login(brewery.user)
    bogus = io.BytesIO(b"not an image at all")
    bogus.name = "evil.png"
    response = client.post(reverse("marketplace:offer-create"), _offer_post(brewery.site, photos=[bogus]))
    assert response.status_code == 400
    assert Offer.objects.count() == 0 and ListingPhoto.objects.count() == 0


def test_a_listing_form_places_a_new_site_from_the_map(client, brewery, catalogue):
    client.force_login(brewery.user)
    response = client.post(
        reverse("marketplace:offer-create"),
        _offer_post(
            brewery.site,
            site="new",
            new_site_name="Malt house",
            new_site_latitude="43.271234",
            new_site_longitude="76.901234",
            new_site_district="almaly",
        ),
    )
    assert response.status_code == 302
    site = Site.objects.get(name="Malt house")
    assert site.organisation == brewery.organisation and str(site.latitude) == "43.271234"
    assert Offer.objects.get().site == site


def test_a_new_site_needs_its_place_and_a_refusal_keeps_no_site(client, brewery, catalogue):
    client.force_login(brewery.user)
    response = client.post(
        reverse("marketplace:offer-create"), _offer_post(brewery.site, site="new", new_site_name="Malt house")
    )
    assert response.status_code == 400 and "Click the site" in response.content.decode()
    response = client.post(
        reverse("marketplace:offer-create"),
        _offer_post(
            brewery.site,
            site="new",
            new_site_name="Malt house",
            new_site_latitude="43.27",
            new_site_longitude="76.90",
            unit="piece",
        ),
    )
    assert response.status_code == 400
    assert not Site.objects.filter(name="Malt house").exists()
    response = client.post(
        reverse("marketplace:offer-create"),
        _offer_post(
            brewery.site,
            site="new",
            new_site_name="Almaty Brewery main site",
            new_site_latitude="43.27",
            new_site_longitude="76.90",
        ),
    )
    assert "already has a site with this name" in response.content.decode()


def test_a_farm_posts_a_need_and_edits_it(client, farm, catalogue):
    client.force_login(farm.user)
    response = client.post(reverse("marketplace:need-create"), _need_post(farm.site))
    need = Need.objects.get()
    assert response.status_code == 302
    assert sorted(m.key for m in need.materials.all()) == ["bread_residues", "brewers_spent_grain"]
    edit_url = reverse("marketplace:need-edit", args=[need.pk])
    form_page = client.get(edit_url).content.decode()
    assert 'value="1500"' in form_page or 'value="1500.000"' in form_page
    response = client.post(edit_url, _need_post(farm.site, quantity="900", materials=["bread_residues"]))
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.quantity == Decimal("900") and [m.key for m in need.materials.all()] == ["bread_residues"]


def test_a_need_requires_its_radius(client, farm, catalogue):
    client.force_login(farm.user)
    response = client.post(reverse("marketplace:need-create"), _need_post(farm.site, max_distance_km=""))
    assert response.status_code == 400 and Need.objects.count() == 0


def test_status_actions_follow_the_transition_table(client, brewery, catalogue):
    offer = f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 100, status="draft")
    client.force_login(brewery.user)
    url = reverse("marketplace:offer-status", args=[offer.pk])
    mine = client.get(reverse("marketplace:mine")).content.decode()
    assert url in mine and "Publish" in mine
    client.post(url, {"status": "active"})
    offer.refresh_from_db()
    assert offer.status == "active"
    row = client.post(url, {"status": "paused"}, HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and 'data-listing-status="paused"' in row.content.decode()
    assert "Resume" in row.content.decode()
    client.post(url, {"status": "closed"})
    response = client.post(url, {"status": "active"}, follow=True)
    offer.refresh_from_db()
    assert offer.status == "closed" and "cannot go from closed" in response.content.decode()


def test_my_listings_paginates_by_25(client, brewery, catalogue):
    for i in range(27):
        f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 10 + i)
    client.force_login(brewery.user)
    first = client.get(reverse("marketplace:mine")).content.decode()
    assert first.count('data-listing-status="active"') == 25 and "Page 1 of 2" in first
    second = client.get(reverse("marketplace:mine") + "?kind=offers&page=2").content.decode()
    assert second.count('data-listing-status="active"') == 2


def test_photos_upload_and_delete_from_the_detail_page(client, brewery, catalogue):
    offer = f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 100)
    client.force_login(brewery.user)
    response = client.post(
        reverse("marketplace:offer-photo-add", args=[offer.pk]), {"image": _png(), "caption": "The heap"}
    )
    assert response.status_code == 302
    photo = offer.photos.get()
    page = client.get(reverse("marketplace:offer", args=[offer.pk])).content.decode()
    assert "The heap" in page and reverse("marketplace:offer-photo-delete", args=[offer.pk, photo.pk]) in page
    bad = io.BytesIO(b"GIF89a nonsense")
    bad.name = "x.png"
    response = client.post(reverse("marketplace:offer-photo-add", args=[offer.pk]), {"image": bad})
    assert response.status_code == 400
    client.post(reverse("marketplace:offer-photo-delete", args=[offer.pk, photo.pk]))
    assert offer.photos.count() == 0


# --- Tenant isolation ---------------------------------------------------------------------------
def test_others_edit_status_and_photo_pages_answer_404(client, brewery, farm, outsider, catalogue):
    offer = f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 100)
    need = f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 100)
    client.force_login(outsider.user)
    assert client.get(reverse("marketplace:offer-edit", args=[offer.pk])).status_code == 404
    assert (
        client.post(
            reverse("marketplace:offer-edit", args=[offer.pk]), _offer_post(outsider.site)
        ).status_code
        == 404
    )
    assert client.get(reverse("marketplace:need-edit", args=[need.pk])).status_code == 404
    assert (
        client.post(reverse("marketplace:offer-status", args=[offer.pk]), {"status": "closed"}).status_code
        == 404
    )
    assert (
        client.post(reverse("marketplace:offer-photo-add", args=[offer.pk]), {"image": _png()}).status_code
        == 404
    )
    offer.refresh_from_db()
    assert offer.status == "active"
    # A published offer of a verified company is readable, without the exact site.
    page = client.get(reverse("marketplace:offer", args=[offer.pk])).content.decode()
    assert "Edit" not in re.sub(r"<nav.*?</nav>", "", page, flags=re.S) or "offer-edit" not in page
    assert "Abay Ave 1" not in page and str(brewery.site.latitude) not in page
    assert _json_script(page, "listing-location") == {
        "lat": float(coarse_coordinate(brewery.site.latitude)),
        "lon": float(coarse_coordinate(brewery.site.longitude)),
        "exact": False,
        "label": "Almaty Brewery",
    }


def test_a_municipality_cannot_edit_a_companys_listing(client, brewery, municipality, catalogue):
    offer = f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 100)
    client.force_login(municipality.user)
    assert client.get(reverse("marketplace:offer-edit", args=[offer.pk])).status_code == 404
    page = client.get(reverse("marketplace:offer", args=[offer.pk])).content.decode()
    assert _json_script(page, "listing-location")["exact"] is True


def test_drafts_and_their_photos_stay_private(client, brewery, outsider, catalogue):
    from marketplace import services

    offer = f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 100, status="draft")
    photo = services.listing_photo_add(listing=offer, actor=brewery.user, image=_png())
    client.force_login(outsider.user)
    assert client.get(reverse("marketplace:offer", args=[offer.pk])).status_code == 404
    assert client.get(reverse("marketplace:photo", args=[photo.pk])).status_code == 404


def test_a_listing_cannot_use_another_organisations_site(client, brewery, farm, catalogue):
    client.force_login(brewery.user)
    response = client.post(reverse("marketplace:offer-create"), _offer_post(farm.site))
    assert response.status_code == 400 and Offer.objects.count() == 0


# --- Search ---------------------------------------------------------------------------------
def test_search_shows_others_sites_rounded_and_own_exact(client, brewery, farm, catalogue):
    f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 2000)
    f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 500, max_distance_km=80)
    client.force_login(farm.user)
    response = client.get(
        reverse("marketplace:search"),
        {"kind": "offers", "material": "brewers_spent_grain", "site": farm.site.pk, "radius_km": "50"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Almaty Brewery" in page and "km away" in page
    data = _json_script(page, "search-data")
    [point] = data["points"]
    assert point["exact"] is False and point["lat"] == 43.24 and point["lon"] in (76.94, 76.95)
    assert "43.238" not in page and "76.945" not in page
    assert data["origin"]["lat"] == pytest.approx(43.303)
    needs = _json_script(
        client.get(
            reverse("marketplace:search"), {"kind": "needs", "site": farm.site.pk, "radius_km": "10"}
        ).content.decode(),
        "search-data",
    )
    assert needs["points"][0]["exact"] is True and needs["points"][0]["lat"] == pytest.approx(43.303)


def test_search_by_radius_excludes_far_listings_and_has_an_empty_state(client, brewery, farm, catalogue):
    f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 2000)
    client.force_login(farm.user)
    page = client.get(
        reverse("marketplace:search"), {"kind": "offers", "site": farm.site.pk, "radius_km": "5"}
    ).content.decode()
    assert "No offers match" in page and _json_script(page, "search-data")["points"] == []
    page = client.get(
        reverse("marketplace:search"), {"kind": "offers", "category": "metals", "site": "", "radius_km": ""}
    ).content.decode()
    assert "No offers match" in page


def test_search_refuses_a_bad_radius_with_a_clear_message(client, farm, catalogue):
    client.force_login(farm.user)
    response = client.get(
        reverse("marketplace:search"), {"kind": "offers", "site": farm.site.pk, "radius_km": "5000"}
    )
    assert response.status_code == 400 and "less than or equal to 1000" in response.content.decode()


def test_search_paginates_and_keeps_the_query(client, brewery, farm, catalogue):
    for i in range(30):
        f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 100 + i)
    client.force_login(farm.user)
    page = client.get(
        reverse("marketplace:search"), {"kind": "offers", "site": farm.site.pk, "radius_km": "100"}
    ).content.decode()
    assert len(_json_script(page, "search-data")["points"]) == 25
    assert "radius_km=100" in page and "page=2" in page
    second = client.get(
        reverse("marketplace:search"),
        {"kind": "offers", "site": farm.site.pk, "radius_km": "100", "page": "2"},
    ).content.decode()
    assert len(_json_script(second, "search-data")["points"]) == 5


def test_search_hides_unverified_and_inactive_listings(client, brewery, farm, outsider, catalogue):
    f.make_offer(outsider.organisation, outsider.site, "brewers_spent_grain", 100)
    f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 100, status="paused")
    client.force_login(farm.user)
    page = client.get(
        reverse("marketplace:search"), {"kind": "offers", "site": "", "radius_km": ""}
    ).content.decode()
    assert _json_script(page, "search-data")["points"] == []


def test_the_first_visit_searches_around_my_first_site(client, brewery, farm, catalogue):
    f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 100)
    client.force_login(farm.user)
    data = _json_script(client.get(reverse("marketplace:search")).content.decode(), "search-data")
    assert data["origin"]["radius_km"] == 50 and len(data["points"]) == 1


# --- Factor sets ----------------------------------------------------------------------------
def test_companies_read_published_factor_sets_with_sources(client, brewery, catalogue):
    client.force_login(brewery.user)
    page = client.get(reverse("marketplace:factor-sets")).content.decode()
    assert catalogue.version in page
    detail = client.get(reverse("marketplace:factor-set", args=[catalogue.pk])).content.decode()
    factor = catalogue.factors.exclude(source_landfill="").first()
    assert factor.source_landfill[:30] in detail.replace("&#x27;", "'").replace("&quot;", '"')
    assert "Copy into a new draft" not in detail
    response = client.post(reverse("marketplace:factor-set-copy", args=[catalogue.pk]), {"version": "x"})
    assert response.status_code == 403 and FactorSet.objects.count() == 1


def test_the_municipality_copies_edits_compares_and_publishes(client, municipality, catalogue):
    client.force_login(municipality.user)
    response = client.post(reverse("marketplace:factor-set-copy", args=[catalogue.pk]), {"version": "2026.1"})
    draft = FactorSet.objects.get(version="2026.1")
    assert response.status_code == 302 and response.url == reverse("marketplace:factor-set", args=[draft.pk])
    assert draft.status == "draft" and draft.based_on == catalogue
    factor = draft.factors.get(material__key="brewers_spent_grain")
    edit_url = reverse("marketplace:factor-edit", args=[draft.pk, factor.pk])
    inline = client.get(edit_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'form="factor-form-' in inline and "source_landfill" not in inline
    row = client.post(
        edit_url,
        {
            "landfill_kg_per_t": "555.5",
            "substitution_kg_per_t": "300",
            "treatment_kg_per_t": "12",
            # The inline row posts every number it shows, the fate baselines unchanged.
            "open_burning_kg_per_t": "172.3",
            "incineration_kg_per_t": "14.9",
        },
        HTTP_HX_REQUEST="true",
    )
    assert row.status_code == 200 and "555.5" in row.content.decode()
    factor.refresh_from_db()
    assert factor.landfill_kg_per_t == Decimal("555.5") and factor.source_landfill  # sources kept
    bad = client.post(
        edit_url, {"landfill_kg_per_t": "1", "substitution_kg_per_t": "-4", "treatment_kg_per_t": "0"}
    )
    assert bad.status_code == 400 and "Must not be negative" in bad.content.decode()

    diff = client.get(
        reverse("marketplace:factor-set-diff"), {"a": catalogue.pk, "b": draft.pk}
    ).content.decode()
    assert "1 material differs" in diff
    assert re.search(r'data-material="brewers_spent_grain".*?data-changed="landfill_kg_per_t"', diff, re.S)
    assert diff.count('data-changed="') == 3  # landfill, substitution and treatment of one material

    response = client.post(reverse("marketplace:factor-set-publish", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published and draft.is_active
    assert factor_services.active_factor_set() == draft
    assert client.get(edit_url).status_code == 409
    response = client.post(
        edit_url, {"landfill_kg_per_t": "1", "substitution_kg_per_t": "1", "treatment_kg_per_t": "1"}
    )
    assert response.status_code == 409
    assert Factor.objects.get(pk=factor.pk).landfill_kg_per_t == Decimal("555.5")


def test_the_municipality_edits_a_drafts_set_wide_values_and_deletes_it(client, municipality, catalogue):
    draft = factor_services.factor_set_copy(source=catalogue, version="draft-x", actor=municipality.user)
    client.force_login(municipality.user)
    url = reverse("marketplace:factor-set-edit", args=[draft.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"road_freight_kg_per_tkm": "0.1", "gwp_ch4": "27.9", "gwp_basis": "AR6"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.road_freight_kg_per_tkm == Decimal("0.1") and draft.gwp_basis == "AR6"
    diff = client.get(
        reverse("marketplace:factor-set-diff"), {"a": catalogue.pk, "b": draft.pk}
    ).content.decode()
    assert 'data-changed="road_freight_kg_per_tkm"' in diff and "0 materials differ" in diff
    client.post(reverse("marketplace:factor-set-delete", args=[draft.pk]))
    assert not FactorSet.objects.filter(pk=draft.pk).exists()


def test_a_duplicate_version_is_refused_on_the_copy_form(client, municipality, catalogue):
    client.force_login(municipality.user)
    response = client.post(
        reverse("marketplace:factor-set-copy", args=[catalogue.pk]), {"version": catalogue.version}
    )
    assert response.status_code == 400 and "exists already" in response.content.decode()


def test_companies_never_see_drafts(client, brewery, municipality, catalogue):
    draft = factor_services.factor_set_copy(source=catalogue, version="secret-draft", actor=municipality.user)
    client.force_login(brewery.user)
    assert "secret-draft" not in client.get(reverse("marketplace:factor-sets")).content.decode()
    assert client.get(reverse("marketplace:factor-set", args=[draft.pk])).status_code == 404
    assert client.get(reverse("marketplace:factor-set-diff"), {"b": draft.pk}).status_code == 404


# --- Import ---------------------------------------------------------------------------------
def test_the_import_page_lists_every_problem_by_row(client, brewery, catalogue):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(brewery.user)
    csv = (
        b"kind,site,materials,quantity,unit,period,max_distance_km\n"
        b"offer,Almaty Brewery main site,brewers_spent_grain,-5,t,year,\n"
        b"need,Nowhere,bread_residues,10,t,year,\n"
    )
    response = client.post(
        reverse("marketplace:import"),
        {"file": SimpleUploadedFile("listings.csv", csv, content_type="text/csv")},
    )
    page = response.content.decode()
    assert response.status_code == 400 and "nothing was imported" in page
    assert '<td class="num">2</td>' in page and '<td class="num">3</td>' in page
    assert reverse("marketplace:mine") in page
    assert Offer.objects.count() == 0 and Need.objects.count() == 0


def test_status_buttons_are_exactly_the_transition_tables_moves():
    from types import SimpleNamespace

    from marketplace.models import ListingStatus
    from marketplace.services import STATUS_TRANSITIONS
    from marketplace.web.listings import status_actions

    for status in ListingStatus:
        buttons = [target for target, _label in status_actions(SimpleNamespace(status=status))]
        assert set(buttons) == STATUS_TRANSITIONS[status]
        assert buttons == sorted(buttons, key=list(ListingStatus).index)
    assert status_actions(SimpleNamespace(status=ListingStatus.CLOSED)) == []
