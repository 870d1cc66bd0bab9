"""Full-exam recording in a real browser: Chromium's fake camera and microphone record on the
exam page in chunks (2 s here, through the page's settings), the network is cut in the middle,
and every chunk reaches the server in order; a reviewer's player jumps to an event."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from exams.audit import AuditAction
from exams.models import Attempt, AttemptAudit
from proctoring.models import ProctorEvent, RecordingChunk
from tests.browser.conftest import PHONE_CONTEXT, api_login, enter_exam, read_db, wait_for_db
from tests.browser.test_results import admin_login

pytestmark = pytest.mark.browser

CHUNK_SECONDS = 2
# How many chunks wait in the page's IndexedDB queue.
COUNT_QUEUED = """(name) => new Promise((resolve) => {
    const open = indexedDB.open(name);
    open.onsuccess = () => {
        const count = open.result.transaction("chunks").objectStore("chunks").count();
        count.onsuccess = () => resolve(count.result);
    };
})"""


def short_chunks(page, **settings) -> None:
    """The page is told 2-second chunks (the server's setting says 10): the test stays short."""

    def handle(route):
        response = route.fetch()
        body = response.json()
        body["session"]["recording"].update(chunk_seconds=CHUNK_SECONDS, **settings)
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/api/v1/candidate/attempt/", handle)


def chunks_of(attempt) -> list[RecordingChunk]:
    return list(RecordingChunk.objects.filter(attempt=attempt, stream="computer").order_by("seq"))


def test_chunks_recorded_while_offline_all_reach_the_server_in_order(page, context, make_seat):
    attempt = make_seat()
    api_login(context, attempt)
    short_chunks(page)
    enter_exam(page)
    expect(page.locator("#recording-indicator")).to_be_visible()
    expect(page.locator("#recording-indicator")).to_have_text("录制中")
    assert wait_for_db(lambda: len(chunks_of(attempt)) >= 2, timeout=20)

    context.set_offline(True)
    before = len(read_db(lambda: chunks_of(attempt)))
    page.locator("#question-host input").first.check()  # answering goes on offline
    page.wait_for_timeout(9000)  # the recorder keeps recording: about four chunks queued
    queued = page.evaluate(COUNT_QUEUED, f"exam-recording-{attempt.id}")
    assert queued >= 3
    assert len(read_db(lambda: chunks_of(attempt))) <= before + 1  # at most one in flight when cut
    context.set_offline(False)

    assert wait_for_db(lambda: len(chunks_of(attempt)) >= before + queued + 1, timeout=30)
    stored = read_db(lambda: chunks_of(attempt))
    assert [c.seq for c in stored] == list(range(len(stored)))  # none lost, none twice
    starts = [c.started_at for c in stored]
    assert starts == sorted(starts)
    received = [c.received_at for c in stored]
    assert received == sorted(received)  # uploaded oldest first
    for previous, chunk in zip(stored, stored[1:], strict=False):
        end = previous.started_at + timedelta(milliseconds=previous.duration_ms)
        assert abs((chunk.started_at - end).total_seconds()) < 1.0, "a hole between two chunks"
    assert all(1000 <= c.duration_ms <= 4000 and c.size > 0 and not c.late for c in stored)
    # The answer given offline reached the server too.
    assert wait_for_db(lambda: Attempt.objects.get(pk=attempt.pk).answers.exists())


def test_the_reviewer_plays_from_a_few_seconds_before_an_event(page, context, make_seat, new_context):
    from proctoring.services.events import event_record_server
    from proctoring.services.recording import ChunkIn, chunk_store
    from tests import factories
    from tests.proctoring.webm_files import RECORDED

    attempt = make_seat()
    start = attempt.session.starts_at
    Attempt.objects.filter(pk=attempt.pk).update(state="in_progress", checked_in_at=start, started_at=start)
    attempt.refresh_from_db()
    for seq in range(4):
        chunk = ChunkIn(stream="computer", seq=seq, started_at=start + timedelta(seconds=10 * seq), duration_ms=10000)
        chunk_store(attempt=attempt, chunk=chunk, data=RECORDED, now=start + timedelta(seconds=10 * seq + 11))
    leave = event_record_server(attempt=attempt, kind=ProctorEvent.SCREEN_LEAVE, now=start + timedelta(seconds=27))
    factories.staff_user("proctor1", "proctor")

    reviewer = new_context(locale="zh-CN").new_page()
    admin_login(reviewer, "proctor1")
    reviewer.goto(f"/proctoring/review/attempt/{attempt.id}/")
    jump = reviewer.locator(f'#recording-events button[data-kind="{ProctorEvent.SCREEN_LEAVE}"]')
    expect(jump).to_contain_text("离屏")
    jump.click()

    video = reviewer.locator("#recording-video")
    # 27 s - 5 s = 22 s: the third chunk (20-30 s), 2 s in.
    expect(video).to_have_attribute("data-seq", "2")
    expect(video).to_have_attribute("data-offset", "2")
    reviewer.wait_for_function(
        "() => { const v = document.getElementById('recording-video'); return v.readyState >= 2 && !v.error; }"
    )
    expect(reviewer.locator("#recording-position")).to_contain_text("电脑摄像头")
    rows = wait_for_db(lambda: list(AttemptAudit.objects.filter(attempt=attempt, action=AuditAction.RECORDING_PLAYED)))
    assert len(rows) == 1 and rows[0].actor.username == "proctor1"
    assert rows[0].details["from"].startswith((leave.at - timedelta(seconds=5)).isoformat()[:19])

    # The same from the attempt's timeline below: its row has a play button too.
    row = reviewer.locator(f'#timeline li[data-kind="{ProctorEvent.SCREEN_LEAVE}"]')
    row.get_by_role("button", name="从前 5 秒播放").click()
    expect(video).to_have_attribute("data-seq", "2")
    assert wait_for_db(lambda: AttemptAudit.objects.filter(
        attempt=attempt, action=AuditAction.RECORDING_PLAYED).count() == 2)


def test_the_phone_records_its_camera_as_the_second_stream(context, new_context, make_seat):
    from tests.browser.test_phone_monitor import pairing_link

    attempt = make_seat(lock_screen=False, max_screen_leaves=None, requires_phone_monitor=True)
    api_login(context, attempt)
    phone_context = new_context(**PHONE_CONTEXT)

    def phone_page(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace(
            '"chunk_seconds": 10.0', f'"chunk_seconds": {CHUNK_SECONDS}'))

    phone_context.route("**/proctoring/phone/", phone_page)
    phone = phone_context.new_page()
    phone.goto(pairing_link(context))
    phone.get_by_role("button", name="开始鹰眼监控").click()
    phone.wait_for_url("**/proctoring/phone/")
    phone.reload()  # through the route: 2-second chunks

    def phone_chunks():
        return list(RecordingChunk.objects.filter(attempt=attempt, stream="phone").order_by("seq"))

    assert wait_for_db(lambda: len(phone_chunks()) >= 2, timeout=30)
    stored = read_db(phone_chunks)
    # The reload may cut the first page's chunk (seq 0, a gap); the new page goes on after it.
    seqs = [c.seq for c in stored]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) and seqs[0] <= 1
    assert all(c.size > 0 and 1000 <= c.duration_ms <= 4000 for c in stored)


