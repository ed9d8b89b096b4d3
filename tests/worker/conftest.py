"""Real Celery workers and the one beat, started per test and stopped after it."""

import pytest

from tests.worker_app import SLOW_SOLVE_ENV
from tests.worker_process import BeatProcess, WorkerProcess, purge_broker


@pytest.fixture
def workers():
    purge_broker()
    started = []

    def start(name, quiet=False, slow_solve_s=None, **env):
        """A worker with the given settings (environment); ``slow_solve_s`` makes it sleep that
        long before each solve (``tests/worker_app.py``), a window to kill it mid-solve."""
        extra_env = {k: str(v) for k, v in env.items()}
        if slow_solve_s is not None:
            extra_env[SLOW_SOLVE_ENV] = str(slow_solve_s)
        worker = WorkerProcess(name, extra_env=extra_env, quiet=quiet)
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
