"""Factor-set pages with fate baselines: the numbers with their sources, the copy/edit/diff flow."""

from __future__ import annotations

import html as html_lib
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from marketplace import factor_services
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    return f.ensure_factor_set()


def page(client, persona, name, *args, **params) -> str:
    client.force_login(persona.user)
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200
    return html_lib.unescape(response.content.decode())


def straw_row(text: str) -> str:
    rows = re.findall(r'<tr id="factor-\d+">.*?</tr>', text, re.S)
    matches = [row for row in rows if '<small class="muted">straw · ' in row]
    assert len(matches) == 1, "no straw row"
    return matches[0]


def test_a_published_set_shows_every_fates_factor_next_to_its_source(client, brewery, catalogue):
    text = page(client, brewery, "marketplace:factor-set", catalogue.pk)

    row = straw_row(text)
    assert "67.6" in row and "14.9" in row
    assert (
        '<p data-source="fates"><strong>Open burning and incineration:</strong> Open burning in the field'
        in row
    )
    assert "Impact method" in text and "a baseline for every fate" in text


def test_the_municipality_edits_a_drafts_fates_and_the_diff_shows_numbers_and_source(
    client, municipality, catalogue
):
    draft = factor_services.factor_set_copy(source=catalogue, version="fates-draft", actor=municipality.user)
    straw = draft.factors.get(material__key="straw")
    client.force_login(municipality.user)
    edit_url = reverse("marketplace:factor-edit", args=[draft.pk, straw.pk])
    form = client.get(edit_url).content.decode()
    assert 'name="source_fates"' in form and 'name="open_burning_kg_per_t"' in form

    response = client.post(
        edit_url,
        {
            "landfill_kg_per_t": "3471",
            "substitution_kg_per_t": "0",
            "treatment_kg_per_t": "0",
            "open_burning_kg_per_t": "70",
            "incineration_kg_per_t": "",
            "source_landfill": straw.source_landfill,
            "source_substitution": straw.source_substitution,
            "source_fates": "Field survey 2026",
            "notes": straw.notes,
        },
    )

    assert response.status_code == 302
    straw.refresh_from_db()
    assert (straw.open_burning_kg_per_t, straw.incineration_kg_per_t) == (Decimal("70"), None)
    diff = page(client, municipality, "marketplace:factor-set-diff", a=catalogue.pk, b=draft.pk)
    assert "1 material differs" in diff
    changed = set(re.findall(r'data-changed="([a-z_]+)"', diff))
    assert changed == {"open_burning_kg_per_t", "incineration_kg_per_t", "source_fates"}
    assert "<ins>Field survey 2026</ins>" in diff


def test_a_negative_fate_factor_is_a_400_naming_the_field(client, municipality, catalogue):
    draft = factor_services.factor_set_copy(source=catalogue, version="fates-bad", actor=municipality.user)
    straw = draft.factors.get(material__key="straw")
    client.force_login(municipality.user)

    response = client.post(
        reverse("marketplace:factor-edit", args=[draft.pk, straw.pk]),
        {"substitution_kg_per_t": "0", "treatment_kg_per_t": "0", "open_burning_kg_per_t": "-1"},
    )

    assert response.status_code == 400 and "Must not be negative" in response.content.decode()
    straw.refresh_from_db()
    assert straw.open_burning_kg_per_t == Decimal("67.6")
