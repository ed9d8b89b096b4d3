"""An acceptance and new terms at the same moment (PostgreSQL row locks, real threads): exactly
one wins, and the deal never stores terms its acceptor did not see."""

import threading

import pytest
from django.db import connection

from accounts.errors import DomainError
from matching import services
from matching.models import Deal, Proposal, TermsRevision

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*actions):
    barrier = threading.Barrier(len(actions))
    outcomes: list = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            outcomes[index] = action()
        except DomainError as exc:
            outcomes[index] = exc
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            outcomes[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def terms(persona, proposal, quantity, *, read_first=False):
    """New terms by ``persona``; with ``read_first`` on the proposal as read before the race (a
    side that read it, then proposed), else as read when the thread starts."""
    seen = Proposal.objects.get(pk=proposal.pk) if read_first else None
    return lambda: services.proposal_terms_propose(
        proposal=seen or Proposal.objects.get(pk=proposal.pk),
        actor=persona.user,
        quantity=quantity,
        price_per_unit_kzt="100",
        transport_by="carrier",
    )


@pytest.mark.parametrize("attempt", range(5))
def test_accept_racing_new_terms_of_the_same_side_one_wins(grain_market, run_now, brewery, farm, attempt):
    run_now()
    proposal = Proposal.objects.get()
    services.proposal_terms_propose(
        proposal=proposal, actor=brewery.user, quantity="100", price_per_unit_kzt="0", transport_by="supplier"
    )
    seen = Proposal.objects.get()  # the receiver has read revision 1

    def accept():
        return services.proposal_accept(proposal=seen, actor=farm.user)

    outcomes = race(accept, terms(brewery, seen, "50"))
    wins = [o for o in outcomes if not isinstance(o, (DomainError, tuple))]
    assert len(wins) == 1, outcomes
    assert not any(isinstance(o, tuple) for o in outcomes), outcomes
    final = Proposal.objects.get()
    if isinstance(outcomes[0], DomainError):  # the new terms won: no deal, revision 2 current
        assert final.status == "accepted_by_offer" and final.terms_number == 2 and not Deal.objects.exists()
    else:  # the acceptance won: a deal on revision 1, and the new terms were refused
        assert final.status == "agreed" and final.terms_number == 1
        assert Deal.objects.get().terms.number == 1
        assert TermsRevision.objects.count() == 1


@pytest.mark.parametrize("attempt", range(5))
def test_two_sides_proposing_terms_at_once_one_wins(grain_market, run_now, brewery, farm, attempt):
    run_now()
    proposal = Proposal.objects.get()
    # Both sides read the undecided proposal, then propose. (Read in the threads, the first could
    # commit before the second reads: a counter-proposal in turn, which rightly succeeds.)
    outcomes = race(
        terms(brewery, proposal, "10", read_first=True), terms(farm, proposal, "20", read_first=True)
    )
    wins = [o for o in outcomes if isinstance(o, TermsRevision)]
    assert len(wins) == 1, outcomes
    final = Proposal.objects.get()
    assert final.terms_number == 1 and TermsRevision.objects.count() == 1
    assert final.status == (
        "accepted_by_offer" if wins[0].organisation_id == brewery.organisation.pk else "accepted_by_need"
    )


@pytest.mark.parametrize("attempt", range(3))
def test_two_requests_for_one_pair_at_once_make_one_proposal(grain_market, brewery, farm, attempt):
    from matching import requests as direct_requests

    offer, need = grain_market

    def by_need():
        return direct_requests.proposal_request(actor=farm.user, offer=offer, need_id=need.pk)

    def by_offer():
        return direct_requests.proposal_request(actor=brewery.user, need=need, offer_id=offer.pk)

    outcomes = race(by_need, by_offer)
    made = [o for o in outcomes if isinstance(o, Proposal)]
    assert len(made) == 1, outcomes
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 1 and "already an open proposal" in refused[0].message
    assert Proposal.objects.count() == 1
