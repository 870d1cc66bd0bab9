"""What the attempt socket pushes, one live client per attempt, and the device check."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from candidates.models import Registration
from exams.models import Answer, Attempt
from exams.selectors.attempts import attempt_status
from exams.services.collection import session_collect
from tests.browser.conftest import api_login, enter_exam, read_db, wait_for_db

pytestmark = pytest.mark.browser


class FakeAttemptSocket:
    """Stands in for /ws/attempt/ (the contract of issue 4) in front of the page."""

    def __init__(self, page, attempt):
        self.attempt = attempt
        self.routes = []
        self.pings = 0
        page.route_web_socket("**/ws/attempt/", self.connected)

    def connected(self, ws) -> None:
        self.routes.append(ws)
        ws.on_message(lambda message: self.received(ws, message))
        status = read_db(lambda: attempt_status(
            attempt=Attempt.objects.select_related("session__batch").get(pk=self.attempt.pk), now=timezone.now()
        ))
        ws.send(json.dumps({"type": "sync", **status}))

    def received(self, ws, message) -> None:
        body = json.loads(message)
        if body.get("type") == "ping":
            self.pings += 1
            ws.send(json.dumps({"type": "pong", "client_time": body["client_time"],
                                "server_time": timezone.now().isoformat()}))

    def push(self, payload: dict) -> None:
        self.routes[-1].send(json.dumps(payload))


def remaining(page) -> int:
    return int(page.locator("#countdown").get_attribute("data-remaining-seconds"))


def test_the_socket_grants_extra_time_passes_a_message_and_ends_the_exam_at_collection(
    page, context, make_seat
):
    attempt = make_seat(lock_screen=False, max_screen_leaves=None)
    socket = FakeAttemptSocket(page, attempt)
    api_login(context, attempt)
    enter_exam(page)
    page.wait_for_function("() => document.getElementById('countdown').dataset.remainingSeconds")
    assert socket.pings >= 1
    before = remaining(page)

    socket.push({"type": "deadline", "deadline": (attempt.deadline + timedelta(minutes=30)).isoformat()})
    page.wait_for_function(
        f"() => Number(document.getElementById('countdown').dataset.remainingSeconds) > {before + 1700}"
    )

    socket.push({"type": "message", "text": "请调整摄像头角度"})
    expect(page.locator("#staff-message")).to_have_text("考务通知：请调整摄像头角度")

    page.get_by_label("乙").check()
    expect(page.locator("#save-status")).to_have_text("已保存")
    read_db(lambda: session_collect(session_id=attempt.session_id, now=attempt.deadline))
    socket.push({"type": "collected", "receipt": "x"})
    page.wait_for_url("**/exam/collected/")
    expect(page.get_by_role("heading", name="考试时间已到，系统已统一收卷，账号已失效")).to_be_visible()
    receipt = read_db(lambda: Attempt.objects.get(pk=attempt.pk).receipt)
    expect(page.locator("#receipt")).to_have_text(receipt)


def test_a_login_on_another_computer_stops_this_page_and_says_why(
    page, context, new_context, make_seat
):
    attempt = make_seat(lock_screen=False, max_screen_leaves=None)
    first = attempt.session.paper.questions.order_by("position").first()
    api_login(context, attempt)
    enter_exam(page)
    page.get_by_label("乙").check()
    expect(page.locator("#save-status")).to_have_text("已保存")

    api_login(new_context(), attempt)  # the other login is pushed to this page at once

    expect(page.get_by_role("heading", name="本页面已停止作答")).to_be_visible()
    expect(page.locator("#stopped-reason")).to_contain_text("已在其他页面或设备登录")
    assert read_db(lambda: Answer.objects.get(attempt=attempt, question=first).value) == "B"


def test_a_candidate_can_do_the_device_check_and_organizers_see_the_result(page, make_seat):
    attempt = make_seat(kind="device_check")
    session, candidate = attempt.session, attempt.registration.candidate

    page.goto("/")
    page.get_by_role("textbox", name="考试口令").fill(session.password)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/login/")
    expect(page.locator("#lock-warning")).to_be_empty()
    page.get_by_role("textbox", name="证件号").fill(candidate.id_number)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/exam/photo/")
    page.get_by_role("button", name="拍照").click()
    page.get_by_role("button", name="确认使用此照片").click()
    page.wait_for_url("**/exam/confirm/")
    page.get_by_role("link", name="开始考试").click()

    page.wait_for_url("**/exam/")
    expect(page.get_by_role("button", name="进入全屏并继续")).to_be_hidden()
    expect(page.locator("#device-check")).to_contain_text("调试结果已记录")
    expect(page.locator('[data-check="camera"]')).to_have_text("摄像头可用")
    expect(page.locator('[data-check="photo"]')).to_have_text("已拍摄登录照片")
    result = wait_for_db(lambda: Registration.objects.get(pk=attempt.registration_id).device_check)
    assert result["camera"] is True and result["photo"] is True and result["microphone"] is True
    assert result["browser"].startswith("Chrome ")
    assert isinstance(result["round_trip_ms"], int)
    page.get_by_label("乙").check()  # the sample paper answers like the real one

    page.get_by_role("button", name="退出调试").click()
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/$"))
    expect(page.get_by_role("heading", name="输入考试口令")).to_be_visible()
    assert read_db(lambda: Attempt.objects.get(pk=attempt.pk).leaves_used) == 0


def test_the_waiting_room_opens_the_paper_at_the_start(page, context, make_seat):
    attempt = make_seat(starts_in=timedelta(seconds=3), lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    page.goto("/exam/")
    expect(page.get_by_role("heading", name="等待开考")).to_be_visible()
    expect(page.locator("#question-nav button")).to_have_count(5)
    expect(page.locator("#countdown-label")).to_have_text("剩余时间")
    assert read_db(lambda: Attempt.objects.get(pk=attempt.pk).state) == "in_progress"


def test_at_the_deadline_the_page_stops_input_and_shows_the_collected_page(page, context, make_seat):
    attempt = make_seat(duration=timedelta(minutes=1, seconds=5), lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    enter_exam(page)
    page.get_by_label("乙").check()
    page.wait_for_url("**/exam/collected/", timeout=15_000)
    expect(page.get_by_role("heading", name="考试时间已到，系统已统一收卷，账号已失效")).to_be_visible()
    first = attempt.session.paper.questions.order_by("position").first()
    assert read_db(lambda: Answer.objects.get(attempt=attempt, question=first).value) == "B"


def test_the_exam_page_warns_when_the_phone_monitor_is_lost_and_clears_it_when_back(page, context, make_seat):
    attempt = make_seat(lock_screen=False, max_screen_leaves=None)
    socket = FakeAttemptSocket(page, attempt)
    api_login(context, attempt)
    enter_exam(page)
    page.wait_for_function("() => document.getElementById('countdown').dataset.remainingSeconds")
    warning = page.locator("#phone-warning")
    expect(warning).to_be_empty()

    socket.push({"type": "phone", "required": False, "status": "lost", "since": None})
    expect(warning).to_contain_text("手机监控已断开")
    expect(page.get_by_role("button", name="重新连接手机")).to_be_visible()
    socket.push({"type": "phone", "required": False, "status": "live", "since": None})
    expect(warning).to_be_empty()
    expect(page.get_by_role("button", name="重新连接手机")).to_be_hidden()
