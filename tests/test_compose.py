"""docker-compose.yml describes the production stack; it must at least parse and be complete."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_file_has_every_service_with_health_checks():
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = spec["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    for name in ("web", "postgres", "redis", "worker"):
        assert "healthcheck" in services[name], name
    assert "--appendonly" in services["redis"]["command"]
    assert "gunicorn" in services["web"]["command"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"} <= set(env), name


def test_exactly_one_beat_runs_and_it_reads_the_schedule_from_the_database():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    beats = [name for name, spec in services.items() if "beat" in spec.get("command", [])]
    assert beats == ["beat"]
    beat = services["beat"]
    assert beat["deploy"]["replicas"] == 1
    assert "django_celery_beat.schedulers:DatabaseScheduler" in beat["command"]
    assert not any(arg.startswith("--schedule=") for arg in beat["command"])  # no local schedule file


def test_the_worker_monitor_runs_behind_basic_auth_from_the_environment():
    text = (ROOT / "docker-compose.yml").read_text()
    flower = yaml.safe_load(text)["services"]["flower"]
    assert flower["command"][:4] == ["celery", "-A", "config", "flower"]
    # Credentials come from the environment, and compose refuses to start without them.
    assert flower["environment"]["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
    assert not any("basic-auth" in arg or "basic_auth" in arg for arg in flower["command"])  # not in ps
    assert all(port.startswith("127.0.0.1:") for port in flower["ports"])  # loopback only
    assert {"REDIS_URL", "SECRET_KEY"} <= set(flower["environment"])
    assert "FLOWER_BASIC_AUTH=" in (ROOT / ".env.example").read_text()


def test_web_worker_and_beat_log_json_in_the_compose_stack():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["LOG_FORMAT"] == "${LOG_FORMAT:-json}", name
    assert "python:config.gunicorn" in services["web"]["command"]


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="no docker compose client on this machine",
)
def test_docker_compose_config_accepts_the_file():
    result = subprocess.run(
        ["docker", "compose", "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"SECRET_KEY": "x", "FLOWER_BASIC_AUTH": "ops:x", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
