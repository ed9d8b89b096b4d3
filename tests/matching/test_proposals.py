"""Proposal decisions, deals and deliveries through the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.errors import DomainError, ErrorCode
from accounts.models import Event
from marketplace.models import Offer
from matching import services
from matching.models import Deal, Delivery, Proposal
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposal(grain_market, run_now):
    run_now()
    return Proposal.objects.get()


def accept(p, persona, capture=None):
    return services.proposal_accept(proposal=Proposal.objects.get(pk=p.pk), actor=persona.user)


def test_both_accepts_make_a_deal_and_either_order_works(
    proposal, brewery, farm, django_capture_on_commit_callbacks
):
    assert accept(proposal, farm).status == "accepted_by_need"
    with django_capture_on_commit_callbacks(execute=True):
        assert accept(proposal, brewery).status == "agreed"
    deal = Deal.objects.get(proposal=proposal)
    assert deal.mass_t == proposal.mass_t and deal.factor_set == proposal.factor_set
    assert deal.impact_dict() == proposal.impact_dict()
    assert Event.objects.filter(action="deal.agreed", object_id=str(deal.pk)).count() == 2
    assert any("agreed" in m.subject for m in mail.outbox)


def test_accepting_twice_from_the_same_side_is_a_conflict(proposal, brewery):
    accept(proposal, brewery)
    with pytest.raises(DomainError) as exc:
        accept(proposal, brewery)
    assert exc.value.code is ErrorCode.CONFLICT


def test_a_decided_proposal_cannot_be_accepted(proposal, brewery, farm):
    services.proposal_decline(proposal=proposal, actor=farm.user, reason="too wet")
    with pytest.raises(DomainError) as exc:
        accept(proposal, brewery)
    assert exc.value.code is ErrorCode.CONFLICT
    assert not Deal.objects.exists()
    assert Event.objects.get(action="proposal.declined").data["reason"] == "too wet"


def test_a_declined_pair_is_never_proposed_again(proposal, farm, run_now):
    services.proposal_decline(proposal=proposal, actor=farm.user)
    run = run_now()
    assert run.status == "succeeded" and not Proposal.objects.filter(run=run).exists()


def test_outsiders_and_the_municipality_cannot_decide(proposal, outsider, municipality):
    for persona in (outsider, municipality):
        with pytest.raises(DomainError) as exc:
            accept(proposal, persona)
        assert exc.value.code is ErrorCode.FORBIDDEN
    assert Proposal.objects.get(pk=proposal.pk).status == "proposed"


def test_a_proposal_whose_offer_was_closed_cannot_become_a_deal(proposal, brewery, farm):
    accept(proposal, farm)
    Offer.objects.filter(pk=proposal.offer_id).update(status="closed")
    with pytest.raises(DomainError) as exc:
        accept(proposal, brewery)
    assert exc.value.code is ErrorCode.CONFLICT
    assert Proposal.objects.get(pk=proposal.pk).status == "accepted_by_need"


def test_committed_deals_are_subtracted_from_later_runs(proposal, brewery, farm, run_now):
    accept(proposal, brewery)
    accept(proposal, farm)
    # The farm's need (1500 t) is fully committed; nothing more can be proposed to it.
    run = run_now()
    assert run.stats["needs"] == 1 and not Proposal.objects.filter(run=run).exists()
    assert run.stats["supply_t"] == 500  # 2000 t offered, 1500 t committed


@pytest.fixture
def deal(proposal, brewery, farm):
    accept(proposal, brewery)
    accept(proposal, farm)
    return Deal.objects.get()


def test_deliveries_are_appended_with_their_realised_impact(deal, brewery, farm):
    today = timezone.localdate()
    services.delivery_record(deal=deal, actor=brewery.user, date=today, mass_t="400")
    services.delivery_record(
        deal=deal, actor=farm.user, date=today - timedelta(days=3), mass_t=Decimal("100.5")
    )
    deal.refresh_from_db()
    assert deal.delivered_t == Decimal("500.500")
    first = Delivery.objects.get(mass_t=400)
    assert first.net_kg == (deal.net_kg * 400 / deal.mass_t).quantize(Decimal("0.001"))
    assert Event.objects.filter(action="delivery.recorded").count() == 4  # one per party per delivery


def test_a_delivery_beyond_the_agreed_mass_and_tolerance_is_refused(deal, brewery):
    limit = deal.mass_t * Decimal("1.10")
    services.delivery_record(deal=deal, actor=brewery.user, date=timezone.localdate(), mass_t=limit)
    with pytest.raises(DomainError) as exc:
        services.delivery_record(deal=deal, actor=brewery.user, date=timezone.localdate(), mass_t="0.001")
    assert exc.value.field == "mass_t"
    assert Delivery.objects.count() == 1


@pytest.mark.parametrize(
    "mass, day, field",
    [
        ("0", 0, "mass_t"),
        ("-5", 0, "mass_t"),
        ("NaN", 0, "mass_t"),
        ("Infinity", 0, "mass_t"),
        ("abc", 0, "mass_t"),
        ("1e30", 0, "mass_t"),
        ("10", -1, "date"),
    ],
)
def test_bad_deliveries_are_refused_and_write_nothing(deal, brewery, mass, day, field):
    with pytest.raises(DomainError) as exc:
        services.delivery_record(
            deal=deal, actor=brewery.user, date=timezone.localdate() - timedelta(days=day), mass_t=mass
        )
    assert exc.value.field == field
    assert not Delivery.objects.exists()
    deal.refresh_from_db()
    assert deal.delivered_t == 0


def test_an_outsider_cannot_record_a_delivery(deal, outsider):
    with pytest.raises(DomainError) as exc:
        services.delivery_record(deal=deal, actor=outsider.user, date=timezone.localdate(), mass_t="1")
    assert exc.value.code is ErrorCode.NOT_FOUND


def test_the_counterpart_of_a_deal_is_known_for_exact_sites(deal, brewery, farm, outsider):
    from matching.selectors import deal_counterpart_organisation_ids

    assert deal_counterpart_organisation_ids({brewery.organisation.id}) == {farm.organisation.id}
    assert deal_counterpart_organisation_ids({outsider.organisation.id}) == set()


def test_piece_flows_are_whole_pieces_with_their_mass(rakhat_bags, run_now):
    run = run_now()
    proposal = Proposal.objects.get(run=run)
    assert proposal.unit == "piece" and proposal.quantity == 3000 * 12
    assert proposal.mass_t == Decimal("23.400")  # 36,000 bags × 0.65 kg


@pytest.fixture
def rakhat_bags(brewery, farm, municipality):
    f.make_offer(brewery.organisation, brewery.site, "jute_bags", 3000, unit="piece", period="month")
    return f.make_need(farm.organisation, farm.site, "jute_bags", 50000, unit="piece", max_distance_km=60)