def test_the_device_check_plays_back_a_ten_second_test_recording_and_uploads_nothing(page, context, make_seat):
    from tests.browser.test_accessibility import assert_accessible

    attempt = make_seat(kind="device_check", lock_screen=False, max_screen_leaves=None, recording="off")
    api_login(context, attempt)
    page.goto("/exam/")
    expect(page.locator("#device-check")).to_contain_text("调试结果已记录")
    expect(page.locator("#recording-indicator")).to_be_hidden()  # a device check records nothing

    page.get_by_role("button", name="录制 10 秒测试录像").click()
    expect(page.locator("#test-recording-status")).to_contain_text("正在录制")
    expect(page.locator("#test-recording-status")).to_have_text(
        "录制完成，请点击播放，确认能看到自己的画面、听到自己的声音。", timeout=20000
    )
    video = page.locator("#test-recording-video")
    expect(video).to_be_visible()
    assert video.get_attribute("src").startswith("blob:")
    page.wait_for_function("() => document.getElementById('test-recording-video').readyState >= 1")
    assert_accessible(page, "device check with its test recording")
    assert not read_db(lambda: RecordingChunk.objects.filter(attempt=attempt).exists())


def test_a_full_offline_queue_drops_its_oldest_chunks_and_the_review_shows_the_gap(page, context, make_seat):
    from django.utils import timezone

    from proctoring.recordings import recording_review

    attempt = make_seat(lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    short_chunks(page, queue_max_bytes=45_000)  # about two 2-second chunks of the fake camera
    enter_exam(page)
    assert wait_for_db(lambda: len(chunks_of(attempt)) >= 1, timeout=20)

    context.set_offline(True)
    page.wait_for_timeout(12000)  # about six chunks recorded; the queue keeps the newest
    context.set_offline(False)

    gap = wait_for_db(lambda: ProctorEvent.objects.filter(
        attempt=attempt, kind=ProctorEvent.RECORDING_GAP, details__reason="queue_full").first(), timeout=20)
    assert gap is not None and gap.details["stream"] == "computer" and gap.details["chunks"] >= 1
    seqs = wait_for_db(lambda: [c.seq for c in chunks_of(attempt)] if len(chunks_of(attempt)) >= 4 else None,
                       timeout=20)
    assert seqs != list(range(len(seqs)))  # the dropped chunks never reach the server
    review = read_db(lambda: recording_review(attempt=Attempt.objects.get(pk=attempt.pk), now=timezone.now()))
    assert "queue_full" in [g["cause"] for g in review["streams"]["computer"]["gaps"]]
