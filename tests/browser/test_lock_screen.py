"""The lock screen: leaving full screen or the window counts once per leave and locks at the limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exams.models import Attempt
from exams.selectors.notice import notice_clock
from tests.browser.conftest import api_login, enter_exam, read_db, wait_for_db

pytestmark = pytest.mark.browser


def leaves(attempt) -> tuple[int, bool]:
    row = Attempt.objects.get(pk=attempt.pk)
    return row.leaves_used, row.locked


def test_leaving_full_screen_counts_once_warns_and_locks_at_the_limit(page, context, make_seat):
    attempt = make_seat(max_screen_leaves=2)
    api_login(context, attempt)
    enter_exam(page)
    assert page.evaluate("Boolean(document.fullscreenElement)")

    # One leave episode: full screen exit, then the window loses focus too.
    page.evaluate("document.exitFullscreen()")
    page.evaluate("window.dispatchEvent(new Event('blur'))")
    expect(page.locator("#leave-warning")).to_contain_text("还可离开 1 次")
    gate = page.get_by_role("button", name="进入全屏并继续")
    expect(gate).to_be_visible()
    assert wait_for_db(lambda: leaves(attempt) == (1, False)), read_db(lambda: leaves(attempt))

    page.evaluate("window.dispatchEvent(new Event('focus'))")
    gate.click()
    expect(page.locator("#question-title")).to_be_visible()

    # Second leave: switching to another window.
    page.evaluate("window.dispatchEvent(new Event('blur'))")
    page.wait_for_url("**/exam/locked/")
    expect(page.get_by_role("heading", name="作答已锁定")).to_be_visible()
    assert read_db(lambda: leaves(attempt)) == (2, True)


def test_the_submit_button_stays_disabled_until_the_minimum_answering_time(page, context, make_seat):
    attempt = make_seat(min_answer_time=timedelta(minutes=60), lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    enter_exam(page)
    opens_at = timezone.localtime(attempt.session.starts_at + timedelta(minutes=60))
    submit = page.locator("#submit-button")
    expect(submit).to_be_disabled()
    expect(submit).to_have_text(f"{notice_clock(opens_at)} 后可交卷")
    submit.click(force=True)
    expect(page.locator("#submit-dialog")).not_to_be_visible()
    assert read_db(lambda: Attempt.objects.get(pk=attempt.pk).state) == "in_progress"
