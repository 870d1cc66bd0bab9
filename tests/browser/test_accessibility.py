"""axe-core on the candidate pages: no serious or critical violations."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import api_login, enter_exam

pytestmark = pytest.mark.browser

axe = Axe()


def assert_accessible(page, name: str) -> None:
    results = axe.run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: " + "; ".join(bad)


def test_the_candidate_pages_have_no_serious_accessibility_violations(page, context, make_seat):
    attempt = make_seat()

    page.goto("/")
    assert_accessible(page, "entry")
    page.get_by_role("textbox", name="考试口令").fill("000000")
    page.get_by_role("button", name="下一步").click()
    expect(page.locator("#entry-error")).not_to_be_empty()
    assert_accessible(page, "entry with an error")
    page.get_by_role("textbox", name="考试口令").fill(attempt.session.password)
    page.get_by_role("button", name="下一步").click()

    page.wait_for_url("**/login/")
    expect(page.locator("#lock-warning")).not_to_be_empty()
    assert_accessible(page, "login")

    api_login(context, attempt)
    page.goto("/exam/confirm/")
    assert_accessible(page, "confirm")

    page.goto("/exam/")
    expect(page.get_by_role("button", name="进入全屏并继续")).to_be_visible()
    assert_accessible(page, "exam, full-screen gate")
    enter_exam(page)
    page.get_by_label("乙").check()
    expect(page.locator("#save-status")).to_have_text("已保存")
    assert_accessible(page, "exam, answering")

    page.get_by_role("button", name="交卷", exact=True).click()
    expect(page.locator("#submit-dialog")).to_be_visible()
    assert_accessible(page, "exam, submit dialog")
    page.get_by_role("button", name="确认交卷").click()
    page.wait_for_url("**/exam/done/")
    assert_accessible(page, "done")
