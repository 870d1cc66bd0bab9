"""Proctoring capture in a real browser with Chromium's fake camera and microphone.

The capture modules are driven on the real candidate pages (served by the live server on
127.0.0.1, a secure context for the camera): /exam/confirm/ for the modules themselves and
the phone pairing, /exam/ for the snapshots the exam page takes on its own.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from proctoring.models import Evidence, PhonePairing, ProctorEvent
from tests.browser.conftest import api_login, enter_exam, read_db, wait_for_db

pytestmark = pytest.mark.browser

CAPTURE = "/static/js/proctoring/capture.js"


def csrf_token(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")


def evidence_of(attempt, kind: str) -> list[Evidence]:
    return list(Evidence.objects.filter(attempt=attempt, kind=kind))


def events_of(attempt, kind: str) -> list[ProctorEvent]:
    return list(ProctorEvent.objects.filter(attempt=attempt, kind=kind))


@pytest.fixture
def on_confirm_page(page, context, make_seat):
    attempt = make_seat(snapshot_interval_seconds=5)
    api_login(context, attempt)
    page.goto("/exam/confirm/")
    expect(page.locator("#phone-pairing")).to_be_attached()
    return page, attempt


def test_the_fake_camera_takes_the_login_photo_and_periodic_snapshots(on_confirm_page, context):
    page, attempt = on_confirm_page
    answer = page.evaluate(
        """async ([url, csrfToken]) => {
            const capture = await import(url);
            return capture.takePhoto({kind: "login_photo", csrfToken});
        }""",
        [CAPTURE, csrf_token(context)],
    )
    assert len(answer["sha256"]) == 64
    photos = wait_for_db(lambda: evidence_of(attempt, Evidence.LOGIN_PHOTO))
    assert len(photos) == 1 and photos[0].width > 0 and photos[0].captured_at is not None
    assert read_db(lambda: events_of(attempt, ProctorEvent.PHOTO))

    page.evaluate(
        """async ([url, csrfToken]) => {
            const capture = await import(url);
            window.__events = [];
            window.__proctoring = await capture.startProctoring({
                snapshotIntervalSeconds: 5, csrfToken,
                onEvent: (kind, details) => window.__events.push([kind, details]),
            });
        }""",
        [CAPTURE, csrf_token(context)],
    )
    snapshots = wait_for_db(lambda: len(evidence_of(attempt, Evidence.SNAPSHOT)) >= 2 or None, timeout=15)
    assert snapshots, "expected a first snapshot at once and another after 5 s"
    stored = read_db(lambda: evidence_of(attempt, Evidence.SNAPSHOT))
    assert len({e.capture_id for e in stored}) == len(stored)
    assert all(e.size > 0 and e.sha256 for e in stored)
    # a bright fake camera and a silent fake microphone: nothing to report
    assert page.evaluate("() => window.__events") == []
    assert page.evaluate("() => window.__proctoring.pending()") == 0


# Replaces the devices with a dark room and a loud voice: a black canvas as the camera and a
# 440 Hz tone at half scale (about -9 dBFS) as the microphone. Chromium's fake devices give a
# bright picture and silence, which is what the other tests rely on.
DARK_AND_LOUD = """() => {
    const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
        if (constraints.video) {
            const canvas = document.createElement("canvas");
            canvas.width = 320; canvas.height = 240;
            const ctx = canvas.getContext("2d");
            setInterval(() => { ctx.fillStyle = "#020202"; ctx.fillRect(0, 0, 320, 240); }, 100);
            return canvas.captureStream(10);
        }
        if (constraints.audio) {
            const audio = new AudioContext();
            const tone = audio.createOscillator();
            const gain = audio.createGain();
            gain.gain.value = 0.5;
            const out = audio.createMediaStreamDestination();
            tone.connect(gain).connect(out);
            tone.start();
            return out.stream;
        }
        return real(constraints);
    };
}"""


def test_black_frames_and_sustained_sound_become_events(on_confirm_page, context):
    page, attempt = on_confirm_page
    page.evaluate(DARK_AND_LOUD)
    page.evaluate(
        """async ([url, csrfToken]) => {
            const capture = await import(url);
            window.__events = [];
            await capture.startProctoring({
                snapshotIntervalSeconds: 60, csrfToken, checkSeconds: 1, loudSeconds: 2,
                onEvent: (kind) => window.__events.push(kind),
            });
        }""",
        [CAPTURE, csrf_token(context)],
    )
    page.mouse.click(5, 5)  # a user gesture, in case the AudioContext waits for one
    black = wait_for_db(lambda: events_of(attempt, ProctorEvent.CAMERA_BLACK), timeout=10)
    assert black and black[0].details["brightness"] < 20
    loud = wait_for_db(lambda: events_of(attempt, ProctorEvent.LOUD_SOUND), timeout=10)
    assert loud and loud[0].details["seconds"] >= 2
    assert -12 < loud[0].details["level_db"] < -6  # the tone's level, measured
    assert loud[0].client_time is not None
    page.wait_for_timeout(2500)
    # once per episode, not once per check
    assert len(read_db(lambda: events_of(attempt, ProctorEvent.CAMERA_BLACK))) == 1
    assert len(read_db(lambda: events_of(attempt, ProctorEvent.LOUD_SOUND))) == 1
    assert set(page.evaluate("() => window.__events")) == {"camera_black", "loud_sound"}


def test_the_measurements_themselves(on_confirm_page):
    page, _attempt = on_confirm_page
    result = page.evaluate(
        """async (url) => {
            const capture = await import(url);
            const canvas = document.createElement("canvas");
            canvas.width = 64; canvas.height = 48;
            const ctx = canvas.getContext("2d");
            ctx.fillStyle = "#000"; ctx.fillRect(0, 0, 64, 48);
            const black = capture.brightnessOf(canvas);
            ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 64, 48);
            const white = capture.brightnessOf(canvas);
            return {black, white, half: capture.rmsToDb(new Float32Array(1024).fill(0.5)),
                    silence: String(capture.rmsToDb(new Float32Array(1024)))};
        }""",
        CAPTURE,
    )
    assert result["black"] == 0 and result["white"] > 254
    assert round(result["half"], 2) == -6.02
    assert result["silence"] == "-Infinity"


def test_snapshots_taken_offline_are_uploaded_when_the_network_returns(on_confirm_page, context):
    page, attempt = on_confirm_page
    page.evaluate(
        """async ([url, csrfToken]) => {
            const capture = await import(url);
            window.__proctoring = await capture.startProctoring({
                snapshotIntervalSeconds: 600, csrfToken, audio: false,
            });
        }""",
        [CAPTURE, csrf_token(context)],
    )
    wait_for_db(lambda: evidence_of(attempt, Evidence.SNAPSHOT), timeout=10)  # the first one, online
    context.set_offline(True)
    page.evaluate("() => window.__proctoring.snapshot('snapshot')")
    page.evaluate("() => window.__proctoring.snapshot('snapshot')")
    assert page.evaluate("() => window.__proctoring.pending()") == 2
    page.wait_for_timeout(500)
    assert len(read_db(lambda: evidence_of(attempt, Evidence.SNAPSHOT))) == 1
    context.set_offline(False)
    assert wait_for_db(lambda: len(evidence_of(attempt, Evidence.SNAPSHOT)) == 3, timeout=10)
    assert page.evaluate("() => window.__proctoring.pending()") == 0


def test_the_phone_scans_the_qr_link_and_its_camera_reaches_the_server(on_confirm_page, new_context):
    page, attempt = on_confirm_page
    box = page.locator("#phone-pairing")  # the confirmation page makes its QR code by itself
    expect(box.locator("svg")).to_be_visible()
    expect(box).to_have_attribute("data-phone-status", "waiting")
    link = box.locator("a").get_attribute("href")
    assert "/proctoring/phone/" in link

    phone = new_context(
        permissions=["camera"], viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        locale="zh-CN",
    )
    mobile = phone.new_page()
    mobile.goto(link)
    expect(mobile.get_by_text("飞行模式").first).to_be_visible()
    mobile.get_by_role("button", name="开始鹰眼监控").click()
    mobile.wait_for_url("**/proctoring/phone/")
    expect(mobile.locator("#phone-status")).to_have_attribute("data-level", "ok")
    shots = wait_for_db(lambda: evidence_of(attempt, Evidence.PHONE_SNAPSHOT), timeout=10)
    assert shots and shots[0].size > 0
    assert read_db(lambda: events_of(attempt, ProctorEvent.PHONE_CONNECTED))
    assert read_db(lambda: PhonePairing.objects.get(attempt=attempt).last_heartbeat_at) is not None
    # no socket on this page: the status is polled every 10 s
    expect(box).to_have_attribute("data-phone-status", "connected", timeout=15000)
    expect(box.locator("svg")).to_have_count(0)  # the used QR code is gone

    again = phone.new_page()
    again.goto(link)  # the same link a second time
    expect(again.get_by_text("请在电脑上重新生成二维码").first).to_be_visible()


def test_the_exam_page_sends_snapshots_by_itself(page, context, make_seat):
    """Needs capture.js wired into the exam page (startProctoring with the session's interval)."""
    attempt = make_seat(snapshot_interval_seconds=5)
    api_login(context, attempt)
    enter_exam(page)
    assert wait_for_db(lambda: len(evidence_of(attempt, Evidence.SNAPSHOT)) >= 2 or None, timeout=15)


def test_a_scratch_paper_subject_asks_for_the_a4_sheet_before_answering_and_keeps_it_on_record(
    page, context, make_seat
):
    attempt = make_seat(requires_scratch_paper=True, lock_screen=False, max_screen_leaves=None)
    api_login(context, attempt)
    page.goto("/exam/")
    step = page.get_by_role("region", name="A4 草稿纸检查")
    expect(step).to_be_visible()
    # The server refuses to start answering (sheet_required) until the sheet is shown.
    expect(page.locator("#loading-text")).to_contain_text("A4 草稿纸")
    expect(page.locator("#question-nav button")).to_have_count(0)

    take_scratch_photo(step)
    expect(page.locator("#question-nav button").first).to_be_visible(timeout=15000)
    shots = wait_for_db(lambda: evidence_of(attempt, Evidence.SCRATCH_PAPER), timeout=10)
    assert len(shots) == 1 and shots[0].size > 0

    page.reload()
    expect(page.locator("#question-host")).not_to_be_empty()
    expect(page.locator("#scratch-step")).to_be_hidden()  # asked once per attempt


def take_scratch_photo(step) -> None:
    """Click until the camera module is up (it loads after the page), then wait for the upload."""
    import time

    button = step.page.locator("#scratch-capture")
    status = step.page.locator("#scratch-status")
    done = "草稿纸照片已上传，谢谢。请继续答题。"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if (status.text_content() or "").strip() == done:
            return
        if button.is_visible() and button.is_enabled():
            button.click()
        step.page.wait_for_timeout(500)
    raise AssertionError(f"the scratch photo was not taken: {status.text_content()}")

