"""Issue 14 on the support side: the waive action on the ticket page, a paged waiting list, and
the queue page receiving changes (one row, the counts) instead of the whole list."""

from __future__ import annotations

from datetime import timedelta

from exams.models import Attempt, AttemptAudit, ExamSession
from support import selectors
from support.models import Ticket, TicketAction, TicketMessage
from tests.helpers import START, at


def _require_photo(attempt) -> None:
    ExamSession.objects.filter(pk=attempt.session_id).update(requires_login_photo=True)


def test_support_waive_a_step_from_the_ticket_with_a_reason(logged_in, attempt, staff_client, support_agent):
    _require_photo(attempt)
    with at(START - timedelta(minutes=3)):
        ticket_id = logged_in.ask({"category": "camera", "text": "摄像头坏了，拍不了照"}).json()["ticket"]["id"]
    page = staff_client.get(f"/support/queue/?ticket={ticket_id}").content.decode()
    assert f'action="/support/queue/{ticket_id}/waive-step/"' in page
    assert '<option value="login_photo">登录拍照</option>' in page

    refused = staff_client.post(f"/support/queue/{ticket_id}/waive-step/",
                                {"step": "login_photo", "reason": " "}, follow=True)
    assert "免除步骤必须填写原因。" in refused.content.decode()
    assert Attempt.objects.get(pk=attempt.pk).waived_steps == []

    with at(START - timedelta(minutes=2)):
        done = staff_client.post(f"/support/queue/{ticket_id}/waive-step/",
                                 {"step": "login_photo", "reason": "摄像头损坏，已视频核实身份"}, follow=True)
    assert "已免除该步骤。" in done.content.decode()
    attempt.refresh_from_db()
    assert attempt.waived_steps == ["login_photo"]
    audit = AttemptAudit.objects.get(attempt=attempt, action="step_waived")
    assert audit.actor == support_agent and audit.details["source"] == f"ticket:{ticket_id}"
    action = TicketAction.objects.get(ticket_id=ticket_id, action="waive_step")
    assert action.details == {"attempt": attempt.id, "step": "login_photo", "reason": "摄像头损坏，已视频核实身份"}
    assert TicketMessage.objects.filter(ticket_id=ticket_id, author_kind="system", text__contains="免除").exists()
    with at(START + timedelta(minutes=1)):
        assert logged_in.post("attempt/start/").status_code == 200
    # Nothing left to waive: the form is gone.
    assert "waive-step" not in staff_client.get(f"/support/queue/?ticket={ticket_id}").content.decode()


def test_the_waiting_list_is_paged(anonymous, staff_client):
    # Finding 3: 1,500 tickets made a 715 KB queue page.
    for n in range(selectors.QUEUE_PAGE_SIZE + 5):
        Ticket.objects.create(text=f"问题 {n}", contact="1", status=Ticket.OPEN, token=f"t{n:030d}",
                              waiting_since=START + timedelta(seconds=n), created_at=START, updated_at=START)
    with at(START + timedelta(hours=1)):
        first = staff_client.get("/support/queue/").content.decode()
        second = staff_client.get("/support/queue/?page=2").content.decode()
    waiting_first = first.split("等待回复")[1].split("已回复")[0]
    assert waiting_first.count("data-ticket-row=") == selectors.QUEUE_PAGE_SIZE
    assert "第 1 / 2 页" in first and "?page=2" in first
    assert second.split("等待回复")[1].split("已回复")[0].count("data-ticket-row=") == 5
    assert f"问题 {selectors.QUEUE_PAGE_SIZE + 4}" in second


def test_a_change_is_fetched_as_one_row_and_the_counts(anonymous, staff_client):
    with at(START):
        ticket_id = anonymous.ask({"text": "一个问题", "contact": "1"}).json()["ticket"]["id"]
    with at(START + timedelta(minutes=5)):
        row = staff_client.get(f"/support/queue/{ticket_id}/row/")
        counts = staff_client.get("/support/queue/counts/")
    assert row.status_code == 200 and row["X-Ticket-Status"] == "open"
    html = row.content.decode()
    assert html.strip().startswith(f'<li data-ticket-row="{ticket_id}">') and "一个问题" in html
    assert "等待回复" not in html  # one row, not the list
    assert 'data-waiting-count="1"' in counts.content.decode()


def test_the_row_of_another_batch_is_not_sent_to_a_filtered_page(anonymous, staff_client, formal_session):
    with at(START):
        ticket_id = anonymous.ask({"text": "别的批次", "contact": "1"}).json()["ticket"]["id"]
    response = staff_client.get(f"/support/queue/{ticket_id}/row/?batch={formal_session.batch.slug}")
    assert response.status_code == 204
