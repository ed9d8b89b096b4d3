"""`make demo`: the port first, the logins and URL last, e-mails to files, a re-run keeps the data."""

from __future__ import annotations

import importlib.util
import re
import socket
import subprocess
from pathlib import Path

import environ
import pytest
from django.core import mail
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("qaita_demo_script", ROOT / "scripts" / "demo.py")
assert spec and spec.loader
demo_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo_script)


@pytest.fixture
def listening():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_a_taken_port_is_refused_naming_how_to_choose_another(listening, capsys):
    assert demo_script.port_taken("127.0.0.1", listening)
    assert demo_script.check_port("127.0.0.1", listening) == 2
    message = capsys.readouterr().err
    assert f"Port {listening} on 127.0.0.1 is already in use" in message
    assert re.search(r"make demo PORT=\d+", message)


def test_a_free_port_passes():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert demo_script.check_port("127.0.0.1", free) == 0


def test_the_makefile_checks_the_port_before_anything_and_sends_mail_to_files():
    dry = subprocess.run(
        ["make", "-n", "demo", "PORT=8017", "RESET=1"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert "scripts/demo.py check-port --host 127.0.0.1 --port 8017" in dry[0]
    assert dry[-1].endswith("scripts/demo.py serve --host 127.0.0.1 --port 8017 --reset")
    again = subprocess.run(
        ["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "--reset" not in again and "--port 8000" in again
    makefile = (ROOT / "Makefile").read_text()
    url = (
        re.search(r"EMAIL_URL := (\S+)", makefile)
        .group(1)
        .replace("$(DEMO_MAIL)", str(ROOT / "var/demo-mail"))
    )
    config = environ.Env.email_url_config(url)
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert config["EMAIL_FILE_PATH"] == str(ROOT / "var/demo-mail")


def test_the_readme_documents_the_port_and_the_reset():
    readme = (ROOT / "README.md").read_text()
    assert "make demo PORT=8017" in readme and "make demo RESET=1" in readme and "var/demo-mail" in readme


def test_the_closing_lines_end_with_the_logins_and_the_url():
    info = {
        "password": "pw",
        "logins": [("akimat", "City"), ("brewery", "Brewery")],
        "mail": "/x/var/demo-mail",
    }
    lines = demo_script.closing_lines(info, "127.0.0.1", 8017).splitlines()
    assert "Demo logins (password for all: pw):" in lines
    assert any(line.strip().startswith("akimat") for line in lines)
    assert lines[-2] == "Qaita is running at http://127.0.0.1:8017/"


@pytest.mark.django_db(transaction=True)
def test_a_second_setup_keeps_the_data_and_the_run_and_sends_nothing(settings, tmp_path):
    from matching.models import MatchRun, Proposal

    settings.EMAIL_FILE_PATH = str(tmp_path / "demo-mail")
    first = demo_script.setup(reset=False)
    assert MatchRun.objects.count() == 1 and ("akimat", "Almaty Green Economy Department") in first["logins"]
    assert (tmp_path / "demo-mail").is_dir()
    proposals, sent = Proposal.objects.count(), len(mail.outbox)
    assert proposals > 0
    demo_script.setup(reset=False)
    assert MatchRun.objects.count() == 1 and Proposal.objects.count() == proposals
    assert len(mail.outbox) == sent


@pytest.mark.django_db
def test_the_admin_carries_qaitas_name_and_shows_material_names(client, django_user_model):
    from django.utils.html import escape

    from marketplace.models import Material
    from tests.marketplace.helpers import load_catalogue

    load_catalogue()
    client.force_login(django_user_model.objects.create_superuser("op", "op@example.kz", "op-password-2026"))
    index = client.get(reverse("admin:index")).content.decode()
    assert "Qaita administration" in index and "Django administration" not in index
    materials = client.get(reverse("admin:marketplace_material_changelist")).content.decode()
    grain = Material.objects.get(key="brewers_spent_grain")
    assert escape(grain.name_en) in materials and escape(grain.name_kk) in materials
    assert "Name (Kazakh)" in materials
