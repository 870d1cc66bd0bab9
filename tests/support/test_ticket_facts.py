"""Issue 16: the ticket page reads as facts (device check, page, question, local times in the
batch's zone, named), the raw JSON behind a "details" toggle; the queue says what the agent
needs first (waiting time, locked, in exam, time left, still on the page)."""

from __future__ import annotations

import re
from datetime import timedelta

from candidates.models import Registration
from exams import presence
from exams.models import Attempt
from tests.helpers import START, at


def test_the_ticket_page_shows_readable_facts_and_local_times(logged_in, attempt, staff_client):
    Registration.objects.filter(pk=attempt.registration_id).update(
        device_check={"camera": False, "microphone": True, "browser": "Chrome 120", "round_trip_ms": 84},
        device_checked_at=START - timedelta(days=2),
    )
    first = attempt.session.paper.questions.order_by("position")[1]
    Attempt.objects.filter(pk=attempt.pk).update(current_question=first.pk)
    when = START + timedelta(minutes=20)  # 2023-07-30 01:20 UTC = 09:20 in Beijing
    with at(when):
        response = logged_in.ask({"text": "摄像头没有画面", "client": {
            "page": "/exam/", "client_time": when.isoformat(), "online": True, "time_zone": "Asia/Shanghai",
        }})
        ticket_id = response.json()["ticket"]["id"]
        html = staff_client.get(f"/support/queue/?ticket={ticket_id}").content.decode()
    assert "时区 Asia/Shanghai" in html
    assert "7月30日 09:20:00" in html  # submitted, and the candidate's own clock, in the batch's zone
    shown = re.sub(r"<[^>]+>", "", re.sub(r"<details.*?</details>", "", html, flags=re.S))
    assert "+00:00" not in shown  # no UTC ISO string in what is shown, only in the raw data
    facts = html.split("data-device-facts", 1)[1].split("</dd>", 1)[0]
    assert "摄像头：<span class=\"support-fact--failed\">不可用</span>" in facts
    assert "麦克风：<span class=\"support-fact--ok\">可用</span>" in facts
    assert "浏览器：<span class=\"\">Chrome 120</span>" in facts
    assert "往返时间：<span class=\"support-fact--ok\">84 ms</span>" in facts
    assert "调试时间：<span class=\"\">7月28日 09:00:00</span>" in facts
    assert "<details class=\"support-raw\"><summary>详细数据</summary><pre>" in facts
    page = html.split("data-page-facts", 1)[1].split("</dd>", 1)[0]
    assert "考试页面（/exam/）" in page and "第 2 题" in page
    assert "考生电脑时间：<span class=\"\">7月30日 09:20:00</span>" in page


def test_the_queue_shows_the_candidates_state_and_presence(logged_in, attempt, staff_client):
    with at(START + timedelta(minutes=20)):
        ticket_id = logged_in.ask({"text": "页面卡住"}).json()["ticket"]["id"]
    client_id = Attempt.objects.get(pk=attempt.pk).client_id
    Attempt.objects.filter(pk=attempt.pk).update(state="in_progress")
    presence.page_seen(attempt.id, client_id)
    with at(START + timedelta(minutes=30)):
        html = staff_client.get("/support/queue/").content.decode()
    row = html.split(f'data-ticket-row="{ticket_id}"', 1)[1].split("</li>", 1)[0]
    assert "已等待" in row and "10 分钟" in row
    assert "作答中" in row and "剩余 1 小时 30 分" in row and "考生仍在页面上" in row

    presence.page_gone(attempt.id, client_id)
    Attempt.objects.filter(pk=attempt.pk).update(locked=True)
    with at(START + timedelta(minutes=31)):
        row = staff_client.get(f"/support/queue/{ticket_id}/row/").content.decode()
    assert "已锁定" in row and "考生不在考试页面" in row
