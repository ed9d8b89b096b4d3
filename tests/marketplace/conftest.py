"""Fixtures of the marketplace tests."""

import pytest

from tests.marketplace.helpers import load_catalogue, use_temporary_media


@pytest.fixture
def catalogue(db):
    return load_catalogue()


@pytest.fixture
def media_root(settings, tmp_path):
    return use_temporary_media(settings, tmp_path)
