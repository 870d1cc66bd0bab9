"""Live queue and live replies through the real ASGI stack (origin check, session auth)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.cached_db import SessionStore
from django.test import Client
from django.utils import timezone

from examsite.asgi import application
from support.services import candidate_tickets, staff_tickets
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture(autouse=True)
def roles():
    """A transactional test flushes the tables, groups included: put the two roles back."""
    import importlib

    from django.contrib.auth.models import Group, Permission

    granted = importlib.import_module("support.migrations.0003_support_group").SUPPORT_PERMISSIONS
    support, _created = Group.objects.get_or_create(name="support")
    support.permissions.add(
        *Permission.objects.filter(content_type__app_label="support", codename__in=granted)
    )
    Group.objects.get_or_create(name="proctor")


def _session(**data) -> str:
    store = SessionStore()
    for key, value in data.items():
        store[key] = value
    store.create()
    assert store.session_key is not None
    return store.session_key


def _staff_cookie(username: str, group: str) -> str:
    client = Client()
    client.force_login(factories.staff_user(username, group))
    return client.cookies["sessionid"].value


def _anonymous_ticket(text: str = "登录不了"):
    return candidate_tickets.ticket_create(category="login", text=text, contact="13800000000", now=timezone.now())


def _exam_ticket(text: str):
    attempt = factories.AttemptFactory.create()
    ticket = candidate_tickets.ticket_create(category="network", text=text, attempt_id=attempt.id, now=timezone.now())
    return attempt, ticket


def _reply(ticket_id: int, text: str):
    from django.contrib.auth.models import User

    staff = User.objects.filter(username="support").first() or factories.staff_user("support", "support")
    return staff_tickets.ticket_reply(ticket_id=ticket_id, text=text, actor=staff, now=timezone.now())


async def connect(path: str, *, session_key: str | None = None, origin=ORIGIN):
    # A browser sends the page's Origin and the Host it connects to (examsite.ws_origin).
    headers = [(b"host", b"localhost"), *([origin] if origin else [])]
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _code = await communicator.connect()
    return communicator, connected


async def test_a_new_ticket_and_its_messages_appear_in_the_staff_queue_without_reload():
    key = await sync_to_async(_staff_cookie)("support", "support")
    ws, connected = await connect("/ws/support/", session_key=key)
    assert connected
    assert await ws.receive_json_from() == {"type": "hello"}

    ticket = await sync_to_async(_anonymous_ticket)("<b>登录不了</b>")
    created = await ws.receive_json_from()
    assert created["type"] == "ticket" and created["event"] == "created"
    assert created["ticket"]["id"] == ticket.id
    assert created["ticket"]["status"] == "open" and created["ticket"]["who"] == "13800000000"
    assert created["ticket"]["excerpt"] == "<b>登录不了</b>"  # data, rendered by the page as text

    await sync_to_async(candidate_tickets.ticket_add_candidate_message)(
        ticket_id=ticket.id, text="还在吗", now=timezone.now()
    )
    message = await ws.receive_json_from()
    assert (message["event"], message["ticket"]["id"]) == ("message", ticket.id)
    assert await ws.receive_nothing(timeout=0.1)
    await ws.disconnect()


async def test_only_staff_allowed_to_view_tickets_get_the_queue_socket():
    proctor_key = await sync_to_async(_staff_cookie)("proctor1", "proctor")
    _ws, connected = await connect("/ws/support/", session_key=proctor_key)
    assert not connected
    _ws, connected = await connect("/ws/support/")
    assert not connected
    attempt, _ticket = await sync_to_async(_exam_ticket)("考生会话")
    candidate_key = await sync_to_async(_session)(attempt_id=attempt.id, client_id="c1")
    _ws, connected = await connect("/ws/support/", session_key=candidate_key)
    assert not connected
    support_key = await sync_to_async(_staff_cookie)("support", "support")
    _ws, connected = await connect("/ws/support/", session_key=support_key, origin=(b"origin", b"http://evil.example"))
    assert not connected


async def test_a_notice_page_candidate_sees_the_staff_reply_live():
    ticket = await sync_to_async(_anonymous_ticket)()
    key = await sync_to_async(_session)(support_tickets=[ticket.token])
    ws, connected = await connect("/ws/support/mine/", session_key=key)
    assert connected
    snapshot = await ws.receive_json_from()
    assert snapshot["type"] == "tickets" and [t["id"] for t in snapshot["tickets"]] == [ticket.id]

    await sync_to_async(_reply)(ticket.id, "请向下滚动页面，点击绿色按钮拍照。")
    pushed = await ws.receive_json_from()
    assert pushed["type"] == "ticket" and pushed["event"] == "message"
    assert pushed["ticket"]["status"] == "answered" and pushed["ticket"]["status_label"] == "已回复"
    assert pushed["ticket"]["messages"][-1]["author"] == "staff"
    assert pushed["ticket"]["messages"][-1]["text"] == "请向下滚动页面，点击绿色按钮拍照。"
    assert "context" not in pushed["ticket"] and "support" not in str(pushed)  # no staff names
    await ws.disconnect()


async def test_an_exam_page_candidate_sees_replies_live_and_never_another_candidates():
    attempt, ticket = await sync_to_async(_exam_ticket)("网络断了")
    _other_attempt, other_ticket = await sync_to_async(_exam_ticket)("别人的问题")
    key = await sync_to_async(_session)(attempt_id=attempt.id, client_id="c1")
    ws, connected = await connect("/ws/support/mine/", session_key=key)
    assert connected
    snapshot = await ws.receive_json_from()
    assert [t["id"] for t in snapshot["tickets"]] == [ticket.id]

    await sync_to_async(_reply)(other_ticket.id, "给别人的回复")
    assert await ws.receive_nothing(timeout=0.2)
    await sync_to_async(_reply)(ticket.id, "请切换到手机热点后重新登录。")
    pushed = await ws.receive_json_from()
    assert pushed["ticket"]["id"] == ticket.id
    assert pushed["ticket"]["messages"][-1]["text"] == "请切换到手机热点后重新登录。"
    await ws.disconnect()


async def test_after_a_new_ticket_a_refresh_follows_it_too():
    first = await sync_to_async(_anonymous_ticket)("第一个")
    key = await sync_to_async(_session)(support_tickets=[first.token])
    ws, connected = await connect("/ws/support/mine/", session_key=key)
    assert connected
    await ws.receive_json_from()

    second = await sync_to_async(_anonymous_ticket)("第二个")

    def remember():
        store = SessionStore(session_key=key)
        store["support_tickets"] = [first.token, second.token]
        store.save()

    await sync_to_async(remember)()
    await ws.send_json_to({"type": "refresh"})
    snapshot = await ws.receive_json_from()
    assert {t["id"] for t in snapshot["tickets"]} == {first.id, second.id}
    await sync_to_async(_reply)(second.id, "收到")
    pushed = await ws.receive_json_from()
    assert pushed["ticket"]["id"] == second.id
    await ws.send_json_to({"type": "nonsense"})
    assert (await ws.receive_json_from()) == {"type": "error", "code": "unknown_message"}
    await ws.disconnect()


async def test_the_own_tickets_socket_needs_a_session_with_tickets_or_a_login():
    _ws, connected = await connect("/ws/support/mine/")
    assert not connected
    empty = await sync_to_async(_session)(something="else")
    _ws, connected = await connect("/ws/support/mine/", session_key=empty)
    assert not connected
    forged = await sync_to_async(_session)(support_tickets=["not-a-real-token"])
    ws, connected = await connect("/ws/support/mine/", session_key=forged)
    assert connected  # a session with tokens, but they match nothing: an empty list
    assert (await ws.receive_json_from()) == {"type": "tickets", "tickets": []}
    await ws.disconnect()
