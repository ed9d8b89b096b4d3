"""Real Celery workers and the one beat, started per test and stopped after it."""

import pytest

from tests.worker_process import BeatProcess, WorkerProcess, purge_broker


@pytest.fixture
def workers():
    purge_broker()
    started = []

    def start(name, quiet=False, **env):
        worker = WorkerProcess(name, extra_env={k: str(v) for k, v in env.items()}, quiet=quiet)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    purge_broker()


@pytest.fixture
def beat():
    started = []

    def start(quiet=False, **env):
        process = BeatProcess(extra_env={k: str(v) for k, v in env.items()}, quiet=quiet)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
