"""The printable impact report and transfer acts: access, languages, and real PDFs."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from matching.reports import pdf
from tests import factories as f

pytestmark = pytest.mark.django_db

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="needs poppler-utils (pdftoppm, pdftotext)",
)


def logged_in(client, persona_or_user):
    client.force_login(getattr(persona_or_user, "user", persona_or_user))
    return client


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, timeout=60
    ).stdout.decode("utf-8")


def first_page_png(content: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(tmp_path / "page"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return tmp_path / "page.png"


def assert_not_blank(png: Path) -> None:
    from PIL import Image

    assert png.stat().st_size > 5_000
    with Image.open(png) as image:
        grey = image.convert("L")
        assert grey.size[0] > 300 and grey.size[1] > 400  # A4 at 50 dpi is 413 × 585
        dark = sum(grey.histogram()[:128])
        assert dark > 2_000, "the page is (almost) blank"


# --- The HTML page --------------------------------------------------------------------------


def test_the_municipality_sees_the_city_report(client, city, municipality):
    page = logged_in(client, municipality).get(reverse("reports:impact"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Almaty industrial symbiosis" in html
    assert city.grain_deal.factor_set.version in html
    for text in (
        "By material",
        "By supplying sector",
        "Method",
        "Road freight",
        "GWP basis",
        "Landfill method",
    ):
        assert text in html


def test_a_company_gets_the_report_of_its_own_flows(client, city, brewery):
    html = logged_in(client, brewery).get(reverse("reports:impact")).content.decode()
    assert "Almaty Brewery" in html
    assert "Precast" not in html and "spent grain" in html


def test_someone_without_a_company_is_refused_and_anonymous_must_log_in(client, city):
    assert client.get(reverse("reports:impact")).status_code == 302
    lonely = f.make_user("lonely")
    assert logged_in(client, lonely).get(reverse("reports:impact")).status_code == 403
    assert client.get(reverse("reports:impact-pdf")).status_code == 403


def test_bad_report_parameters_are_a_400_page(client, city, municipality):
    response = logged_in(client, municipality).get(reverse("reports:impact"), {"from": "2025-02-30"})
    assert response.status_code == 400
    assert logged_in(client, municipality).get(reverse("reports:impact"), {"basis": "x"}).status_code == 400


def test_the_page_comes_in_russian_on_request(client, city, municipality):
    html = logged_in(client, municipality).get(reverse("reports:impact"), {"lang": "ru"}).content.decode()
    assert '<html lang="ru">' in html
    assert "Пивная дробина" in html  # the catalogue's Russian name


# --- PDFs -----------------------------------------------------------------------------------


@needs_poppler
def test_the_municipal_report_renders_to_a_pdf_with_its_factor_set(client, city, municipality, tmp_path):
    response = logged_in(client, municipality).get(reverse("reports:impact-pdf"), {"basis": "delivered"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert city.grain_deal.factor_set.version in text
    assert "Headline figures" in text
    assert "500.0 t" in text  # the delivered tonnes, the headline of the delivered basis
    assert_not_blank(first_page_png(response.content, tmp_path))


@needs_poppler
def test_the_russian_report_pdf_renders_cyrillic(client, city, municipality, tmp_path):
    response = logged_in(client, municipality).get(reverse("reports:impact-pdf"), {"lang": "ru"})
    text = pdf_text(response.content, tmp_path)
    assert "Пивная дробина" in text
    assert city.grain_deal.factor_set.version in text


@needs_poppler
def test_a_transfer_act_renders_with_parties_material_and_factor_set(client, city, farm, tmp_path):
    delivery = city.deliveries[0]
    response = logged_in(client, farm).get(reverse("reports:delivery-act-pdf", args=[delivery.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    for expected in (
        "Almaty Brewery",
        "Talgar Dairy Farm",
        "02 07 04",
        "400.000",
        city.grain_deal.factor_set.version,
        "Abay Ave 1",
        "Signature",
    ):
        assert expected in text, expected
    assert_not_blank(first_page_png(response.content, tmp_path))


@needs_poppler
def test_a_transfer_act_comes_in_russian(client, city, brewery, tmp_path):
    delivery = city.deliveries[0]
    response = logged_in(client, brewery).get(
        reverse("reports:delivery-act-pdf", args=[delivery.pk]), {"lang": "ru"}
    )
    assert "Пивная дробина" in pdf_text(response.content, tmp_path)


def test_only_the_parties_and_the_municipality_see_an_act(
    client, city, brewery, farm, municipality, outsider
):
    delivery = city.deliveries[0]
    for persona in (brewery, farm, municipality):
        page = logged_in(client, persona).get(reverse("reports:delivery-act", args=[delivery.pk]))
        assert page.status_code == 200
    for user in (outsider.user, city.road_builder.user):
        client.force_login(user)
        assert client.get(reverse("reports:delivery-act", args=[delivery.pk])).status_code == 404
        assert client.get(reverse("reports:delivery-act-pdf", args=[delivery.pk])).status_code == 404


def test_the_act_page_shows_the_exact_addresses_to_the_parties(client, city, farm):
    page = logged_in(client, farm).get(reverse("reports:delivery-act", args=[city.deliveries[0].pk]))
    html = page.content.decode()
    assert "Abay Ave 1" in html and "43.238000" in html.replace(",", ".")


def test_the_pdf_renderer_fetches_nothing_but_inline_data():
    fetcher = pdf._fetcher()
    for url in (
        "https://example.com/logo.png",
        "http://127.0.0.1:8000/static/css/qaita.css",
        "file:///etc/passwd",
        "ftp://example.com/x",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    pixel = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
    assert fetcher.fetch(pixel).read()


def test_a_remote_image_in_the_html_is_skipped_not_fetched(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the PDF renderer tried to open a connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    document = pdf.html_to_pdf(
        '<p>Қайта</p><img src="https://example.com/x.png">'
        '<link rel="stylesheet" href="http://example.com/x.css">'
    )
    assert document.startswith(b"%PDF")
