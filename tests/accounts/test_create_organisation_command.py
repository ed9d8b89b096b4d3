import pytest
from django.core.management import CommandError, call_command

from accounts.models import Event, Membership, Organisation

pytestmark = pytest.mark.django_db


def test_it_bootstraps_a_verified_municipality_with_its_admin(capsys):
    call_command(
        "create_organisation",
        "--name",
        "Akimat of Almaty",
        "--kind",
        "municipality",
        "--sector",
        "public_services",
        "--user",
        "akimat",
        "--password",
        "s3cure-pass-2026",
        "--verified",
    )
    org = Organisation.objects.get(name="Akimat of Almaty")
    assert org.verified and org.is_authority
    assert Membership.objects.get(organisation=org).role == "admin"
    assert Event.objects.filter(action="organisation.verified", object_id=str(org.id)).exists()
    assert "created" in capsys.readouterr().out


def test_it_is_idempotent():
    for _ in range(2):
        call_command(
            "create_organisation",
            "--name",
            "Rakhat",
            "--kind",
            "company",
            "--sector",
            "agriculture_food",
            "--user",
            "rakhat",
            "--password",
            "s3cure-pass-2026",
        )
    assert Organisation.objects.filter(name="Rakhat").count() == 1


def test_it_rejects_an_unknown_sector_and_writes_nothing():
    with pytest.raises(CommandError):
        call_command(
            "create_organisation",
            "--name",
            "X",
            "--kind",
            "company",
            "--sector",
            "mining",
            "--user",
            "x",
            "--password",
            "s3cure-pass-2026",
        )
    assert Organisation.objects.count() == 0


def test_a_weak_password_rolls_back_the_organisation():
    with pytest.raises(CommandError):
        call_command(
            "create_organisation",
            "--name",
            "Y",
            "--kind",
            "company",
            "--sector",
            "trade",
            "--user",
            "y",
            "--password",
            "123",
        )
    assert Organisation.objects.count() == 0
