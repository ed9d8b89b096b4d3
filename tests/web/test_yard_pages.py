"""Issue 13 pages: storage yards (list, create, edit, status), the need form's recipe and its
compost preset, and the proposal page's schedule and yard acceptance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from marketplace import storages
from marketplace.models import Need, Storage
from matching import engine, runs
from matching.models import Proposal
from tests import factories as f
from tests.conftest import _persona
from tests.yards import solution_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    return f.ensure_factor_set()


def need_post(site, **overrides):
    values = {
        "materials": ["chicken_manure", "straw", "cattle_manure"],
        "quantity": "300",
        "unit": "t",
        "period": "year",
        "max_distance_km": "80",
        "site": str(site.pk),
        "publish": "on",
    }
    values.update(overrides)
    return values


def test_a_need_is_posted_with_a_recipe_from_the_form(client, farm, catalogue):
    client.force_login(farm.user)
    response = client.post(
        reverse("marketplace:need-create"),
        need_post(
            farm.site,
            recipe_c_to_n_min="25",
            recipe_c_to_n_max="30",
            recipe_moisture_min="50",
            recipe_moisture_max="60",
            recipe_shares="straw 0.1 0.5\n",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    need = Need.objects.get()
    assert need.recipe == {
        "c_to_n": ["25", "30"],
        "moisture_pct": ["50", "60"],
        "shares": [{"material": "straw", "min": "0.1", "max": "0.5"}],
    }
    page = client.get(reverse("marketplace:need", args=[need.pk])).content.decode()
    assert "data-recipe" in page and "25–30" in page
    edit = client.get(reverse("marketplace:need-edit", args=[need.pk])).content.decode()
    assert 'name="recipe_c_to_n_min"' in edit and "straw 0.1 0.5" in edit


def test_the_compost_preset_fills_the_recipe_without_saving(client, farm, catalogue):
    client.force_login(farm.user)
    response = client.post(reverse("marketplace:need-create"), need_post(farm.site, recipe_preset="compost"))
    assert response.status_code == 200 and not Need.objects.exists()
    page = response.content.decode()
    assert "Compost (C:N 25–30, moisture 50–60 %)" in page
    for name, value in (
        ("recipe_c_to_n_min", "25"),
        ("recipe_c_to_n_max", "30"),
        ("recipe_moisture_min", "50"),
        ("recipe_moisture_max", "60"),
    ):
        assert f'name="{name}" value="{value}"' in page
    assert 'value="300"' in page  # what was typed stays


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"recipe_c_to_n_min": "30", "recipe_c_to_n_max": "25"}, "low end is above"),
        ({"recipe_c_to_n_min": "25"}, "both ends"),
        ({"recipe_shares": "straw 0.5"}, "Line 1"),
        ({"recipe_shares": "bricks 0 0.5"}, "not among"),
    ],
)
def test_a_bad_recipe_is_shown_and_nothing_is_saved(client, farm, catalogue, fields, words):
    client.force_login(farm.user)
    response = client.post(reverse("marketplace:need-create"), need_post(farm.site, **fields))
    assert response.status_code == 400 and not Need.objects.exists()
    assert words in response.content.decode()


def test_a_bad_end_of_a_range_gets_its_own_error_alone(client, farm, catalogue):
    client.force_login(farm.user)
    fields = {"recipe_c_to_n_min": "25", "recipe_c_to_n_max": "1e12"}
    response = client.post(reverse("marketplace:need-create"), need_post(farm.site, **fields))
    assert response.status_code == 400 and not Need.objects.exists()
    form = response.context["form"]
    assert form.errors["recipe_c_to_n_max"] and "recipe_c_to_n_min" not in form.errors
    assert "Give both ends of the range." not in str(form.errors)


def storage_post(site, **overrides):
    values = {
        "site": str(site.pk),
        "materials": ["precast_concrete_panel"],
        "capacity": "400",
        "unit": "piece",
        "available_from": "2027-05-01",
        "available_until": "2027-12-31",
        "publish": "on",
    }
    values.update(overrides)
    return values


def test_a_company_creates_edits_and_pauses_a_yard(client, brewery, farm, catalogue):
    client.force_login(brewery.user)
    assert client.get(reverse("marketplace:storages")).status_code == 200
    assert client.get(reverse("marketplace:storage-create")).status_code == 200
    response = client.post(reverse("marketplace:storage-create"), storage_post(brewery.site))
    assert response.status_code == 302
    storage = Storage.objects.get()
    assert storage.status == "active" and storage.capacity == Decimal(400) and storage.unit == "piece"
    listing = client.get(reverse("marketplace:storages")).content.decode()
    assert f'data-storage="{storage.pk}"' in listing
    edit_url = reverse("marketplace:storage-edit", args=[storage.pk])
    assert 'value="400' in client.get(edit_url).content.decode()
    response = client.post(edit_url, storage_post(brewery.site, capacity="250", accept_automatically="on"))
    assert response.status_code == 302
    storage.refresh_from_db()
    assert storage.capacity == Decimal(250) and storage.accept_automatically
    client.post(reverse("marketplace:storage-status", args=[storage.pk]), {"status": "paused"})
    storage.refresh_from_db()
    assert storage.status == "paused"
    # another company neither sees it in its list nor edits it
    client.force_login(farm.user)
    assert f'data-storage="{storage.pk}"' not in client.get(reverse("marketplace:storages")).content.decode()
    assert client.get(edit_url).status_code == 404
    assert (
        client.post(
            reverse("marketplace:storage-status", args=[storage.pk]), {"status": "closed"}
        ).status_code
        == 404
    )


def test_a_bad_yard_is_shown_on_its_field(client, brewery, catalogue):
    client.force_login(brewery.user)
    response = client.post(
        reverse("marketplace:storage-create"), storage_post(brewery.site, materials=["straw"], unit="piece")
    )
    assert response.status_code == 400 and not Storage.objects.exists()
    assert "holds piece materials only" in response.content.decode()


def test_the_proposal_page_shows_the_schedule_the_yard_and_the_yards_accept_button(
    client, brewery, farm, municipality, catalogue
):
    owner = _persona("yardkeeper", "Alatau Storage Yard", sector="construction", lat="43.27", lon="77.05")
    offer = f.make_offer(
        brewery.organisation, brewery.site, "precast_concrete_panel", 40, unit="piece", period="once"
    )
    need = f.make_need(
        farm.organisation, farm.site, ["precast_concrete_panel"], 40, unit="piece", period="once"
    )
    yard = storages.storage_create(
        organisation=owner.organisation,
        actor=owner.user,
        site=owner.site.pk,
        materials=["precast_concrete_panel"],
        capacity="100",
        unit="piece",
        status="active",
    )
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    token = runs.claim(run_id=run.pk, worker="test")
    assert token is not None
    flow = engine.Flow(
        offer_id=offer.pk,
        need_id=need.pk,
        material="precast_concrete_panel",
        quantity=40,
        unit="piece",
        mass_kg=40_000,
        distance_km=20.0,
        schedule=((date(2027, 9, 1), 40),),
        via_storage=yard.pk,
        storage_schedule=((date(2027, 6, 1), 40),),
    )
    solution = solution_of((flow,))
    assert runs.write_results(
        run=run, token=token, solution=solution, destinations={offer.pk: "landfill"}, seconds=0.1
    )
    proposal = Proposal.objects.get()
    client.force_login(owner.user)
    page = client.get(reverse("matching:proposal", args=[proposal.pk])).content.decode()
    assert f'data-via-storage="{yard.pk}"' in page and "data-schedule" in page and "2027-09-01" in page
    assert "Accept for the storage yard" in page
    client.post(reverse("matching:proposal-accept", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.storage_accepted_at is not None
    again = client.get(reverse("matching:proposal", args=[proposal.pk])).content.decode()
    assert "Accept for the storage yard" not in again and "accepted by the yard" in again
