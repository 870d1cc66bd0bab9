"""The phone monitor (鹰眼监控) with two browsers: the candidate's computer and a phone (and, for
the wall, a proctor's).

- a stopped phone camera warns on both screens within one snapshot interval; a reload keeps it;
- the candidate re-pairs from the exam page's dialog without leaving full screen (no leave);
- the wall shows who never paired and whose phone is lost since when, pushed and on load;
- a second browser on the candidate's computer posing as a phone is refused (its fingerprint);
- a QR code asked for while a phone is live keeps it live and is not renewed for ever;
- the phone page in landscape keeps its status in view and says when the screen may turn off.

The stack runs with short phone intervals (tests/browser/conftest.py: snapshots every 3 s,
heartbeats every 2 s, lost after 8 s of silence), so "within one snapshot interval" is seconds here.
"""

from __future__ import annotations

import re

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


def test_the_wall_shows_who_never_paired_and_whose_phone_is_lost_since_when_live_and_on_load(
    page, context, new_context, make_seat
):
    from zoneinfo import ZoneInfo

    from tests import factories
    from tests.browser.test_monitor_wall import add_seat, in_thread, login, staff_login, tile

    attempt = make_seat(lock_screen=False, max_screen_leaves=None, requires_phone_monitor=True)
    session = attempt.session
    li = add_seat(session, "李四")
    in_thread(lambda: login(li))  # logged in, never paired a phone
    api_login(context, attempt)
    phone = start_phone(new_context, pairing_link(context))
    assert wait_for_db(lambda: good_image_received(attempt), timeout=10)

    factories.staff_user("phone-wall-proctor", "proctor")
    staff = new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 768})
    wall = staff.new_page()
    staff_login(wall, "phone-wall-proctor", f"/monitor/{session.id}/")
    expect(wall.locator("#monitor-connection")).to_have_text("实时更新中")
    zhang_phone = tile(wall, "张三").locator(".tile__phone")
    expect(zhang_phone).to_have_text("手机监控正常")
    expect(tile(wall, "李四").locator(".tile__phone")).to_have_text("未连接手机")
    expect(tile(wall, "李四")).to_have_class(re.compile(r"\bis-phone-lost\b"))  # required, and missing

    phone.close()  # the phone's page is gone: no heartbeat, no image
    # lost after PHONE_HEARTBEAT_LOST_SECONDS (8 s on this stack) of silence, found by the 1 s sweep,
    # pushed to the open wall
    expect(zhang_phone).to_contain_text("手机断开 自 ", timeout=20_000)
    pairing = read_db(lambda: PhonePairing.objects.get(attempt=attempt, replaced_at__isnull=True))
    since = pairing.lost_at.astimezone(ZoneInfo(session.batch.time_zone)).strftime("%H:%M")
    expect(zhang_phone).to_have_text(re.compile(rf"^手机断开 自 {since}( · 累计断开 \d+ 分钟)?$"))
    expect(wall.locator("#monitor-alerts li").first).to_contain_text("手机监控断开 · 张三")

    wall.reload()  # loaded from the database, not only pushed
    expect(wall.locator("#wall .tile")).to_have_count(2)
    expect(zhang_phone).to_contain_text(f"手机断开 自 {since}")
    expect(tile(wall, "张三")).to_have_class(re.compile(r"\bis-phone-lost\b"))
    expect(tile(wall, "李四").locator(".tile__phone")).to_have_text("未连接手机")
    expect(wall.locator("#monitor-alerts li").first).to_contain_text("手机监控断开 · 张三")
    wall.get_by_label("手机监控异常").check()
    expect(wall.locator("#wall .tile:visible")).to_have_count(2)


def test_a_second_browser_on_the_candidates_computer_cannot_be_the_phone_even_posing_as_one(
    page, context, new_context, make_seat
):
    """Its cookies and user agent are a phone's; its device fingerprint is the computer's."""
    from tests.browser.conftest import PHONE_USER_AGENT

    attempt = make_seat(lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    page.goto("/exam/confirm/")
    box = page.locator("#phone-pairing")
    expect(box.locator("svg")).to_be_visible()  # the computer reported its fingerprint with it
    link = box.locator(".phone-pairing__url").inner_text()

    posing = new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 800},
        user_agent=PHONE_USER_AGENT,
    ).new_page()
    posing.goto(link)
    posing.get_by_role("button", name="开始鹰眼监控").click()
    expect(posing.locator("[data-code]")).to_have_attribute("data-code", "not_a_phone")
    refused = read_db(lambda: ProctorEvent.objects.filter(attempt=attempt, kind="phone_not_a_phone").first())
    assert refused is not None and refused.details["reason"] == "fingerprint"
    expect(box).to_have_attribute("data-phone-status", "waiting")  # the QR code still works
    start_phone(new_context, link)  # the real phone
    expect(box).to_have_attribute("data-phone-status", "live", timeout=15_000)


def test_regenerating_the_qr_code_while_a_phone_is_live_keeps_it_live_and_is_not_renewed_for_ever(
    page, context, new_context, make_seat
):
    attempt = make_seat(lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    page.clock.install()  # time flows as usual; the test may jump it forward
    page.goto("/exam/confirm/")
    box = page.locator("#phone-pairing")
    expect(box.locator("svg")).to_be_visible()
    start_phone(new_context, box.locator(".phone-pairing__url").inner_text())
    page.clock.fast_forward(11_000)  # the page reads the phone's state every 10 s
    expect(box).to_have_attribute("data-phone-status", "live")
    expect(box.locator("svg")).to_have_count(0)
    # where to put the phone, as the phone page says it: hands, desk, the computer's screen, the sheet
    expect(box.locator(".phone-pairing__status")).to_contain_text("双手、桌面、电脑屏幕和草稿纸")

    box.get_by_role("button", name="重新生成二维码").click()
    expect(box.locator("svg")).to_be_visible()
    expect(box).to_have_attribute("data-phone-status", "live")  # not "please scan": the phone is live
    expect(box.locator(".phone-pairing__status")).to_contain_text("手机监控已连接")
    expect(box.locator(".phone-pairing__status")).to_contain_text("将替换当前手机")
    made = read_db(lambda: PhonePairing.objects.filter(attempt=attempt).count())

    page.clock.fast_forward("11:00")  # the new code expired unused (10 minutes)
    expect(box.locator("svg")).to_have_count(0)  # taken away, not renewed
    expect(box).to_have_attribute("data-phone-status", "live")
    page.clock.fast_forward("11:00")
    page.wait_for_timeout(500)
    assert read_db(lambda: PhonePairing.objects.filter(attempt=attempt).count()) == made


def test_the_phone_page_in_landscape_keeps_its_status_in_view_and_says_when_the_screen_may_turn_off(
    context, new_context, make_seat
):
    attempt = make_seat(lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    link = pairing_link(context)
    phone_context = new_context(**{**PHONE_CONTEXT, "viewport": {"width": 844, "height": 390}})
    # the browser refuses the screen wake lock (battery saver, an older browser)
    phone_context.add_init_script(
        "navigator.wakeLock && (navigator.wakeLock.request = () => "
        "Promise.reject(new DOMException('refused', 'NotAllowedError')));"
    )
    phone = phone_context.new_page()
    phone.goto(link)
    phone.get_by_role("button", name="开始鹰眼监控").click()
    phone.wait_for_url("**/proctoring/phone/")
    status = phone.locator("#phone-status")
    expect(status).to_have_attribute("data-level", "ok")
    box = status.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 390, box  # above the fold
    expect(phone.locator("#phone-wakelock")).to_contain_text("不能自动保持屏幕常亮")
