"""The operator admin: every marketplace page opens; published factor sets are read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace.factor_services import factor_set_copy
from marketplace.models import FactorSet
from tests.marketplace.helpers import make_need, make_offer


@pytest.fixture
def admin_client(client, django_user_model, db):
    user = django_user_model.objects.create_superuser("operator", "op@example.kz", "op-password-2026")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["material", "factorset", "factor", "offer", "need", "listingphoto"])
def test_every_marketplace_changelist_opens_with_search_and_filters(
    admin_client, brewery, farm, catalogue, model
):
    make_offer(brewery)
    make_need(farm)
    response = admin_client.get(reverse(f"admin:marketplace_{model}_changelist") + "?q=grain")
    assert response.status_code == 200


def test_a_published_factor_set_is_read_only_in_the_admin(admin_client, municipality, catalogue):
    published = FactorSet.objects.get(is_active=True)
    url = reverse("admin:marketplace_factorset_change", args=[published.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="_save"' not in page
    response = admin_client.post(url, {"version": "hacked", "gwp_ch4": "1", "road_freight_kg_per_tkm": "0"})
    assert response.status_code == 403
    published.refresh_from_db()
    assert published.version != "hacked"
    draft = factor_set_copy(source=published, version="draft", actor=municipality.user)
    draft_page = admin_client.get(
        reverse("admin:marketplace_factorset_change", args=[draft.pk])
    ).content.decode()
    assert 'name="_save"' in draft_page


def test_offer_and_need_change_pages_open(admin_client, brewery, farm, catalogue):
    offer, need = make_offer(brewery), make_need(farm)
    assert admin_client.get(reverse("admin:marketplace_offer_change", args=[offer.pk])).status_code == 200
    assert admin_client.get(reverse("admin:marketplace_need_change", args=[need.pk])).status_code == 200
