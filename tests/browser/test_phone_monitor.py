"""The phone monitor (鹰眼监控) with two browsers: the candidate's computer and a phone.

The stack runs with short phone intervals (tests/browser/conftest.py: snapshots every 3 s,
heartbeats every 2 s), so "within one snapshot interval" is seconds here.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from exams.models import Attempt
from proctoring.models import PhonePairing, ProctorEvent
from tests.browser.conftest import PHONE_CONTEXT, api_login, enter_exam, read_db, wait_for_db

pytestmark = pytest.mark.browser

SNAPSHOT_SECONDS = 3
# one snapshot interval, plus the push to the computer and the page's reaction
WITHIN_ONE_INTERVAL_MS = (SNAPSHOT_SECONDS + 2) * 1000


def pairing_link(context) -> str:
    token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    response = context.request.post("/api/v1/proctoring/pairing/", headers={"X-CSRFToken": token})
    assert response.status == 201, response.text()
    return response.json()["url"]


def start_phone(new_context, link: str):
    phone = new_context(**PHONE_CONTEXT).new_page()
    phone.goto(link)
    phone.get_by_role("button", name="开始鹰眼监控").click()
    phone.wait_for_url("**/proctoring/phone/")
    expect(phone.locator("#phone-status")).to_have_attribute("data-level", "ok")
    return phone


def good_image_received(attempt) -> bool:
    return read_db(
        lambda: PhonePairing.objects.filter(
            attempt=attempt, replaced_at__isnull=True, last_good_image_at__isnull=False, lost_at__isnull=True
        ).exists()
    )


def stop_camera(phone) -> None:
    phone.evaluate(
        "() => document.getElementById('phone-video').srcObject.getVideoTracks().forEach((t) => t.stop())"
    )


def test_a_stopped_phone_camera_warns_on_both_screens_and_a_reload_keeps_the_warning(
    page, context, new_context, make_seat
):
    attempt = make_seat(lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    enter_exam(page)
    phone = start_phone(new_context, pairing_link(context))
    assert wait_for_db(lambda: good_image_received(attempt), timeout=10)
    banner = page.locator("#phone-warning")
    expect(banner).to_be_empty()

    stop_camera(phone)
    expect(phone.locator("#phone-status")).to_contain_text("摄像头画面异常", timeout=WITHIN_ONE_INTERVAL_MS)
    expect(banner).to_contain_text("摄像头画面异常", timeout=WITHIN_ONE_INTERVAL_MS)
    problem = read_db(lambda: ProctorEvent.objects.filter(attempt=attempt, kind="phone_camera_problem").first())
    assert problem is not None and problem.details["reason"] in ("stopped", "black", "frozen")

    page.reload()  # the state is loaded with the page, not only pushed
    expect(page.locator("#phone-warning")).to_contain_text("摄像头画面异常")
    expect(page.get_by_role("button", name="重新连接手机")).to_be_visible()


def test_the_candidate_repairs_the_phone_from_the_exam_page_without_leaving_full_screen(
    page, context, new_context, make_seat
):
    attempt = make_seat(max_screen_leaves=2)  # lock screen on
    api_login(context, attempt)
    enter_exam(page)
    assert page.evaluate("Boolean(document.fullscreenElement)")
    first = start_phone(new_context, pairing_link(context))
    assert wait_for_db(lambda: good_image_received(attempt), timeout=10)
    stop_camera(first)
    repair = page.get_by_role("button", name="重新连接手机")
    expect(repair).to_be_visible(timeout=WITHIN_ONE_INTERVAL_MS)

    repair.click()
    dialog = page.get_by_role("dialog", name="重新连接手机监控")
    expect(dialog).to_be_visible()
    expect(dialog.locator("svg")).to_be_visible()  # a fresh QR code, on the exam page itself
    link = dialog.locator(".phone-pairing__url").inner_text()
    assert page.evaluate("Boolean(document.fullscreenElement)")

    start_phone(new_context, link)  # the candidate scans it with the phone
    expect(dialog).to_be_hidden(timeout=WITHIN_ONE_INTERVAL_MS + 5000)  # closes once the phone is live
    expect(page.locator("#phone-warning")).to_be_empty()
    expect(repair).to_be_hidden()
    assert page.evaluate("Boolean(document.fullscreenElement)")
    assert read_db(lambda: Attempt.objects.get(pk=attempt.pk).leaves_used) == 0
    back = read_db(
        lambda: ProctorEvent.objects.filter(attempt=attempt, kind="phone_connected").order_by("id").last()
    )
    assert back.details["repaired"] is True and back.details["lost_seconds"] >= 0
    assert not read_db(lambda: ProctorEvent.objects.filter(attempt=attempt, kind="screen_leave").exists())
