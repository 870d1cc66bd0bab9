"""Staffed hours are data; outside them a ticket is queued and answered at once."""

from __future__ import annotations

from datetime import timedelta

from support.models import StaffedPeriod, Ticket, TicketMessage
from support.selectors import next_staffed_start, staffed_now
from tests import factories
from tests.helpers import START, at
from tests.support.conftest import beijing


def test_staffed_now_and_the_next_start_follow_the_batchs_periods(support_hours):
    batch = support_hours
    assert staffed_now(batch, beijing(7, 25, 9))
    assert staffed_now(batch, beijing(7, 25, 17, 59))
    assert not staffed_now(batch, beijing(7, 25, 18))
    assert not staffed_now(batch, beijing(7, 24, 23))
    assert next_staffed_start(batch, beijing(7, 24, 23)) == beijing(7, 25, 9)
    assert next_staffed_start(batch, beijing(7, 25, 19)) == beijing(7, 26, 9)
    assert next_staffed_start(batch, beijing(7, 30, 13)) is None


def test_a_batch_without_periods_is_always_staffed(db):
    batch = factories.BatchFactory()
    assert staffed_now(batch, START)
    assert next_staffed_start(batch, START) is None


def test_another_batchs_hours_do_not_count(support_hours):
    other = factories.BatchFactory()
    StaffedPeriod.objects.create(batch=other, starts_at=beijing(7, 24, 20), ends_at=beijing(7, 24, 23))
    assert not staffed_now(support_hours, beijing(7, 24, 21))
    assert staffed_now(other, beijing(7, 24, 21))


def test_outside_hours_the_ticket_is_queued_and_answered_with_when_staff_are_back_and_faq(
    anonymous, support_hours, demo_faq
):
    with at(beijing(7, 24, 21, 30)):
        response = anonymous.ask({
            "category": "camera", "text": "登录拍照的按钮在哪里？找不到", "contact": "13900000000",
            "batch": support_hours.slug,
        })
    assert response.status_code == 201
    body = response.json()
    assert body["staffed"] is False
    ticket = Ticket.objects.get()
    assert ticket.status == Ticket.OPEN  # still queued for staff
    assert ticket.waiting_since == beijing(7, 24, 21, 30)
    assert ticket.first_response_at is None  # an automatic answer is not a staff response

    [auto] = body["ticket"]["messages"]
    assert auto["author"] == "system" and auto["author_label"] == "系统"
    assert "人工支持时间为 7月25日 09:00 起，届时工作人员会尽快回复" in auto["text"]
    assert auto["faq"][0]["question"] == "登录时的拍照按钮在哪里？"
    assert "绿色" in auto["faq"][0]["answer"]
    assert "登录时的拍照按钮在哪里？" in auto["text"]


def test_outside_hours_from_the_exam_page_the_time_is_in_the_batchs_zone(logged_in, attempt, demo_faq):
    StaffedPeriod.objects.filter(batch=attempt.session.batch, starts_at__gte=beijing(7, 30, 0)).delete()
    StaffedPeriod.objects.create(
        batch=attempt.session.batch, starts_at=beijing(7, 30, 13), ends_at=beijing(7, 30, 18)
    )
    with at(START + timedelta(minutes=5)):
        ticket = logged_in.ask({"category": "network", "text": "网络断了"}).json()["ticket"]
    [auto] = ticket["messages"]
    assert "7月30日 13:00" in auto["text"]
    assert auto["faq"][0]["question"] == "考试过程中网络断了怎么办？"


def test_with_no_more_staffed_hours_the_answer_says_staff_will_reply_later(anonymous, support_hours):
    with at(beijing(7, 31, 9)):
        ticket = anonymous.ask({"text": "成绩什么时候出", "contact": "1", "batch": support_hours.slug}).json()
    [auto] = ticket["ticket"]["messages"]
    assert auto["text"] == "现在不是人工支持时间，工作人员上班后会尽快回复您。"
    assert auto["faq"] == []


def test_inside_hours_there_is_no_automatic_answer(anonymous, support_hours, demo_faq):
    with at(beijing(7, 25, 10)):
        body = anonymous.ask({"text": "网络断了", "contact": "1", "batch": support_hours.slug}).json()
    assert body["staffed"] is True
    assert body["ticket"]["messages"] == []
    assert not TicketMessage.objects.exists()


def test_a_follow_up_outside_hours_on_an_answered_ticket_gets_the_back_time_again(
    anonymous, support_hours, support_agent
):
    from support.services import staff_tickets

    with at(beijing(7, 25, 17)):
        ticket_id = anonymous.ask({"text": "摄像头黑屏", "contact": "1", "batch": support_hours.slug}).json()[
            "ticket"]["id"]
    staff_tickets.ticket_reply(ticket_id=ticket_id, text="请换一个摄像头试试。", actor=support_agent,
                          now=beijing(7, 25, 17, 10))
    with at(beijing(7, 25, 19)):
        ticket = anonymous.follow_up(ticket_id, "换了还是黑屏").json()["ticket"]
    assert ticket["status"] == "claimed"
    assert [m["author"] for m in ticket["messages"]] == ["staff", "candidate", "system"]
    assert "7月26日 09:00" in ticket["messages"][-1]["text"]


def test_a_staffed_period_reads_in_the_batchs_zone_on_the_batch_page(support_hours, organizer, client):
    from django.urls import reverse

    period = StaffedPeriod.objects.filter(batch=support_hours).order_by("starts_at").first()
    assert str(period) == "2023-07-25 09:00 – 18:00 (Asia/Shanghai)"
    client.force_login(organizer)
    html = client.get(reverse("admin:exams_exambatch_change", args=[support_hours.pk])).content.decode()
    assert "2023-07-25 09:00 – 18:00 (Asia/Shanghai)" in html
    assert "01:00 – 10:00" not in html
