"""The files in deploy/ agree with the application they deploy."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"


def env_example_names() -> set[str]:
    text = (DEPLOY / "exam.env.example").read_text()
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, re.M))


def exec_start(unit: str) -> str:
    found = re.search(r"^ExecStart=(.*)$", (UNITS / unit).read_text(), re.M)
    assert found is not None, f"{unit} has no ExecStart"
    return found.group(1)


def test_the_environment_file_lists_every_variable_the_settings_read():
    read = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", (ROOT / "examsite/settings.py").read_text()))
    assert read, "settings.py reads its variables with env(...)"
    assert sorted(read - env_example_names()) == []


def test_the_environment_file_lists_every_variable_of_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = {name for row in re.findall(r"^\| (.*?) \|", table, re.M) for name in re.findall(r"`([A-Z_]+)`", row)}
    assert "SECRET_KEY" in names
    assert sorted(names - env_example_names()) == []


def test_the_environment_file_sets_what_production_needs():
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", (DEPLOY / "exam.env.example").read_text(), re.M))
    assert values["DEBUG"] == "0"
    assert values["TRUSTED_PROXY_COUNT"] == "1"  # behind nginx
    assert values["DATABASE_URL"].startswith("postgres://")
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "REDIS_URL", "STATIC_ROOT", "EVIDENCE_ROOT"):
        assert values.get(name), name
    assert "DB_POOL" not in values  # set, it would turn the pool on in the Celery processes too


def test_nginx_accepts_the_bodies_the_application_accepts():
    sizes = re.findall(r"^client_max_body_size (\d+)m;$", (DEPLOY / "nginx/exam-proxy.conf").read_text(), re.M)
    assert [int(size) * 1024 * 1024 for size in sizes] == [settings.API_MAX_UPLOAD_BYTES]


def test_the_upstream_lists_the_daphne_instances_the_readme_enables():
    upstream = re.findall(r"^\s*server 127\.0\.0\.1:(\d+)", (DEPLOY / "nginx/exam.conf").read_text(), re.M)
    enabled = re.findall(r"exam-daphne@(\d+)", (DEPLOY / "README.md").read_text())
    assert len(upstream) >= 2
    assert sorted(set(enabled)) == sorted(upstream)


def test_there_is_exactly_one_beat_and_the_worker_is_not_it():
    units = sorted(path.name for path in UNITS.glob("*.service"))
    beats = [unit for unit in units if re.search(r"\bbeat\b|\s-B\b|--beat\b", exec_start(unit))]
    assert beats == ["exam-beat.service"]
    assert " worker " in exec_start("exam-worker.service")
    assert exec_start("exam-daphne@.service").endswith("daphne -b 127.0.0.1 -p %i examsite.asgi:application")


@pytest.mark.parametrize("unit", ["exam-daphne@.service", "exam-worker.service", "exam-beat.service"])
def test_every_unit_runs_as_the_service_user_with_the_environment_file(unit):
    text = (UNITS / unit).read_text()
    for line in ("User=exam", "EnvironmentFile=/etc/exam/exam.env", "Restart=on-failure",
                 "StandardOutput=journal", "PartOf=exam.target", "WantedBy=exam.target"):
        assert re.search(rf"^{re.escape(line)}$", text, re.M), f"{unit}: {line}"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    for path in UNITS.iterdir():
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(UNITS / "exam-daphne@.service", tmp_path / "exam-daphne@8001.service")
    units = ["exam-daphne@8001.service", "exam-worker.service", "exam-beat.service", "exam.target"]
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *[f"./{unit}" for unit in units]],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    # The virtualenv of the installation does not exist here; anything else is a mistake.
    complaints = [
        line for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and "/opt/exam/venv/bin/" not in line
    ]
    assert complaints == []
