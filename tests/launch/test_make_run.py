"""``make run`` as a new user runs it: every page's scripts and stylesheets load, with DEBUG on and
with production settings after ``collectstatic``; and every child stops when ``make run`` is told to.

These tests start the real ``make run`` (the Makefile's recipe, the launcher, Redis, Daphne, the
worker with beat) in a var directory and on a port of their own.
"""

from __future__ import annotations

import os
import re
import secrets
import signal

import pytest

from exams import demo
from tests.launch.makerun import Client, fetch_assets, make_run, page_assets, wait_gone

pytestmark = pytest.mark.launch

# The phone pages refuse a made-up link and a browser that never paired, with pages of their own.
REFUSALS = {"/proctoring/phone/not-a-real-token/": 404, "/proctoring/phone/": 403}
CANDIDATE_PAGES = [
    "/login/", "/exam/photo/", "/exam/confirm/", "/exam/", "/exam/done/", "/exam/collected/", "/exam/locked/",
]


def production_env() -> dict[str, str]:
    """The production variables a deployment sets (deploy/exam.env.example), for this machine."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": "https://127.0.0.1",
    }


def staff_login(client: Client, username: str) -> None:
    client.get("/admin/login/")
    response = client.post(
        "/admin/login/?next=/admin/",
        data={"username": username, "password": demo.DEFAULT_STAFF_PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 200 and "/admin/logout/" in response.text, response.text[:2000]


def candidate_login(client: Client) -> None:
    client.get("/api/v1/candidate/csrf/")
    id_number = demo.demo_candidates()[0]["id_number"]
    response = client.post("/api/v1/candidate/entry/", json={"password": demo.DEVICE_CHECK_PASSWORD})
    assert response.status_code == 200, response.text
    response = client.post(
        "/api/v1/candidate/login/", json={"password": demo.DEVICE_CHECK_PASSWORD, "id_number": id_number}
    )
    assert response.status_code == 200, response.text


def crawl(run_url: str, *, https: bool) -> tuple[dict[str, int], list[str]]:
    """Load every page a candidate, a proctor and support staff meet, and every asset they use.
    Returns the pages' status codes and the assets that failed."""
    failures: list[str] = []
    seen: set[str] = set()
    statuses: dict[str, int] = {}

    def visit(client: Client, path: str) -> str:
        response = client.get(path)
        statuses[path] = response.status_code
        if "html" in response.headers.get("content-type", ""):
            fetch_assets(client, page_assets(response.text, str(response.url)), failures, seen)
        return response.text

    anonymous = Client(run_url, https_proxy_headers=https)
    visit(anonymous, "/")
    visit(anonymous, f"/notice/{demo.SLUG}/")
    visit(anonymous, "/proctoring/phone/not-a-real-token/")
    visit(anonymous, "/admin/login/")

    candidate = Client(run_url, https_proxy_headers=https)
    candidate_login(candidate)
    for path in CANDIDATE_PAGES:
        visit(candidate, path)
    visit(candidate, "/proctoring/phone/")

    proctor = Client(run_url, https_proxy_headers=https)
    staff_login(proctor, "proctor")
    visit(proctor, "/admin/")
    sessions = visit(proctor, "/admin/exams/examsession/")
    monitors = sorted(set(re.findall(r'href="(/monitor/\d+/)"', sessions)))
    assert monitors, "the session list links to the live monitor"
    visit(proctor, monitors[0])
    visit(proctor, "/proctoring/review/")
    visit(proctor, "/api/docs/")

    support = Client(run_url, https_proxy_headers=https)
    staff_login(support, "support")
    visit(support, "/support/queue/")
    for client in (anonymous, candidate, proctor, support):
        client.close()
    assert len(seen) > 20, sorted(seen)
    return statuses, failures


def test_with_debug_on_every_page_loads_its_scripts_and_styles(tmp_path):
    with make_run(tmp_path / "var") as run:
        statuses, failures = crawl(run.url, https=False)
    assert failures == []
    assert {path: code for path, code in statuses.items() if code != REFUSALS.get(path, 200)} == {}


def test_with_production_settings_every_page_loads_hashed_compressed_assets(tmp_path):
    with make_run(tmp_path / "var", env=production_env()) as run:
        statuses, failures = crawl(run.url, https=True)
        assert (tmp_path / "var" / "static" / "staticfiles.json").is_file()  # collectstatic ran
        page = Client(run.url, https_proxy_headers=True)
        html = page.get("/").text
        script = re.search(r'src="(/static/js/entry\.[0-9a-f]{12}\.js)"', html)
        assert script, "production pages link the content-hashed copies"
        response = page.get(script.group(1), headers={"Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"
        assert "immutable" in response.headers["cache-control"]
        assert "max-age=315360000" in response.headers["cache-control"]
        page.close()
    assert failures == []
    assert {path: code for path, code in statuses.items() if code != REFUSALS.get(path, 200)} == {}


@pytest.mark.parametrize(("sig", "to_group"), [
    (signal.SIGTERM, False),  # kill <make's pid>, as a supervisor or `timeout` does
    (signal.SIGHUP, False),   # make alone told its terminal is gone
    (signal.SIGINT, True),    # Ctrl-C: the terminal signals the whole foreground group
])
def test_a_signal_to_make_run_stops_every_child_and_frees_the_port(tmp_path, sig, to_group):
    with make_run(tmp_path / "var") as run:
        children = run.descendants()
        assert len(children) >= 4, children  # launcher, redis, daphne, worker (and its pool)
        if to_group:
            os.killpg(run.process.pid, sig)
        else:
            run.process.send_signal(sig)
        left, port_busy = wait_gone(children | {run.process.pid}, run.port, timeout=10)
        assert left == set(), f"still running after 10 s: {left}\n{run.text()[-2000:]}"
        assert not port_busy
