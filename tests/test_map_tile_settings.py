"""MAP_TILE_URL decides which origin the CSP lets images come from."""

from config.settings.base import _origin


def test_the_csp_origin_of_a_tile_server():
    assert _origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == "https://tile.openstreetmap.org"
    assert _origin("https://{s}.tiles.example.kz/{z}/{x}/{y}.png") == "https://*.tiles.example.kz"
    assert _origin("http://tiles.internal:8080/styles/basic/{z}/{x}/{y}.png") == "http://tiles.internal:8080"


def test_a_tile_path_on_the_same_host_is_self():
    assert _origin("/tiles/{z}/{x}/{y}.png") == "'self'"
