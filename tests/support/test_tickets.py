"""Tickets from each entry point, with the context captured, and who may see them."""

from __future__ import annotations

from datetime import timedelta

from exams import statuses
from support.models import Ticket, TicketAction, TicketMessage
from tests import factories
from tests.helpers import START, CandidateClient, at
from tests.support.conftest import beijing

CLIENT = {"page": "/exam/", "screen": "1920x1080", "fullscreen": True, "online": True, "nested": {"x": 1}}


def _exam_under_way(client, attempt):
    """Started, one answer acknowledged, one screen leave, device check on record."""
    first_question = attempt.session.paper.questions.order_by("position").first()
    with at(START + timedelta(minutes=10)):
        assert client.post("attempt/device-check/", {"result": {
            "camera": True, "photo": True, "round_trip_ms": 42, "browser": "Chromium 130",
        }}).status_code == 200
        assert client.post("attempt/start/").status_code == 200
        assert client.save((first_question.id, "B", 7)).json() == {"acked_seq": 7}
        assert client.post("attempt/events/", {"events": [{"kind": "screen_leave"}]}).status_code == 200


def test_a_ticket_from_the_exam_page_carries_the_attempts_context(logged_in, attempt):
    _exam_under_way(logged_in, attempt)
    with at(START + timedelta(minutes=20)):
        response = logged_in.ask(
            {"category": "camera", "text": "摄像头画面一直是黑的", "client": CLIENT},
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ticket"]["status"] == "open"
    assert body["ticket"]["category_label"] == "摄像头/拍照"
    assert body["staffed"] is True

    ticket = Ticket.objects.get()
    assert ticket.attempt == attempt and ticket.session == attempt.session
    assert ticket.batch == attempt.session.batch
    assert not ticket.attempt_unverified
    c = ticket.context
    assert c["entry"] == "logged_in"
    assert c["session"]["name"] == attempt.session.name
    assert c["attempt"] == {"id": attempt.id, "state": statuses.IN_PROGRESS, "locked": False}
    assert c["time_left_seconds"] == 100 * 60  # ends 11:00, asked at 09:20
    assert (c["leaves_used"], c["leaves_max"]) == (1, 5)
    assert c["last_seq"] == 7
    assert c["device_check"] == {
        "camera": True, "photo": True, "round_trip_ms": 42, "browser": "Chromium 130",
    }
    assert c["candidate"]["name"] == "张三"
    assert c["client"]["reported"] == {
        "page": "/exam/", "screen": "1920x1080", "fullscreen": True, "online": True,
    }
    assert "user_agent" in c["client"]
    # Staffed: no automatic answer.
    assert not TicketMessage.objects.exists()


def test_a_ticket_from_the_notice_page_needs_a_contact_and_keeps_the_browser_details(
    anonymous, support_hours
):
    with at(beijing(7, 25, 10)):
        refused = anonymous.ask({"category": "login", "text": "登录不了", "batch": support_hours.slug})
        response = anonymous.client.post(
            "/api/v1/support/tickets/",
            data={"category": "login", "text": "口令提示过期", "contact": "13800000000",
                  "batch": support_hours.slug, "client": '{"page": "/notice/x/"}'},
            HTTP_X_CSRFTOKEN=anonymous.csrf, HTTP_USER_AGENT="Mozilla/5.0 TestBrowser",
        )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"contact": "请留下联系方式（手机号或邮箱），以便工作人员联系您。"}
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert ticket.attempt is None and ticket.batch == support_hours
    assert ticket.contact == "13800000000"
    assert ticket.context["entry"] == "public"
    assert ticket.context["client"] == {
        "user_agent": "Mozilla/5.0 TestBrowser", "reported": {"page": "/notice/x/"},
    }
    with at(beijing(7, 25, 10, 5)):
        mine = anonymous.mine().json()
    assert [t["id"] for t in mine["tickets"]] == [ticket.id]
    assert mine["logged_in"] is False


def test_an_id_number_on_the_notice_page_is_validated_and_links_the_attempt_unverified(
    anonymous, attempt, support_hours
):
    with at(START + timedelta(minutes=30)):
        bad = anonymous.ask({"text": "被锁了", "contact": "a@b.cn", "id_number": "110101199001010010"})
        good = anonymous.ask({
            "text": "离屏次数到了，登录不了", "contact": "a@b.cn",
            "id_number": attempt.registration.candidate.id_number.lower(), "batch": support_hours.slug,
        })
    assert bad.status_code == 400 and "id_number" in bad.json()["errors"]
    assert good.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.id_number == attempt.registration.candidate.id_number
    assert ticket.attempt == attempt and ticket.attempt_unverified
    assert ticket.context["candidate"]["name"] == "张三"
    assert ticket.context["id_number_masked"].endswith(attempt.registration.candidate.id_number[-4:])


