"""Localisation at run time (issue 15, point 5): what a Russian or Kazakh reader sees is in their
language -- units and plural forms, activity names, access and not-found texts, run progress,
help texts, substitute names, map and chart words, dates and numbers, and e-mails.

Pages are rendered through the test client in each language and the translated text is asserted,
not merely the absence of English. Until the lead merges ``locale/_incoming/l10n.*.po`` into the
catalogue, the module loads those translations behind the compiled catalogue
(``tests/incoming_catalogue.py``).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.language import user_language, user_language_choose
from accounts.models import Event, User
from config.units import number_text, quantity_text
from matching import notifications, services
from matching.models import Deal, MatchRun, Proposal, RunStatus
from tests import factories as f
from tests.incoming_catalogue import incoming_translations

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def _incoming():
    with incoming_translations("l10n"):
        yield


def page(client, url: str, language: str, **kwargs) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def text_of(html: str) -> str:
    """The visible text: scripts dropped, tags removed, whitespace (incl. no-break) collapsed."""
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\xa0", " ")


@pytest.fixture
def bag_market(brewery, farm, municipality, run_now):
    """Jute bags, 3 000 a month, proposed in pieces (36 000 over the year's horizon)."""
    f.make_offer(brewery.organisation, brewery.site, "jute_bags", 3000, unit="piece", period="month")
    f.make_need(farm.organisation, farm.site, "jute_bags", 50000, unit="piece", max_distance_km=60)
    run = run_now()
    assert run.status == RunStatus.SUCCEEDED, run.error
    return Proposal.objects.get()


def agree(proposal, *personas) -> Deal:
    for persona in personas:
        services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=persona.user)
    return Deal.objects.get(proposal=proposal)


# --- 1. Units and plural forms ----------------------------------------------------------------


@pytest.mark.parametrize(
    "language, value, unit, expected",
    [
        ("en", 1, "piece", "1 piece"),
        ("en", 3000, "piece", "3 000 pieces"),
        ("ru", 1, "piece", "1 штука"),
        ("ru", 3, "piece", "3 штуки"),
        ("ru", 3000, "piece", "3 000 штук"),
        ("ru", 21, "piece", "21 штука"),
        ("kk", 3000, "piece", "3 000 дана"),
        ("en", "12.5", "t", "12.5 t"),
        ("ru", "12.5", "t", "12,5 т"),
        ("kk", "1500", "t", "1 500 т"),
        ("ru", "26.3", "km", "26,3 км"),
        ("kk", "5", "kg", "5 кг"),
        ("ru", "1234.5", "tkm", "1 234,5 т·км"),
    ],
)
def test_a_quantity_is_written_with_its_unit_and_plural_form(language, value, unit, expected):
    with translation.override(language):
        assert quantity_text(value, unit) == expected


def test_numbers_keep_their_decimals_as_asked():
    with translation.override("ru"):
        assert number_text("15.600") == "15,6"
        assert number_text("15.6", "1") == "15,6"
        assert number_text("2", "1") == "2,0"
        assert number_text("-0.04", "1") == "0,0"
    assert quantity_text(None, "t") == "" and quantity_text("", "piece") == ""


def test_proposals_show_pieces_tonnes_and_kilometres_in_the_readers_language(client, bag_market, brewery):
    client.force_login(brewery.user)
    ru = text_of(page(client, reverse("matching:proposals"), "ru"))
    assert "36 000 штук" in ru  # the table cell
    assert "36 000 штук — джутовые мешки" in ru  # the proposal's sentence
    assert "заменяет: новый джутовый мешок" in ru and "предотвращает 81,8 т CO₂e в год" in ru
    assert " км" in ru and " т" in ru
    assert not re.search(r"\d piece", ru) and not re.search(r"\d (km|t)\b", ru)
    kk = text_of(page(client, reverse("matching:proposal", args=[bag_market.pk]), "kk"))
    assert "36 000 дана" in kk and not re.search(r"\d pieces?\b", kk)
    en = text_of(page(client, reverse("matching:proposals"), "en"))
    assert "36 000 pieces" in en and "replaces new jute sack" in en


