"""The production recipe for real: the operator's nginx site (deploy/nginx/exam.conf, TLS with a
throwaway certificate) in front of two Daphne processes and a worker with the one beat, all with
production settings (DEBUG off, collectstatic, TRUSTED_PROXY_COUNT=1), on PostgreSQL when
DATABASE_URL points at it (as in CI), else SQLite, and a real Redis.

A candidate goes through it in Chromium from the password to the collected page, which the
websocket push brings at the deadline; and the login throttle counts the address nginx forwarded,
not nginx's own.
"""

from __future__ import annotations

import json
import secrets
import shutil
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from examsite.launcher import free_port
from tests.deploy.nginx import requires_nginx, start_nginx_with, stop_nginx
from tests.deploy.test_nginx_site import installed_site
from tests.integration.stack import Stack, utcnow

pytestmark = [
    requires_nginx,
    pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed for a test certificate"),
    pytest.mark.browser,  # Playwright's sync API: with the browser tests, last
]

LOGIN_RATE_PER_IP = 5


@dataclass
class Deployment:
    url: str
    stack: Stack
    workdir: Path

    def answer_of(self, id_number: str) -> list[dict]:
        code = (
            "import json; from exams.models import Answer; "
            f"print(json.dumps(list(Answer.objects.filter(attempt__registration__candidate__id_number='{id_number}')"
            ".values('question__position', 'value', 'attempt__state'))))"
        )
        return json.loads(self.stack.manage("shell", "-v", "0", "-c", code).stdout)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("deploy")
    https_port, http_port = free_port(), free_port()
    origin = f"https://127.0.0.1:{https_port}"
    stack = Stack(workdir, debug=False, env={
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # nginx passes $host (no port); on 443 the origin needs no entry, on a test port it does
        "CSRF_TRUSTED_ORIGINS": origin,
        "TRUSTED_PROXY_COUNT": "1",
        "LOGIN_RATE_PER_IP": f"{LOGIN_RATE_PER_IP}/m",
        "OTP_REQUIRED_FOR_ORGANIZERS": "1",
        # the public name the phone's QR code carries (deploy/exam.env.example); the test reaches
        # nginx on a loopback address, which production never hands out
        "SITE_URL": "https://exam.example.org",
    })
    nginx = None
    try:
        stack.start_redis()
        stack.create_database()  # migrate and collectstatic, as the deploy README says
        ports = [stack.start_daphne("daphne-1"), stack.start_daphne("daphne-2")]
        stack.start_worker(beat=True)
        site = installed_site(workdir, http_port=http_port, https_port=https_port, upstream_ports=ports)
        nginx = start_nginx_with(workdir / "nginx", http=site, wait_port=https_port)
        yield Deployment(url=origin, stack=stack, workdir=workdir)
    finally:
        if nginx is not None:
            stop_nginx(nginx)
        stack.close()


def test_a_candidate_sits_an_exam_through_nginx_and_the_deadline_push_arrives(deployment, browser):
    now = utcnow()
    batch = deployment.stack.load_batch(starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(seconds=75),
                                        candidates=1)
    context = browser.new_context(
        base_url=deployment.url, ignore_https_errors=True, permissions=["camera", "microphone"],
        locale="zh-CN", timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: response.status >= 400 and failed.append(
        f"{response.status} {response.url}"))
    try:
        page.goto("/")
        styled = page.evaluate("[...document.styleSheets].filter(s => s.href && s.cssRules.length).length")
        assert styled >= 1, "the stylesheets load"
        page.get_by_role("textbox", name="考试口令").fill(batch["password"])
        page.get_by_role("button", name="下一步").click()
        page.wait_for_url("**/login/")
        page.get_by_role("textbox", name="证件号").fill(batch["id_numbers"][0])
        page.get_by_role("button", name="登录").click()

        page.wait_for_url("**/exam/photo/")
        page.get_by_role("button", name="拍照").click()
        page.get_by_role("button", name="确认使用此照片").click()
        page.wait_for_url("**/exam/confirm/")
        page.get_by_role("link", name="开始考试").click()
        page.wait_for_url("**/exam/")
        page.get_by_role("button", name="进入全屏并继续").click()
        page.get_by_label("甲").check()
        expect(page.locator("#save-status")).to_have_text("已保存")

        # the deadline passes: the beat collects, the push comes back through nginx's /ws/
        page.wait_for_url("**/exam/collected/", timeout=120_000)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    finally:
        context.close()
    assert failed == []
    assert deployment.answer_of(batch["id_numbers"][0]) == [
        {"question__position": 1, "value": "A", "attempt__state": "collected"}
    ]


def test_the_login_throttle_counts_the_address_nginx_forwarded(deployment):
    """Five logins from 127.0.0.2 use up that address's budget (a forged X-Forwarded-For does not
    get around it); 127.0.0.3, through the same nginx, is not throttled."""

    def client(address: str) -> httpx.Client:
        trusted = ssl.create_default_context(cafile=str(deployment.workdir / "fullchain.pem"))
        return httpx.Client(base_url=deployment.url, timeout=20,
                            transport=httpx.HTTPTransport(local_address=address, verify=trusted))

    def login(http: httpx.Client, *, forged: str | None = None) -> httpx.Response:
        http.get("/api/v1/candidate/csrf/")
        headers = {"X-CSRFToken": http.cookies.get("csrftoken", ""), "Referer": deployment.url + "/",
                   "Origin": deployment.url}
        if forged:
            headers["X-Forwarded-For"] = forged
        return http.post("/api/v1/candidate/login/", json={"password": "000000", "id_number": "110101199001011237"},
                         headers=headers)

    with client("127.0.0.2") as first, client("127.0.0.3") as second:
        answers = [login(first).status_code for _ in range(LOGIN_RATE_PER_IP)]
        assert 429 not in answers, answers
        assert login(first).status_code == 429
        assert login(first, forged="203.0.113.7").status_code == 429
        other = login(second)
        assert other.status_code != 429, other.text
        assert other.json()["code"] == "unknown_password"
