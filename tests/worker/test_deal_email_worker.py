"""The deal e-mail leaves the web request: a real worker sends it after commit, and with the
broker down the deal is still agreed (the e-mail is dropped with a warning, nothing fails).

"Broker down" is a real broker URL pointing at a closed port, used by a separate process that
agrees the deal through the service, as a web process would. (The worker's mail goes to the
test settings' in-memory backend, in its own process: what the test sees is that the task ran
there and succeeded, and that nothing was sent in the agreeing process.)
"""

import json
import os
import re
import socket
import subprocess
import sys

import pytest
from django.core import mail

from matching import runs, services
from matching.models import Deal, Proposal
from tests import worker_process
from tests.worker_process import ROOT, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

AGREE = r"""
import json, sys
import django
django.setup()
from accounts.models import User
from matching import services
from matching.models import Deal, Proposal
proposal_id, user_id = int(sys.argv[1]), int(sys.argv[2])
services.proposal_accept(proposal=Proposal.objects.get(pk=proposal_id), actor=User.objects.get(pk=user_id))
print(json.dumps({"deal": Deal.objects.filter(proposal_id=proposal_id).values_list("pk", flat=True).first()}))
"""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepted_by_one_side(municipality, farm) -> Proposal:
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    assert runs.match_run_execute(run_id=run.pk) == "succeeded"
    proposal = Proposal.objects.get()
    services.proposal_accept(proposal=proposal, actor=farm.user)
    return proposal


def test_a_real_worker_sends_the_deal_email_after_commit(grain_market, municipality, brewery, farm, workers):
    proposal = _accepted_by_one_side(municipality, farm)
    worker = workers("mailer")
    mail.outbox.clear()
    services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=brewery.user)
    assert Deal.objects.filter(proposal=proposal).exists()
    assert mail.outbox == []  # not sent by the agreeing process
    done = re.compile(r"Task matching\.notify_deal_agreed\[[^\]]+\] succeeded")
    assert wait_for(lambda: done.search(worker.output()) is not None, timeout=60), worker.output()


def test_with_the_broker_down_the_deal_is_agreed_and_the_email_dropped_with_a_warning(
    grain_market, municipality, brewery, farm
):
    proposal = _accepted_by_one_side(municipality, farm)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": worker_process.test_database_url(),
        "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/3",
        "LOG_FORMAT": "json",
    }
    done = subprocess.run(
        [sys.executable, "-c", AGREE, str(proposal.pk), str(brewery.user.pk)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["deal"] == Deal.objects.get(proposal=proposal).pk
    warning = next(json.loads(line) for line in done.stderr.splitlines() if "not queued" in line)
    assert warning["level"] == "WARNING" and "matching.notify_deal_agreed" in warning["message"]
