"""The accounts services' refusals answer in the user's language (ru, kk).

Found from outside: a site's name, its coordinates, its deletion and the public-profile
opt-in were refused in English whatever the language asked for.
"""

import pytest

from accounts.models import Site
from tests import factories

pytestmark = pytest.mark.django_db


def _ask(persona, method, url, data, language):
    return getattr(persona.client(), method)(url, data, format="json", HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize(
    ("language", "words"),
    [("ru", "уже есть площадка с таким названием"), ("kk", "атауы бар алаң бұрыннан бар")],
)
def test_a_second_site_of_the_same_name_is_refused_in_the_users_language(brewery, language, words):
    site = {"name": brewery.site.name.upper(), "latitude": "43.25", "longitude": "76.9"}
    response = _ask(brewery, "post", "/api/v1/sites/", site, language)
    assert response.status_code == 400
    assert words in response.json()["name"][0]
    assert Site.objects.filter(organisation=brewery.organisation).count() == 1
    english = _ask(brewery, "post", "/api/v1/sites/", site, "en").json()["name"]
    assert english == ["Your organisation already has a site with this name."]


def test_a_site_with_listings_is_kept_and_the_refusal_is_in_russian(brewery):
    factories.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 100)
    response = _ask(brewery, "delete", f"/api/v1/sites/{brewery.site.pk}/", None, "ru")
    assert response.status_code == 409 and "сначала закройте или перенесите" in response.json()["detail"]
    assert Site.objects.filter(pk=brewery.site.pk).exists()


def test_the_services_own_checks_are_translated_too(brewery):
    from django.utils import translation

    from accounts import services
    from accounts.errors import DomainError

    refusals = [
        (lambda: services.site_update(site=brewery.site, actor=brewery.user, latitude="95"), "от -90 до 90"),
        (
            lambda: services.organisation_public_profile_set(
                organisation=brewery.organisation, actor=brewery.user, public_profile="yes"
            ),
            "true или false",
        ),
        (lambda: services.site_update(site=brewery.site, actor=brewery.user, name=" "), "не может быть"),
    ]
    for refuse, words in refusals:
        with translation.override("ru"), pytest.raises(DomainError) as exc:
            refuse()
        assert words in exc.value.message
    brewery.site.refresh_from_db()
    assert brewery.site.latitude != 95 and brewery.site.name.strip()
