"""The staff queue page: order, counts, claim/assign/reply/close/reopen, attempt actions, permissions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from exams.models import Attempt, AttemptAudit
from support.models import Ticket, TicketAction, TicketMessage
from support.services import staff_tickets
from tests import factories
from tests.helpers import START, at


def _ticket(client, text, when):
    with at(when):
        response = client.ask({"text": text, "contact": "13800000000"})
    assert response.status_code == 201
    return response.json()["ticket"]["id"]


def _post(client, ticket_id, action, **data):
    return client.post(f"/support/queue/{ticket_id}/{action}/", data)


def test_the_queue_lists_waiting_tickets_longest_waiting_first_with_counts(anonymous, staff_client):
    newer = _ticket(anonymous, "后来的问题", START + timedelta(minutes=10))
    older = _ticket(anonymous, "最早的问题", START)
    answered = _ticket(anonymous, "已回复的问题", START + timedelta(minutes=1))
    staff_tickets.ticket_reply(ticket_id=answered, text="好的", actor=None, now=START + timedelta(minutes=2))
    with at(START + timedelta(minutes=30)):
        page = staff_client.get("/support/queue/")
    html = page.content.decode()
    assert page.status_code == 200
    waiting = html.split("等待回复")[1].split("已回复")[0]
    assert waiting.index("最早的问题") < waiting.index("后来的问题")
    assert "已回复的问题" not in waiting
    counts = re.findall(r"<li>([^<]+)<strong>([^<]+)</strong>", html)
    assert ("待处理", "2") in counts and ("已回复待考生", "1") in counts
    assert ("最长等待", "30 分钟") in counts
    assert f"ticket={older}" in html and f"ticket={newer}" in html


def test_claim_reply_close_and_reopen_through_the_forms(anonymous, staff_client, support_agent):
    ticket_id = _ticket(anonymous, "登录拍照失败", START)
    with at(START + timedelta(minutes=4)):
        assert _post(staff_client, ticket_id, "claim").status_code == 302
        response = _post(staff_client, ticket_id, "reply", text="请向下滚动找到绿色按钮。")
    assert response.status_code == 302 and response["Location"].endswith(f"?ticket={ticket_id}")
    ticket = Ticket.objects.get(pk=ticket_id)
    assert ticket.status == Ticket.ANSWERED and ticket.assignee == support_agent
    assert ticket.first_response_at == START + timedelta(minutes=4)
    assert ticket.waiting_since is None
    assert TicketMessage.objects.get(ticket=ticket).author == support_agent

    _post(staff_client, ticket_id, "close")
    assert Ticket.objects.get(pk=ticket_id).status == Ticket.CLOSED
    refused = staff_client.post(f"/support/queue/{ticket_id}/reply/", {"text": "还在吗"}, follow=True)
    assert "工单已关闭，请先重新打开再回复。" in refused.content.decode()
    _post(staff_client, ticket_id, "reopen")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.CLAIMED and ticket.closed_at is None
    assert list(TicketAction.objects.filter(ticket=ticket).values_list("action", "actor")) == [
        ("claim", support_agent.id), ("close", support_agent.id), ("reopen", support_agent.id),
    ]


def test_a_ticket_claimed_by_someone_else_cannot_be_claimed_but_can_be_assigned(anonymous, support_agent):
    other = factories.staff_user("support2", "support")
    ticket_id = _ticket(anonymous, "手机监控连不上", START)
    staff_tickets.ticket_claim(ticket_id=ticket_id, actor=other, now=START)
    client = Client()
    client.force_login(support_agent)
    page = client.post(f"/support/queue/{ticket_id}/claim/", follow=True)
    assert "该工单已由其他工作人员认领。" in page.content.decode()
    assert Ticket.objects.get(pk=ticket_id).assignee == other

    _post(client, ticket_id, "assign", assignee=str(support_agent.id))
    assert Ticket.objects.get(pk=ticket_id).assignee == support_agent
    action = TicketAction.objects.get(ticket_id=ticket_id, action="assign")
    assert action.details == {"from": "support2", "to": "support"}
    proctor = factories.staff_user("proctor1", "proctor")
    bad = client.post(f"/support/queue/{ticket_id}/assign/", {"assignee": str(proctor.id)}, follow=True)
    assert "请选择一位技术支持人员。" in bad.content.decode()


def test_the_ticket_shows_the_attempt_context_read_only(logged_in, attempt, staff_client):
    with at(START + timedelta(minutes=20)):
        response = logged_in.ask({"text": "倒计时不动了", "client": {"fullscreen": True}})
        ticket_id = response.json()["ticket"]["id"]
        html = staff_client.get(f"/support/queue/?ticket={ticket_id}").content.decode()
    assert attempt.session.name in html
    assert "张三" in html
    assert "剩余时间 1 小时 40 分" in html
    assert "离屏次数 0/5" in html
    assert "最大已确认答案序号 0" in html
    assert "未进行设备调试" in html
    assert "fullscreen" in html
    assert 'name="answer' not in html and "evidence" not in html.lower()


def _lock(attempt):
    Attempt.objects.filter(pk=attempt.pk).update(locked=True, leaves_used=5)


def test_support_unlocks_an_attempt_locked_by_the_leave_limit_audited_with_the_ticket(
    logged_in, attempt, staff_client, support_agent
):
    with at(START + timedelta(minutes=20)):
        ticket_id = logged_in.ask({"category": "login", "text": "离屏次数满了"}).json()["ticket"]["id"]
    _lock(attempt)
    page = staff_client.get(f"/support/queue/?ticket={ticket_id}").content.decode()
    assert "解除锁定" in page

    refused = staff_client.post(f"/support/queue/{ticket_id}/unlock/", {"reason": " "}, follow=True)
    assert "解锁必须填写原因。" in refused.content.decode()
    assert Attempt.objects.get(pk=attempt.pk).locked

    with at(START + timedelta(minutes=22)):
        _post(staff_client, ticket_id, "unlock", reason="网络波动导致多次离屏，已核实")
    attempt.refresh_from_db()
    assert not attempt.locked
    audit = AttemptAudit.objects.get(attempt=attempt, action="unlock")
    assert audit.actor == support_agent and audit.details["source"] == f"ticket:{ticket_id}"
    action = TicketAction.objects.get(ticket_id=ticket_id, action="unlock")
    assert action.actor == support_agent and action.details["reason"] == "网络波动导致多次离屏，已核实"
    system = TicketMessage.objects.get(ticket_id=ticket_id, author_kind="system")
    assert "已解除您的作答锁定" in system.text

    again = staff_client.post(f"/support/queue/{ticket_id}/unlock/", {"reason": "再来"}, follow=True)
    assert "该作答未被锁定，无需解锁。" in again.content.decode()


def test_support_sends_a_message_to_the_exam_page_audited_with_the_ticket(
    logged_in, attempt, staff_client, support_agent
):
    with at(START + timedelta(minutes=20)):
        ticket_id = logged_in.ask({"text": "看不到题目"}).json()["ticket"]["id"]
        _post(staff_client, ticket_id, "message", text="请刷新页面后继续作答。")
    audit = AttemptAudit.objects.get(attempt=attempt, action="message")
    assert audit.details == {"text": "请刷新页面后继续作答。", "source": f"ticket:{ticket_id}"}
    action = TicketAction.objects.get(ticket_id=ticket_id, action="message")
    assert action.details["text"] == "请刷新页面后继续作答。"


def test_attempt_actions_need_the_permissions_the_organizer_grants(logged_in, attempt, support_agent):
    with at(START + timedelta(minutes=20)):
        ticket_id = logged_in.ask({"text": "被锁了"}).json()["ticket"]["id"]
    _lock(attempt)
    support_agent.groups.first().permissions.remove(
        Permission.objects.get(codename="unlock_attempt", content_type__app_label="exams")
    )
    client = Client()
    client.force_login(support_agent)
    assert "解除锁定" not in client.get(f"/support/queue/?ticket={ticket_id}").content.decode()
    assert _post(client, ticket_id, "unlock", reason="试试").status_code == 403
    assert Attempt.objects.get(pk=attempt.pk).locked


def test_a_public_page_ticket_warns_that_its_attempt_is_unverified(anonymous, attempt, staff_client):
    with at(START + timedelta(minutes=30)):
        ticket_id = anonymous.ask({
            "text": "无法登录", "contact": "1", "id_number": attempt.registration.candidate.id_number,
        }).json()["ticket"]["id"]
    html = staff_client.get(f"/support/queue/?ticket={ticket_id}").content.decode()
    assert "未经登录确认" in html


@pytest.mark.parametrize("path", ["/support/queue/", "/support/queue/list/"])
def test_the_queue_is_for_support_staff_only(path, organizer, proctor, db):
    assert Client().get(path)["Location"].startswith("/admin/login/?next=")
    client = Client()
    client.force_login(proctor)
    assert client.get(path).status_code == 403


def test_a_candidate_session_cannot_reach_the_queue(logged_in):
    with at(START):
        response = logged_in.client.get("/support/queue/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_support_staff_cannot_reach_papers_answers_evidence_or_review_decisions(support_agent, attempt):
    from exams.models import Answer

    paper = attempt.session.paper
    question = paper.questions.order_by("position").first()
    Answer.objects.create(attempt=attempt, question=question, value="独一无二的答案", seq=1, saved_at=START)
    perms = support_agent.get_all_permissions()
    forbidden = {
        "exams.view_paper", "exams.change_paper", "exams.view_question", "exams.view_answer",
        "exams.change_answer", "exams.change_attempt", "proctoring.view_evidence",
        "proctoring.decide_attempt", "proctoring.view_reviewdecision", "proctoring.add_reviewdecision",
        "proctoring.view_proctorevent",
    }
    assert not perms & forbidden
    assert {"support.view_ticket", "support.change_ticket", "support.add_ticketmessage"} <= perms
    client = Client()
    client.force_login(support_agent)
    assert client.get(f"/admin/exams/paper/{paper.id}/change/").status_code == 403
    assert client.get("/admin/proctoring/evidence/").status_code == 403
    # Answers have no admin list of their own (404) and are not shown to support on the attempt.
    assert client.get("/admin/exams/answer/").status_code in (403, 404)
    attempt_page = client.get(f"/admin/exams/attempt/{attempt.id}/change/")
    assert "独一无二的答案" not in attempt_page.content.decode()
    assert question.text not in attempt_page.content.decode()


def test_the_screenshot_is_served_to_support_staff_only(anonymous, staff_client, proctor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.support.conftest import png_bytes

    upload = SimpleUploadedFile("s.png", png_bytes(), content_type="image/png")
    response = anonymous.ask({"text": "截图", "contact": "1"}, files={"screenshot": upload})
    ticket_id = response.json()["ticket"]["id"]
    response = staff_client.get(f"/support/queue/{ticket_id}/screenshot/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    other = Client()
    other.force_login(proctor)
    assert other.get(f"/support/queue/{ticket_id}/screenshot/").status_code == 403
    assert anonymous.client.get(f"/support/queue/{ticket_id}/screenshot/").status_code == 302
