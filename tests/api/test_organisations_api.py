import pytest

pytestmark = pytest.mark.django_db


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_a_company_sees_verified_organisations_and_its_own_but_not_unverified_others(brewery, farm, outsider):
    listed = ids(brewery.client().get("/api/v1/organisations/"))
    assert {brewery.organisation.id, farm.organisation.id} <= listed
    assert outsider.organisation.id not in listed
    assert brewery.client().get(f"/api/v1/organisations/{outsider.organisation.id}/").status_code == 404


def test_the_outsider_sees_its_own_unverified_organisation(outsider):
    assert outsider.client().get(f"/api/v1/organisations/{outsider.organisation.id}/").status_code == 200


def test_the_municipality_sees_every_organisation(municipality, brewery, outsider):
    listed = ids(municipality.client().get("/api/v1/organisations/"))
    assert {brewery.organisation.id, outsider.organisation.id, municipality.organisation.id} <= listed


def test_organisations_can_be_filtered_by_verification(municipality, brewery, outsider):
    listed = ids(municipality.client().get("/api/v1/organisations/?verified=false"))
    assert listed == {outsider.organisation.id}


def test_verify_of_an_unknown_organisation_is_404(municipality):
    assert municipality.client().post("/api/v1/organisations/999999/verify/").status_code == 404
    assert municipality.client().post("/api/v1/organisations/abc/verify/").status_code == 404


def test_verification_can_be_withdrawn_and_is_audited(municipality, brewery):
    from accounts.models import Event

    response = municipality.client().post(
        f"/api/v1/organisations/{brewery.organisation.id}/verify/", {"verified": False}, format="json"
    )
    assert response.status_code == 200 and response.json()["verified"] is False
    assert Event.objects.filter(
        action="organisation.unverified", object_id=str(brewery.organisation.id)
    ).exists()
