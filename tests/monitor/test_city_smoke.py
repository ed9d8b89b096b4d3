import pytest

pytestmark = pytest.mark.django_db


def test_the_city_has_its_five_deals(city):
    assert sorted(city.deals) == [
        "bread_residues",
        "brewers_spent_grain",
        "crushed_concrete_aggregate",
        "glass_cullet",
        "steel_scrap",
    ]
