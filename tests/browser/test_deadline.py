"""The end of the exam in a real browser (issue 13): a deadline change is seen at once, in words,
and answers made offline before the deadline reach the server through the emergency backup."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from exams.models import Answer, Attempt, ExamSession, LateAnswer
from exams.services import collection, recovery
from exams.services.sessions import session_save
from tests import factories
from tests.browser.conftest import api_login, enter_exam, read_db, wait_for_db

pytestmark = pytest.mark.browser


def in_thread(fn):
    """Run fn as an organizer's request would: in a thread of its own, so that its pushes (async_to_sync)
    do not meet Playwright's event loop in this thread."""
    from django.db import connections

    def run():
        try:
            return fn()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def stored(attempt) -> dict:
    return dict(Answer.objects.filter(attempt=attempt).values_list("question_id", "value"))


def remaining(page) -> int:
    return int(page.locator("#countdown").get_attribute("data-remaining-seconds"))


def beijing_hhmm(instant) -> str:
    return timezone.localtime(instant, timezone.get_fixed_timezone(8 * 60)).strftime("%H:%M")


def test_a_session_wide_credit_shows_a_banner_saying_what_by_how_much_and_why(page, context, make_seat):
    attempt = make_seat(lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    enter_exam(page)
    page.wait_for_function("() => document.getElementById('countdown').dataset.remainingSeconds")
    expect(page.locator("#deadline-banner")).to_be_empty()
    before = remaining(page)
    organizer = read_db(lambda: factories.staff_user("organizer", "organizer"))

    ids = in_thread(lambda: recovery.session_grant_extra_minutes(
        session_id=attempt.session_id, minutes=10, reason="平台故障，全场补时", actor=organizer, now=timezone.now(),
    ))
    assert ids == [attempt.id]
    new_deadline = attempt.deadline + timedelta(minutes=10)
    banner = page.get_by_role("status").filter(has_text="考务人员为本场考试延长了 10 分钟")
    expect(banner).to_have_text(
        f"考务人员为本场考试延长了 10 分钟，新的结束时间 {beijing_hhmm(new_deadline)}。原因：平台故障，全场补时知道了"
    )
    expect(page.locator("#deadline-banner")).to_have_attribute("aria-live", "polite")
    page.wait_for_function(
        f"() => Number(document.getElementById('countdown').dataset.remainingSeconds) > {before + 590}"
    )
    page.wait_for_timeout(1500)
    expect(banner).to_be_visible()  # stays until dismissed
    page.get_by_role("button", name="关闭考试时间调整通知").click()
    expect(page.locator("#deadline-banner")).to_be_empty()


def test_the_waiting_room_shows_a_moved_end_too(page, context, make_seat):
    attempt = make_seat(starts_in=timedelta(minutes=10), lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    page.goto("/exam/")
    expect(page.get_by_role("heading", name="等待开考")).to_be_visible()
    page.wait_for_timeout(500)  # the socket is connected

    def shorten():
        session = ExamSession.objects.select_related("batch").get(pk=attempt.session_id)
        session.ends_at -= timedelta(minutes=15)
        session_save(session=session, now=timezone.now())

    in_thread(shorten)
    new_deadline = attempt.deadline - timedelta(minutes=15)
    expect(page.locator("#deadline-banner")).to_contain_text(
        f"考务人员将本场考试的结束时间提前了 15 分钟，新的结束时间 {beijing_hhmm(new_deadline)}。"
    )
    expect(page.locator("#deadline-banner")).to_contain_text("原因：考务人员调整了本场考试的时间安排。")


def test_answers_made_offline_before_the_deadline_reach_the_server_through_the_backup(page, context, make_seat):
    # A session that ends 40 s from now.
    attempt = make_seat(starts_in=timedelta(minutes=-1), duration=timedelta(minutes=1, seconds=40),
                        lock_screen=False, max_screen_leaves=None)
    ids = list(attempt.session.paper.questions.order_by("position").values_list("id", flat=True))
    api_login(context, attempt)
    enter_exam(page)
    page.get_by_label("乙").check()
    expect(page.locator("#save-status")).to_have_text("已保存")
    assert wait_for_db(lambda: stored(attempt) == {ids[0]: "B"})

    seconds_left = (attempt.deadline - timezone.now()).total_seconds()
    assert seconds_left > 25, seconds_left
    context.set_offline(True)  # about 30 s before the deadline
    page.get_by_role("button", name="下一题").click()
    page.get_by_label("甲").check()
    page.get_by_label("丙").check()
    page.get_by_role("button", name="下一题").click()
    page.get_by_label("错", exact=True).check()
    expect(page.locator("#save-status")).to_have_text("未同步 2 条")

    # The deadline passes: the page keeps the answers and offers the encrypted backup.
    time.sleep(max(0.0, (attempt.deadline - timezone.now()).total_seconds()))
    offer = page.locator("#backup-offer")
    expect(offer).to_be_visible(timeout=15_000)
    expect(page.locator("#backup-title")).to_have_text("考试时间已到，还有 2 条答案未能上传")
    assert wait_for_db(lambda: Attempt.objects.get(pk=attempt.pk).state == "collected")
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="下载作答备份").click()
    download = downloaded.value
    assert download.suggested_filename.startswith(f"作答备份-{attempt.id}-")
    raw = Path(download.path()).read_bytes()
    expect(page.locator("#backup-status")).to_contain_text("作答备份已下载")
    assert b"\xe4\xb9\x99" not in raw and b'"value"' not in raw  # encrypted: no answer in clear
    assert read_db(lambda: stored(attempt)) == {ids[0]: "B"}

    # An organizer uploads the file on the attempt, then accepts the answers it holds.
    organizer = read_db(lambda: factories.staff_user("organizer", "organizer"))
    staff = Client()
    staff.force_login(organizer)
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/monitor/attempt/{attempt.id}/"
    imported = in_thread(lambda: staff.post(url, {"action": "backup", "file": SimpleUploadedFile(
        download.suggested_filename, raw, content_type="application/json")}, follow=True))
    assert "备份已导入：共 2 条，2 条存为截止后答案待采纳" in imported.content.decode()
    assert read_db(lambda: LateAnswer.objects.filter(attempt=attempt, source="backup").count()) == 2
    accepted = in_thread(lambda: staff.post(
        url, {"action": "accept_late", "reason": "考生断网，凭作答备份采纳"}, follow=True))
    assert "已采纳 2 条截止后答案" in accepted.content.decode()
    assert read_db(lambda: stored(attempt)) == {ids[0]: "B", ids[1]: ["A", "C"], ids[2]: False}
    assert read_db(lambda: Attempt.objects.get(pk=attempt.pk).receipt)


def test_an_organizer_reopens_a_collected_attempt_from_the_wall_and_the_candidates_page_returns(
    page, context, new_context, make_seat
):
    from tests.browser.test_monitor_wall import staff_login, tile

    attempt = make_seat(lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    candidate = context.new_page()
    enter_exam(candidate)
    candidate.get_by_label("乙").check()
    expect(candidate.locator("#save-status")).to_have_text("已保存")
    def collect_now():  # as if its deadline had come
        now = timezone.now()
        Attempt.objects.filter(pk=attempt.pk).update(deadline=now)
        collection.session_collect(session_id=attempt.session_id, now=now)

    in_thread(collect_now)
    candidate.wait_for_url("**/exam/collected/")

    read_db(lambda: factories.staff_user("wall-organizer", "organizer"))
    staff = new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    staff_login(staff, "wall-organizer", f"/monitor/{attempt.session_id}/")
    tile(staff, "张三").click()
    staff.fill("#wall-reopen-minutes", "15")
    staff.fill("#wall-reopen-reason", "误收卷：平台故障")
    staff.once("dialog", lambda dialog: dialog.accept())
    staff.get_by_role("button", name="重开作答").click()
    expect(staff.locator("#wall-action-result")).to_have_text("已执行并记录。")
    assert wait_for_db(lambda: Attempt.objects.get(pk=attempt.pk).state == "in_progress")

    # The candidate's collected page goes back to the exam, which says why and until when.
    candidate.wait_for_url("**/exam/")
    deadline = read_db(lambda: Attempt.objects.get(pk=attempt.pk).deadline)
    expect(candidate.locator("#deadline-banner")).to_contain_text(
        f"考务人员已为您重新开放作答，新的结束时间 {beijing_hhmm(deadline)}。原因：误收卷：平台故障"
    )
    expect(candidate.locator("#question-nav button").first).to_be_visible()
