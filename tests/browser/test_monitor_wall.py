"""The live proctor wall in a real browser against the real stack: tiles, stored and pushed
alerts, filters, a candidate's timeline and actions, accessibility, and main-thread load with
200 candidates."""

from __future__ import annotations

import io
import re
import threading
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_for_db
from tests.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"  # tests/factories.staff_user


def in_thread(fn):
    """Run a service in a thread of its own: Playwright's event loop holds this one, and a push
    (``async_to_sync``) refuses to run next to it. Its rows commit; its pushes reach the stack's
    Redis and so the page."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def run():
        try:
            return fn()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def staff_login(page, username: str, next_path: str) -> None:
    page.goto(f"/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"**{next_path}")


def add_seat(session, name: str):
    from django.utils import timezone

    from exams.models import Attempt
    from exams.services.registrations import registration_create
    from tests import factories

    registration = registration_create(
        candidate=factories.CandidateFactory.create(name=name), session=session, now=timezone.now(),
        admission_ticket=f"T-{name}",
    )
    return Attempt.objects.get(registration=registration)


def login(attempt):
    from django.utils import timezone

    from exams.services import journey

    return journey.candidate_login(
        password=attempt.session.password, id_number=attempt.registration.candidate.id_number,
        now=timezone.now(),
    )


def jpeg(size=(640, 480), color=(30, 120, 200)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


class Upload(io.BytesIO):
    size = None


def tile(page, name: str):
    return page.locator("#wall .tile").filter(has_text=name)


def test_the_wall_shows_candidates_alerts_filters_and_a_candidates_timeline_and_actions(page, make_seat):
    from django.utils import timezone

    from exams.models import Attempt
    from proctoring.models import Evidence, ProctorEvent
    from proctoring.services.events import events_record, evidence_capture
    from tests import factories

    zhang = make_seat(max_screen_leaves=3)
    session = zhang.session
    li = add_seat(session, "李四")
    add_seat(session, "王五")  # never logs in
    zhao = add_seat(session, "赵六")
    zhang_client = in_thread(lambda: login(zhang)).client_id
    li_client = in_thread(lambda: login(li)).client_id
    in_thread(lambda: login(zhao))
    Attempt.objects.filter(pk=zhao.pk).update(locked=True, leaves_used=3)
    # Stored before the page opens: the wall must show them on load, not only when pushed.
    now = timezone.now()
    ProctorEvent.objects.create(attempt=zhang, kind="screen_leave", at=now - timedelta(seconds=40))
    ProctorEvent.objects.create(attempt=zhang, kind="relogin_elsewhere", at=now - timedelta(seconds=20),
                                details={"address": "203.0.113.9"})
    in_thread(lambda: evidence_capture(attempt_id=zhang.id, client_id=zhang_client, kind=Evidence.LOGIN_PHOTO,
                                       upload=Upload(jpeg()), now=now, capture_id="zhang-photo"))
    from exams.models import Answer

    Answer.objects.create(attempt=zhang, question=session.paper.questions.first(), value="B", seq=1,
                          saved_at=now - timedelta(seconds=30))
    factories.staff_user("wall-organizer", "organizer")

    staff_login(page, "wall-organizer", f"/monitor/{session.id}/")
    expect(page.locator("#monitor-connection")).to_have_text("实时更新中")
    expect(page.locator("#wall .tile")).to_have_count(4)
    expect(page.locator("#wall-shown")).to_have_text("显示 4 / 4 名考生")
    expect(tile(page, "张三")).to_contain_text("在其他地方重新登录")
    expect(tile(page, "张三")).to_contain_text("离屏")
    expect(tile(page, "张三").locator(".tile__thumb")).to_have_attribute("src", re.compile(r"/thumb/$"))
    expect(tile(page, "张三").locator(".tile__saved")).to_have_text(re.compile(r"^保存：(3\d|4\d) 秒前$"))
    expect(tile(page, "李四").locator(".tile__saved")).to_have_text("保存：无")
    expect(tile(page, "赵六")).to_contain_text("已锁定")
    expect(tile(page, "赵六")).to_contain_text("离屏 3/3")
    expect(tile(page, "李四")).to_contain_text("缺少：登录拍照")
    expect(tile(page, "王五")).to_contain_text("未登录")
    expect(page.locator("#monitor-alerts li").first).to_contain_text("在其他地方重新登录 · 张三")

    # Pushed live: 李四's snapshot replaces the tile's picture, a black camera raises an alert.
    snapshot = in_thread(lambda: evidence_capture(
        attempt_id=li.id, client_id=li_client, kind=Evidence.SNAPSHOT,
        upload=Upload(jpeg(color=(200, 40, 40))), now=timezone.now(), capture_id="li-1",
    ))
    thumb = tile(page, "李四").locator(".tile__thumb")
    expect(thumb).to_have_attribute("src", f"/proctoring/evidence/{snapshot.id}/thumb/")
    page.wait_for_function(
        "(id) => [...document.querySelectorAll('#wall .tile__thumb')].some("
        "i => i.src.endsWith(`/evidence/${id}/thumb/`) && i.complete && i.naturalWidth === 160)",
        arg=snapshot.id,
    )
    in_thread(lambda: events_record(attempt_id=li.id, client_id=li_client, now=timezone.now(),
                                    events=[{"kind": "camera_black"}]))
    expect(tile(page, "李四")).to_contain_text("摄像头黑屏")
    expect(page.locator("#monitor-alerts li").first).to_contain_text("摄像头黑屏 · 李四")

    # Filters.
    page.get_by_label("已锁定").check()
    expect(page.locator("#wall .tile:visible")).to_have_count(1)
    expect(page.locator("#wall .tile:visible")).to_contain_text("赵六")
    page.get_by_label("未登录", exact=True).check()
    expect(page.locator("#wall .tile:visible")).to_have_count(1)
    expect(page.locator("#wall .tile:visible")).to_contain_text("王五")
    page.get_by_label("仅有告警").check()
    expect(page.locator("#wall .tile:visible")).to_have_count(2)
    page.get_by_label("缺少必需步骤").check()
    expect(page.locator("#wall-shown")).to_have_text("显示 2 / 4 名考生")  # 李四 and 赵六: no login photo
    page.get_by_label("全部").check()
    expect(page.locator("#wall .tile:visible")).to_have_count(4)

    # A tile opens the candidate's timeline and actions.
    tile(page, "张三").click()
    panel = page.get_by_role("dialog")
    expect(panel.get_by_role("heading", name="张三")).to_be_visible()
    expect(panel.locator("#wall-panel-events")).to_contain_text("在其他地方重新登录")
    expect(panel.locator("#wall-panel-events")).to_contain_text("登录拍照")
    expect(panel.locator("#wall-panel-evidence img")).to_have_count(1)
    assert_accessible(page, "wall with the candidate panel open")
    panel.get_by_label("消息内容").fill("请调整摄像头角度")
    panel.get_by_role("button", name="发送").click()
    expect(panel.locator("#wall-action-result")).to_have_text("已执行并记录。")
    page.on("dialog", lambda dialog: dialog.accept())
    panel.get_by_label("步骤").select_option("phone_monitor")
    panel.locator("#wall-waive-reason").fill("手机故障，经技术支持确认")
    panel.get_by_role("button", name="免除").click()
    expect(panel.locator("#wall-action-result")).to_contain_text("未执行")  # the server's answer, shown
    panel.get_by_role("button", name="关闭").click()

    tile(page, "赵六").click()
    panel.locator("#wall-unlock-reason").fill("考生网络故障，核实后解锁")
    panel.get_by_role("button", name="解锁").click()
    expect(panel.locator("#wall-action-result")).to_have_text("已执行并记录。")
    assert wait_for_db(lambda: not Attempt.objects.get(pk=zhao.pk).locked)
    expect(tile(page, "赵六")).not_to_contain_text("已锁定")  # pushed back by the socket


def test_the_wall_page_has_no_serious_accessibility_violations(page, make_seat):
    from tests import factories

    attempt = make_seat()
    add_seat(attempt.session, "李四")
    factories.staff_user("wall-proctor", "proctor")
    staff_login(page, "wall-proctor", f"/monitor/{attempt.session_id}/")
    expect(page.locator("#wall .tile")).to_have_count(2)
    assert_accessible(page, "live wall")


def _seed_candidates(session, count: int) -> list[int]:
    from django.utils import timezone

    from candidates.models import Candidate, Registration
    from exams import statuses
    from exams.models import Attempt
    from tests.helpers import distinct_resident_id

    candidates = Candidate.objects.bulk_create(
        Candidate(name=f"考生{n:03d}", document_type="resident_id", id_number=distinct_resident_id(5000 + n))
        for n in range(count)
    )
    registrations = Registration.objects.bulk_create(
        Registration(candidate=c, session=session, admission_ticket=f"W{n:05d}", subject=session.subject)
        for n, c in enumerate(candidates)
    )
    now = timezone.now()
    attempts = Attempt.objects.bulk_create(
        Attempt(registration=r, session=session, state=statuses.IN_PROGRESS, deadline=session.ends_at,
                checked_in_at=now, started_at=now)
        for r in registrations
    )
    return [a.id for a in attempts]


def test_200_candidates_with_a_snapshot_each_keep_the_main_thread_mostly_idle(page, make_seat):
    from exams import live
    from proctoring.models import Evidence
    from proctoring.services.events import evidence_store
    from tests import factories

    session = make_seat().session
    ids = _seed_candidates(session, 199)
    from django.utils import timezone

    from exams.models import Attempt

    first = Attempt.objects.get(session=session, registration__candidate__name="张三")
    ids.append(first.id)
    picture = evidence_store(attempt=first, kind=Evidence.SNAPSHOT, data=jpeg(), now=timezone.now(), capture_id="p")
    factories.staff_user("wall-load", "proctor")
    staff_login(page, "wall-load", f"/monitor/{session.id}/")
    expect(page.locator("#wall .tile")).to_have_count(200)
    expect(page.locator("#monitor-connection")).to_have_text("实时更新中")

    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def task_seconds() -> float:
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        return metrics["TaskDuration"]

    # One snapshot per tile per 30 s is 6.7 updates a second; push 200 updates in 10 s (3x that),
    # each with a new thumbnail, a leave count and a last save, as the services would.
    def push_all() -> None:
        for n, attempt_id in enumerate(ids):
            live.monitor_tile(session.id, attempt_id, {
                "thumb": f"/proctoring/evidence/{picture.id}/thumb/?v={n}",
                "thumb_at": timezone.now().isoformat(), "leaves_used": 1,
                "saved_at": timezone.now().isoformat(),
            })
            time.sleep(0.05)

    busy_before, started = task_seconds(), time.monotonic()
    pusher = threading.Thread(target=push_all)
    pusher.start()
    while pusher.is_alive():
        page.wait_for_timeout(200)  # the page keeps running while the pushes arrive
    pusher.join()
    expect(page.locator("#wall .tile").last.locator(".tile__leaves")).to_have_text("离屏 1/5")
    page.wait_for_timeout(1000)
    busy, elapsed = task_seconds() - busy_before, time.monotonic() - started

    share = busy / elapsed
    print(f"wall with 200 tiles: main thread busy {busy:.3f} s of {elapsed:.1f} s ({share:.1%})")
    assert share < 0.10
    assert page.locator("#wall .tile__leaves", has_text="离屏 1/5").count() == 200
