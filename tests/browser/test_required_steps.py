"""Issue 14 in a real browser: the A4 step lives on the attempt, so a re-login in a new browser
(another computer, cleared storage) does not ask for it again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from proctoring.models import Evidence
from tests.browser.conftest import api_login, read_db, wait_for_db
from tests.browser.test_proctoring_capture import take_scratch_photo

pytestmark = pytest.mark.browser


def test_a_relogin_in_a_new_browser_does_not_repeat_the_a4_step(page, context, new_context, make_seat):
    attempt = make_seat(requires_scratch_paper=True, lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    page.goto("/exam/")
    step = page.get_by_role("region", name="A4 草稿纸检查")
    expect(step).to_be_visible()
    take_scratch_photo(step)
    expect(page.locator("#question-nav button").first).to_be_visible(timeout=15000)
    assert wait_for_db(lambda: Evidence.objects.filter(attempt=attempt, kind="scratch_paper").count() == 1)

    # Another browser: no localStorage, no cookies of the first one.
    other = new_context(permissions=["camera", "microphone"], locale="zh-CN", timezone_id="Asia/Shanghai")
    api_login(other, attempt)
    again = other.new_page()
    again.goto("/exam/")
    expect(again.locator("#question-nav button").first).to_be_visible(timeout=15000)
    expect(again.locator("#scratch-step")).to_be_hidden()
    assert read_db(lambda: Evidence.objects.filter(attempt=attempt, kind="scratch_paper").count()) == 1
    # The first page was replaced by the new login, and was told so.
    expect(page.get_by_text("已在其他页面或设备登录").first).to_be_visible(timeout=15000)
