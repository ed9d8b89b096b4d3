"""Ids and numbers beyond what the database stores are the request's fault: 400/404, never 500."""

import pytest

pytestmark = pytest.mark.django_db

HUGE = "15393001653332400128"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/needs/?organisation={HUGE}",
        f"/api/v1/offers/?organisation={HUGE}",
        f"/api/v1/proposals/?run={HUGE}",
        f"/api/v1/offers/{HUGE}/",
        f"/api/v1/sites/{HUGE}/",
        f"/api/v1/organisations/{HUGE}/",
        f"/api/v1/deals/{HUGE}/",
    ],
)
def test_a_huge_id_is_a_client_error(brewery, url):
    response = brewery.client().get(url)
    # SQLite cannot even bind such an integer (400); PostgreSQL compares it and finds nothing.
    assert response.status_code in (200, 400, 404), (url, response.status_code)
    if response.status_code == 200:
        assert response.json()["results"] == []


@pytest.mark.parametrize(
    "url", [f"/matching/deals/{HUGE}/", f"/accounts/sites/{HUGE}/edit/", f"/photos/{HUGE}/"]
)
def test_a_huge_id_in_a_page_address_is_not_a_server_error(client, brewery, url):
    client.force_login(brewery.user)
    assert client.get(url).status_code in (400, 404)
