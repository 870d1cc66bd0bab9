"""Answers survive the network going away; the countdown ignores a wrong computer clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exams.models import Answer
from tests.browser.conftest import api_login, enter_exam, read_db, wait_for_db

pytestmark = pytest.mark.browser


def stored(attempt) -> dict:
    return dict(Answer.objects.filter(attempt=attempt).values_list("question_id", "value"))


def test_answers_made_offline_reach_the_server_when_the_network_returns(page, context, make_seat):
    attempt = make_seat(questions=10)
    ids = list(attempt.session.paper.questions.order_by("position").values_list("id", flat=True))
    api_login(context, attempt)
    enter_exam(page)
    page.get_by_label("乙").check()
    page.get_by_role("button", name="下一题").click()
    page.get_by_label("甲").check()
    expect(page.locator("#save-status")).to_have_text("已保存")
    assert wait_for_db(lambda: len(stored(attempt)) == 2)

    context.set_offline(True)
    expect(page.locator("#offline-banner")).to_have_text("网络已断开，答案已保存在本机，恢复后自动上传。")
    page.get_by_role("button", name="下一题").click()
    page.get_by_label("错", exact=True).check()
    page.get_by_role("button", name="下一题").click()
    page.locator("#question-host input[type=text]").fill("离线填空")
    page.get_by_role("button", name="下一题").click()
    page.locator("#question-host textarea").fill("离线作答的简答题")
    page.get_by_role("button", name="下一题").click()
    page.get_by_label("丙").check()
    page.get_by_role("button", name="下一题").click()
    page.get_by_label("甲").check()
    expect(page.locator("#save-status")).to_have_text("未同步 5 条")
    assert len(read_db(lambda: stored(attempt))) == 2

    context.set_offline(False)
    expected = {
        ids[0]: "B", ids[1]: ["A"], ids[2]: False, ids[3]: "离线填空", ids[4]: "离线作答的简答题",
        ids[5]: "C", ids[6]: "A",
    }
    assert wait_for_db(lambda: stored(attempt) == expected), read_db(lambda: stored(attempt))
    expect(page.locator("#save-status")).to_have_text("已保存")
    expect(page.locator("#offline-banner")).to_be_empty()


CLOCK_SKEW = """
(() => {
  const skew = %d;
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args) { if (args.length === 0) super(RealDate.now() + skew); else super(...args); }
    static now() { return RealDate.now() + skew; }
  }
  window.Date = SkewedDate;
})();
"""


@pytest.mark.parametrize("skew_seconds", [3600, -3600])
def test_the_countdown_shows_the_servers_remaining_time_when_the_computer_clock_is_an_hour_off(
    page, context, make_seat, skew_seconds
):
    attempt = make_seat(lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    page.add_init_script(CLOCK_SKEW % (skew_seconds * 1000))
    page.goto("/exam/")
    assert abs(page.evaluate("Date.now()") / 1000 - timezone.now().timestamp() - skew_seconds) < 5
    countdown = page.locator("#countdown")
    expect(countdown).not_to_have_text("--:--:--")
    shown = int(countdown.get_attribute("data-remaining-seconds"))
    expected = (attempt.deadline - timezone.now()).total_seconds()
    assert abs(shown - expected) <= 2, (shown, expected)
    hours, minutes, seconds = (int(part) for part in countdown.inner_text().split(":"))
    assert abs(hours * 3600 + minutes * 60 + seconds - expected) <= 2


def test_the_waiting_room_counts_down_to_the_start_by_the_servers_clock(page, context, make_seat):
    attempt = make_seat(starts_in=timedelta(minutes=10), lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    page.add_init_script(CLOCK_SKEW % (-3600 * 1000))
    page.goto("/exam/")
    expect(page.get_by_role("heading", name="等待开考")).to_be_visible()
    expect(page.locator("#countdown-label")).to_have_text("距离开考还有")
    shown = int(page.locator("#countdown").get_attribute("data-remaining-seconds"))
    expected = (attempt.session.starts_at - timezone.now()).total_seconds()
    assert abs(shown - expected) <= 2, (shown, expected)
    expect(page.locator("#question-nav button")).to_have_count(0)