def test_an_unknown_batch_or_category_names_the_field(anonymous):
    response = anonymous.ask({"text": "x", "contact": "1", "batch": "nope", "category": "bogus"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"batch", "category"}
    assert not Ticket.objects.exists()


def test_anonymous_writes_need_the_csrf_token(anonymous):
    response = anonymous.ask({"text": "你好", "contact": "1"}, csrf=False)
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert not Ticket.objects.exists()


def test_a_candidate_sees_only_their_own_tickets_and_others_are_not_found(
    logged_in, other_logged_in, anonymous
):
    other, _other_attempt = other_logged_in
    with at(START):
        mine = logged_in.ask({"text": "我的问题"}).json()["ticket"]
        theirs = other.ask({"text": "别人的问题"}).json()["ticket"]
        listed = logged_in.mine().json()["tickets"]
        follow_theirs = logged_in.follow_up(theirs["id"], "偷看")
        follow_anon = anonymous.follow_up(mine["id"], "匿名偷看")
        anon_list = anonymous.mine().json()["tickets"]
    assert [t["id"] for t in listed] == [mine["id"]]
    assert follow_theirs.status_code == 404 and follow_theirs.json()["code"] == "not_found"
    assert follow_anon.status_code == 404
    assert anon_list == []
    assert not TicketMessage.objects.exists()


def test_a_candidate_view_shows_replies_but_never_staff_names_or_context(logged_in, attempt, support_agent):
    from support.services import staff_tickets

    with at(START):
        ticket_id = logged_in.ask({"text": "交卷按钮灰色"}).json()["ticket"]["id"]
        staff_tickets.ticket_reply(
            ticket_id=ticket_id, text="开考 60 分钟后才能交卷。", actor=support_agent, now=START
        )
        ticket = logged_in.mine().json()["tickets"][0]
    assert ticket["status"] == "answered"
    assert [(m["author"], m["author_label"], m["text"]) for m in ticket["messages"]] == [
        ("staff", "技术支持", "开考 60 分钟后才能交卷。")
    ]
    assert "support" not in str(ticket) and "context" not in ticket


def test_a_follow_up_on_a_closed_ticket_reopens_it(logged_in, support_agent):
    from support.services import staff_tickets

    with at(START):
        ticket_id = logged_in.ask({"text": "网络断了"}).json()["ticket"]["id"]
    staff_tickets.ticket_claim(ticket_id=ticket_id, actor=support_agent, now=START)
    staff_tickets.ticket_close(ticket_id=ticket_id, actor=support_agent, now=START)
    with at(START + timedelta(minutes=3)):
        response = logged_in.follow_up(ticket_id, "又断了")
    assert response.status_code == 201
    ticket = Ticket.objects.get(pk=ticket_id)
    assert ticket.status == Ticket.CLAIMED  # still with the same staff member
    assert ticket.waiting_since == START + timedelta(minutes=3) and ticket.closed_at is None
    assert TicketAction.objects.filter(ticket=ticket, action="reopen", actor=None).exists()


def test_one_owner_cannot_flood_the_queue(anonymous):
    for n in range(5):
        assert anonymous.ask({"text": f"问题 {n}", "contact": "1"}).status_code == 201
    response = anonymous.ask({"text": "第六个", "contact": "1"})
    assert response.status_code == 429 and response.json()["code"] == "too_many_tickets"
    other = CandidateClient()
    assert other.ask({"text": "另一个浏览器", "contact": "2"}).status_code == 201


def test_the_panel_config_tells_the_page_about_login_and_tickets(anonymous, support_hours):
    factories.SessionFactory(batch=support_hours)
    page = anonymous.client.get(f"/notice/{support_hours.slug}/")
    from django.template import Context, Template

    template = Template('{% include "support/_panel.html" %}')
    html = template.render(Context({"request": page.wsgi_request, "batch": support_hours}))
    assert 'id="support-panel"' in html and 'id="support-panel-config"' in html
    assert f'"batch": "{support_hours.slug}"' in html
    assert '"logged_in": false' in html and '"has_tickets": false' in html
    assert 'name="contact"' in html  # anonymous: the form asks for a contact
