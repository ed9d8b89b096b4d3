"""The operator admin lists storage yards (issue 13)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace import storages


@pytest.fixture
def admin_client(client, django_user_model, db):
    user = django_user_model.objects.create_superuser("operator", "op@example.kz", "op-password-2026")
    client.force_login(user)
    return client


def test_the_storage_changelist_and_change_page_open(admin_client, brewery, catalogue):
    yard = storages.storage_create(
        organisation=brewery.organisation,
        actor=None,
        site=brewery.site.pk,
        materials=["straw"],
        capacity="50",
        unit="t",
        status="active",
    )
    assert admin_client.get(reverse("admin:marketplace_storage_changelist") + "?q=straw").status_code == 200
    assert admin_client.get(reverse("admin:marketplace_storage_change", args=[yard.pk])).status_code == 200
