"""The login page in the queue at the start of an exam: a 503 login_busy (examsite.admission)
tells the candidate they are queued, and the page retries by itself after Retry-After."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_queued_login_says_so_and_goes_through_by_itself(page, make_seat):
    attempt = make_seat()
    session, candidate = attempt.session, attempt.registration.candidate
    refusals = []

    def busy_once(route):
        if route.request.method == "POST" and not refusals:
            refusals.append(route.request.url)
            route.fulfill(
                status=503, headers={"Retry-After": "2", "Content-Type": "application/json"},
                body=json.dumps({"code": "login_busy", "detail": "登录人数较多，您正在排队。"}),
            )
        else:
            route.continue_()

    page.route("**/api/v1/candidate/login/", busy_once)
    page.goto("/")
    page.get_by_role("textbox", name="考试口令").fill(session.password)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/login/")
    page.get_by_role("textbox", name="证件号").fill(candidate.id_number)
    page.get_by_role("button", name="登录").click()

    status = page.locator("#login-status")
    expect(status).to_contain_text("您正在排队")
    expect(status).to_contain_text("秒后自动重试登录")
    expect(page.get_by_role("button", name="登录")).to_be_disabled()  # no double submit meanwhile
    page.wait_for_url("**/exam/photo/", timeout=15000)
    assert len(refusals) == 1
