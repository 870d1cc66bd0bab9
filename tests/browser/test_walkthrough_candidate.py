"""Issue 16, the candidate's walk-through in a real browser: the device check done three times
over, the re-login that counts as a leave, and the support panel's category and landmarks."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from candidates.models import DeviceCheckRun, Registration
from exams.models import Attempt, AttemptAudit
from tests.browser.conftest import api_login, enter_exam, read_db, wait_for_db

pytestmark = pytest.mark.browser


CHINESE = ("考试口令", "下一步", "证件号", "登录")
ENGLISH = ("Exam password", "Next", "ID number", "Log in")


def log_in_through_the_pages(page, attempt, labels=CHINESE) -> None:
    code_field, next_button, id_field, login_button = labels
    page.goto("/")
    page.get_by_role("textbox", name=code_field).fill(attempt.session.password)
    page.get_by_role("button", name=next_button).click()
    page.wait_for_url("**/login/")
    page.get_by_role("textbox", name=id_field).fill(attempt.registration.candidate.id_number)
    page.get_by_role("button", name=login_button, exact=True).click()


def test_the_device_check_can_be_done_again_and_again_until_its_session_ends(page, make_seat):
    attempt = make_seat(kind="device_check", lock_screen=False, max_screen_leaves=None)
    for run in range(1, 4):
        log_in_through_the_pages(page, attempt)
        page.wait_for_url("**/exam/photo/")  # a new run, not the thank-you page
        page.get_by_role("button", name="拍照").click()
        page.get_by_role("button", name="确认使用此照片").click()
        page.wait_for_url("**/exam/confirm/")
        page.get_by_role("link", name="开始考试").click()
        page.wait_for_url("**/exam/")
        expect(page.locator("#device-check")).to_contain_text("调试结果已记录")
        assert wait_for_db(lambda run=run: DeviceCheckRun.objects.filter(
            registration_id=attempt.registration_id).count() >= run)
        page.get_by_label("乙").check()
        expect(page.locator("#save-status")).to_have_text("已保存")
        page.get_by_role("button", name="交卷", exact=True).click()
        page.get_by_role("button", name="确认交卷").click()
        page.wait_for_url("**/exam/done/")
        assert wait_for_db(lambda: Attempt.objects.get(pk=attempt.pk).state == "submitted")

    runs = read_db(lambda: list(DeviceCheckRun.objects.filter(registration_id=attempt.registration_id)))
    assert len(runs) >= 3 and all(r.result["camera"] is True for r in runs)
    latest = read_db(lambda: Registration.objects.get(pk=attempt.registration_id))
    assert latest.device_checked_at == max(r.checked_at for r in runs)  # organizers see the latest
    assert read_db(lambda: AttemptAudit.objects.filter(attempt=attempt, action="device_check_again").count()) == 2


def test_the_page_after_a_relogin_that_counts_as_a_leave_says_so(page, context, make_seat):
    attempt = make_seat(max_screen_leaves=5)
    api_login(context, attempt)  # the first login, then two more during the exam
    api_login(context, attempt)
    log_in_through_the_pages(page, attempt)
    page.wait_for_url("**/exam/photo/")
    expect(page.locator("#login-notice")).to_contain_text("重新登录已计为离开 2/5 次")
    page.reload()
    expect(page.locator("#login-notice")).to_have_count(0)  # said once

    site = page.url.split("/exam/", 1)[0] + "/"
    context.add_cookies([{"name": "django_language", "value": "en", "url": site}])
    log_in_through_the_pages(page, attempt, ENGLISH)
    page.wait_for_url("**/exam/photo/")
    expect(page.locator("#login-notice")).to_contain_text("Logging in again counted as a leave: 3/5.")


def test_the_support_panel_starts_at_what_the_page_is_about_with_one_banner(page, context, make_seat):
    attempt = make_seat()
    page.goto("/")
    page.locator("#support-link").click()
    expect(page.get_by_role("combobox", name="问题类型")).to_have_value("login")
    page.keyboard.press("Escape")

    api_login(context, attempt)
    enter_exam(page)
    page.locator("#support-link").click()
    panel = page.get_by_role("dialog", name="技术支持")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("combobox", name="问题类型")).to_have_value("submission")
    violations = Axe().run(page).response["violations"]
    assert not [v["id"] for v in violations if v["id"] in ("landmark-no-duplicate-banner", "landmark-unique")]
    assert page.locator("header, [role=banner]").count() == 1
