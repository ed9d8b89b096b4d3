"""The runs page's what-if form and the comparison page (issue 14 point 5)."""

import pytest
from django.test import Client

from matching.models import MatchRun

pytestmark = pytest.mark.django_db


def _client(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def test_the_municipality_runs_a_what_if_and_compares_it(
    grain_market, municipality, brewery, run_now, django_capture_on_commit_callbacks
):
    real = run_now()
    client = _client(municipality)
    page = client.get("/matching/runs/")
    assert b"Start a what-if run" in page.content and b"Compare two runs" in page.content
    form = {
        "objective": "divert_then_distance",
        "radius_factor": "1",
        "need_material": "brewers_spent_grain",
        "need_quantity": "500",
        "need_latitude": "43.24",
        "need_longitude": "76.95",
        "need_max_distance_km": "30",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/matching/runs/what-if/", form)
    dry = MatchRun.objects.get(dry_run=True)
    assert response.status_code == 302 and response["Location"] == f"/matching/runs/{dry.pk}/"
    detail = client.get(f"/matching/runs/{dry.pk}/").content.decode()
    assert f"/matching/runs/compare/?a={real.pk}&amp;b={dry.pk}" in detail
    compared = client.get("/matching/runs/compare/", {"a": real.pk, "b": dry.pk})
    text = compared.content.decode()
    assert compared.status_code == 200 and "Left in waste (t)" in text and "+500" in text
    assert "Hypothetical listings" not in text  # a hypothetical need supplies nothing
    # companies never see the what-if run nor the comparison
    company = _client(brewery)
    assert company.get(f"/matching/runs/{dry.pk}/").status_code == 404
    assert f"/matching/runs/{dry.pk}/" not in company.get("/matching/runs/").content.decode()
    assert company.get("/matching/runs/compare/").status_code == 403
    assert company.post("/matching/runs/what-if/", form).status_code == 403


def test_a_bad_what_if_form_is_400_with_the_reason(grain_market, municipality):
    client = _client(municipality)
    response = client.post(
        "/matching/runs/what-if/",
        {"objective": "divert_then_distance", "radius_factor": "1", "need_material": "brewers_spent_grain"},
    )
    assert response.status_code == 400 and b"parameters.extra_listings[0].quantity" in response.content
    assert not MatchRun.objects.exists()
