"""One acting-organisation rule for the API and the pages (accounts.access.acting_organisation)."""

from __future__ import annotations

import pytest

from accounts.access import acting_organisation, int_or_none, pk_or_404
from accounts.errors import DomainError, ErrorCode
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_hats(brewery):
    """The brewer also speaks for a second organisation whose name sorts first."""
    bakery = f.make_organisation("Aksai Bakery", members=(brewery.user,))
    return brewery, bakery


def test_a_member_of_one_acts_for_it_without_naming_it(brewery):
    assert acting_organisation(brewery.user) == brewery.organisation
    assert acting_organisation(brewery.user, or_first=True) == brewery.organisation


def test_the_named_organisation_is_used_when_it_is_the_users(two_hats):
    brewery, bakery = two_hats
    assert acting_organisation(brewery.user, brewery.organisation.pk) == brewery.organisation
    assert acting_organisation(brewery.user, brewery.organisation.pk, or_first=True) == brewery.organisation


def test_the_api_refuses_what_pages_fall_back_from(two_hats, farm):
    brewery, bakery = two_hats
    with pytest.raises(DomainError) as several:
        acting_organisation(brewery.user)
    assert several.value.code is ErrorCode.INVALID and several.value.field == "organisation"
    with pytest.raises(DomainError) as foreign:
        acting_organisation(brewery.user, farm.organisation.pk)
    assert foreign.value.code is ErrorCode.INVALID
    # Pages show the choice: the first organisation by name stands in.
    assert acting_organisation(brewery.user, or_first=True) == bakery
    assert acting_organisation(brewery.user, farm.organisation.pk, or_first=True) == bakery


def test_a_member_of_none_is_forbidden_either_way(outsider, farm):
    user = f.make_user("nobody")
    for kwargs in ({}, {"or_first": True}):
        with pytest.raises(DomainError) as refused:
            acting_organisation(user, **kwargs)
        assert refused.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as named:
        acting_organisation(user, farm.organisation.pk)
    assert named.value.code is ErrorCode.INVALID


def test_the_one_int_parser():
    assert int_or_none("12") == 12 and int_or_none(None) is None and int_or_none("x") is None
    assert pk_or_404("7") == 7
    with pytest.raises(DomainError) as missing:
        pk_or_404("seven")
    assert missing.value.code is ErrorCode.NOT_FOUND