def test_the_deal_email_and_the_transfer_act_use_the_same_words(
    bag_market, brewery, farm, client, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=farm.user.pk).update(language="ru")
    services.proposal_accept(proposal=bag_market, actor=brewery.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_accept(proposal=Proposal.objects.get(), actor=farm.user)
    deal = Deal.objects.get()
    to_farm = next(m for m in mail.outbox if farm.user.email in m.to)
    assert "36 000 штук" in to_farm.body
    delivery = services.delivery_record(
        deal=deal, actor=brewery.user, date=timezone.localdate(), quantity="500"
    )
    client.force_login(brewery.user)
    act = text_of(page(client, reverse("reports:delivery-act", args=[delivery.pk]), "ru"))
    assert "500 штук" in act and "36 000 штук" in act and " т" in act
    assert not re.search(r"\d (t|km|pieces?)\b", act)


# --- 2. Activity by its label, not its code ---------------------------------------------------------


def test_activity_pages_show_labels_and_object_kinds_not_codes(client, grain_market, municipality, run_now):
    run_now()
    assert Event.objects.filter(action="match_run.started").exists()
    client.force_login(municipality.user)
    html = page(client, reverse("accounts:events"), "ru")
    body = text_of(html)
    assert "Расчёт подбора запущен" in body and "Расчёт подбора #" in body
    assert "match_run.started" not in body and "matching.matchrun" not in body
    org = text_of(page(client, reverse("accounts:organisation", args=[municipality.organisation.pk]), "kk"))
    assert "match_run.started" not in org


def test_the_event_admin_lists_actions_by_label():
    from accounts.admin import EventAdmin

    event = Event(action="deal.agreed", object_type="matching.deal", object_id="1")
    with translation.override("ru"):
        assert EventAdmin.action_display(None, event) == "Сделка согласована"
        assert event.object_label == "Сделка"
    assert Event(object_type="nothing.here").object_label == "nothing.here"


# --- 3. Access and not-found texts ------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, not_found, not_allowed",
    [("ru", "Не найдено", "Доступ запрещён"), ("kk", "Табылмады", "Рұқсат жоқ")],
)
def test_not_found_and_not_allowed_pages_and_api_answers_are_translated(
    client, brewery, language, not_found, not_allowed
):
    client.force_login(brewery.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and not_found in missing.content.decode()
    assert "Not found" not in missing.content.decode()
    listing = client.get(reverse("marketplace:offer", args=[987654]))
    assert listing.status_code == 404 and not_found in listing.content.decode()
    refused = client.get(reverse("accounts:verification-queue"))
    assert refused.status_code == 403 and not_allowed in refused.content.decode()
    api = client.get("/api/v1/offers/987654/", HTTP_ACCEPT_LANGUAGE=language)
    assert api.status_code == 404 and api.json()["detail"].startswith(not_found)


@pytest.mark.parametrize("language, words", [("ru", "ключ безопасности"), ("kk", "қауіпсіздік кілті")])
def test_a_form_with_an_expired_token_is_refused_in_the_readers_language(brewery, language, words):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(brewery.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(reverse("marketplace:offer-create"), {"material": "whey"})
    assert response.status_code == 403
    body = response.content.decode()
    assert words in body and "CSRF verification failed" not in body and "<main" in body
    api = client.post("/api/v1/offers/", {}, content_type="application/json")
    assert api.status_code == 403 and words in api.json()["detail"]


# --- 4. Run progress ----------------------------------------------------------------------------------


def test_run_progress_is_shown_by_stage_in_the_readers_language(client, municipality):
    from matching.progress_labels import progress_message

    run = MatchRun.objects.create(
        status=RunStatus.RUNNING,
        created_by=municipality.user,
        factor_set=f.ensure_factor_set(),
        horizon_start=timezone.localdate(),
        progress=20,
        progress_message=progress_message("solving", offers=1, needs=3),
    )
    client.force_login(municipality.user)
    ru = text_of(page(client, reverse("matching:run", args=[run.pk]), "ru"))
    assert "Решение: 1 предложение × 3 потребности" in ru and "Solving" not in ru
    MatchRun.objects.filter(pk=run.pk).update(
        progress_message=progress_message("parts_done", done=3, total=4)
    )
    kk = text_of(page(client, reverse("matching:run", args=[run.pk]), "kk", HTTP_HX_REQUEST="true"))
    assert "Шешілген бөліктер: 4 ішінен 3" in kk
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    api = client.get(f"/api/v1/match-runs/{run.pk}/")
    assert api.status_code == 200 and api.json()["progress_message"] == "Решено частей: 3 из 4"


def test_every_stage_has_a_translation_with_its_plural_forms():
    from matching.progress_labels import STAGES, stage_text

    values = {"offers": "5", "needs": "2", "proposals": "21", "parts": "3", "done": "1", "total": "3"}
    values["attempts"] = "3"
    for language in ("ru", "kk"):
        with translation.override(language):
            for stage, english in STAGES.items():
                shown = stage_text(stage, values)
                assert shown and shown != english % values, (language, stage, shown)
    with translation.override("ru"):
        assert stage_text("writing", {"proposals": "21"}) == "Запись 21 предложения"
        assert stage_text("writing", {"proposals": "7000"}) == "Запись 7 000 предложений"


# --- 5. Help texts and substitute names ---------------------------------------------------------------


def test_the_photo_help_text_follows_the_readers_language(client, brewery):
    f.ensure_factor_set()
    client.force_login(brewery.user)
    ru = text_of(page(client, reverse("marketplace:offer-create"), "ru"))
    assert "JPEG, PNG или WebP" in ru or "не более 5 МБ" in ru
    assert "per listing" not in ru and "at most 5 MB each" not in ru
    en = text_of(page(client, reverse("marketplace:offer-create"), "en"))
    assert "at most 5 MB each and" in en


def test_substitute_names_in_proposal_sentences_are_translated(client, grain_market, brewery, run_now):
    run_now()
    client.force_login(brewery.user)
    ru = text_of(page(client, reverse("matching:proposals"), "ru"))
    assert "заменяет: зерно ячменя + соевый шрот на корм" in ru
    assert "Barley grain" not in ru and "barley grain" not in ru
    kk = text_of(page(client, reverse("matching:proposals"), "kk"))
    assert "арпа дәні + соя шроты" in kk
    en = text_of(page(client, reverse("matching:proposals"), "en"))
    assert "replaces barley grain + soybean meal feed" in en


def test_the_substitute_catalogue_covers_every_material_of_the_factor_file():
    import csv

    from marketplace.substitute_names import substitute_name, substitute_names

    with (ROOT / "marketplace" / "data" / "flow-factors.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    names = substitute_names()
    for row in rows:
        key, english = row["material_key"], row["substituted_virgin_material"]
        assert key in names, key
        assert names[key]["en"] == english, key
        for language in ("ru", "kk"):
            assert names[key][language] and substitute_name(key, english, language) != english
    # A factor set that words it differently keeps its own text until the file catches up.
    assert substitute_name("whey", "Something else entirely", "ru") == "Something else entirely"


# --- 6. Map controls and chart words ----------------------------------------------------------------


def test_pages_hand_translated_map_and_chart_words_to_their_scripts(
    client, grain_market, municipality, run_now
):
    import json

    run_now()
    client.force_login(municipality.user)
    html = page(client, reverse("matching:dashboard"), "ru")
    found = re.search(r'<script id="qaita-l10n" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the page carries its words for scripts"
    words = json.loads(found.group(1))
    assert words["locale"] == "ru" and words["decimal"] == ","
    assert words["map"]["zoom_in"] == "Приблизить" and words["map"]["zoom_out"] == "Отдалить"
    assert words["units"]["t"] == "т" and words["units"]["km"] == "км"
    # Leaflet takes the words before any map is made: leaflet-l10n.js right after leaflet.js.
    assert re.search(
        r"vendor/leaflet/leaflet\.js\"></script>\s*<script src=\"[^\"]*js/leaflet-l10n\.js", html
    )
    assert html.index("js/l10n.js") < html.index("js/dashboard.js")


def test_no_page_script_writes_english_units_or_control_names():
    for name in ("dashboard.js", "monitor.js", "marketplace.js"):
        source = (ROOT / "static" / "js" / name).read_text(encoding="utf-8")
        assert not re.search(r'name: "t|\["t|"t CO₂e"|" t[ ,"]|" km"|title: "new"|alt: "new"', source), name
        assert "toLocaleString()" not in source, name
    leaflet = (ROOT / "static" / "js" / "leaflet-l10n.js").read_text(encoding="utf-8")
    assert "zoomInTitle" in leaflet and "zoomOutTitle" in leaflet and "prefix" in leaflet
    for template in ROOT.joinpath("templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if "vendor/leaflet/leaflet.js" in text:
            assert "js/leaflet-l10n.js" in text, template


# --- 7. Dates and numbers per language; the date inputs ------------------------------------------------


def test_dates_are_day_first_in_every_language():
    day = datetime.date(2026, 12, 1)
    with translation.override("en"):
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "01.12.2026"
        assert formats.date_format(day) == "1 December 2026"
    with translation.override("kk"):
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "01.12.2026"
        assert formats.date_format(day) == "01.12.2026"
        assert formats.number_format("1234.5", 1) == "1234,5"
    with translation.override("ru"):
        assert formats.date_format(day) == "1 декабря 2026 г."


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_a_day_first_date_and_an_iso_date_are_both_accepted(language, brewery):
    from matching.forms import DeliveryForm

    deal = Deal(unit="t")
    with translation.override(language):
        for value in ("01.12.2026", "2026-12-01"):
            form = DeliveryForm({"date": value, "mass_t": "1.5"}, deal=deal)
            assert form.is_valid(), (value, form.errors)
            assert form.cleaned_data["date"] == datetime.date(2026, 12, 1)
        assert not DeliveryForm({"date": "12/01/2026", "mass_t": "1"}, deal=deal).is_valid()


def test_date_inputs_carry_iso_values_on_a_russian_page(client, grain_market, brewery, farm, run_now):
    run_now()
    deal = agree(Proposal.objects.get(), brewery, farm)
    client.force_login(brewery.user)
    html = page(client, reverse("matching:deal", args=[deal.pk]), "ru")
    inputs = re.findall(r'<input[^>]*type="date"[^>]*>', html)
    assert inputs
    for tag in inputs:
        value = re.search(r'value="([^"]*)"', tag)
        assert value is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.group(1)), tag
    # The Russian date a person types is accepted by the page's form as well.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = client.post(reverse("matching:deal", args=[deal.pk]), {"date": "01.12.2026", "mass_t": "2"})
    assert response.status_code in (200, 302), response.status_code
    assert deal.deliveries.get().date == datetime.date(2026, 12, 1)


# --- 8. E-mails in the recipient's language --------------------------------------------------------


def test_sign_up_starts_the_email_language_at_the_page_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    kind = "company"
    response = client.post(
        reverse("signup"),
        {
            "username": "zhanar",
            "email": "zhanar@example.kz",
            "password": "a-long-enough-pass-2026",
            "organisation_name": "Zhanar Recycling",
            "kind": kind,
            "sector": "industry",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="zhanar").language == "kk"


def test_the_profile_choice_holds_whatever_the_site_is_browsed_in(client, brewery):
    client.force_login(brewery.user)
    html = text_of(page(client, reverse("accounts:profile"), "ru"))
    assert "Язык писем" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = client.post(reverse("accounts:profile"), {"language": "kk"})
    assert response.status_code == 302
    brewery.user.refresh_from_db()
    assert (brewery.user.language, brewery.user.language_chosen) == ("kk", True)
    client.get(reverse("matching:proposals"), HTTP_ACCEPT_LANGUAGE="ru")  # browsing in Russian
    brewery.user.refresh_from_db()
    assert user_language(brewery.user) == "kk"
    refused = client.post(reverse("accounts:profile"), {"language": "de"})
    assert refused.status_code == 400
    brewery.user.refresh_from_db()
    assert brewery.user.language == "kk"


def test_emails_are_rendered_in_the_chosen_language(grain_market, brewery, farm, run_now):
    user_language_choose(user=farm.user, language="kk")
    User.objects.filter(pk=brewery.user.pk).update(language="ru")
    mail.outbox.clear()
    run = run_now()
    notifications.new_proposals(run_id=run.pk)
    to_farm = [m for m in mail.outbox if farm.user.email in m.to]
    to_brewery = [m for m in mail.outbox if brewery.user.email in m.to]
    assert to_farm and to_brewery
    assert all("ұсыныс" in m.subject for m in to_farm)
    assert all("предлож" in m.subject for m in to_brewery)


def test_an_unknown_language_is_refused_by_the_service(brewery):
    from accounts.errors import DomainError

    with pytest.raises(DomainError):
        user_language_choose(user=brewery.user, language="ru-RU")
    brewery.user.refresh_from_db()
    assert brewery.user.language_chosen is False
