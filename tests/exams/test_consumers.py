"""The attempt and monitor sockets, through the real ASGI stack (origin check, session auth)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from exams import statuses
from exams.services import collection, journey, organizer
from examsite.asgi import application
from examsite.session_store import SessionStore
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = (b"origin", b"http://localhost")


def _login_session(attempt_id: int, client_id: str) -> str:
    store = SessionStore()
    store["attempt_id"] = attempt_id
    store["client_id"] = client_id
    store.create()
    assert store.session_key is not None
    return store.session_key


def _live_attempt():
    now = timezone.now()
    batch = factories.BatchFactory()
    paper = factories.full_paper(batch=batch)
    session = factories.SessionFactory(
        batch=batch, paper=paper, starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1),
        exam_day_gate=None,
    )
    registration = factories.RegistrationFactory(session=session)
    factories.AttemptFactory(registration=registration)
    result = journey.candidate_login(
        password=session.password, id_number=registration.candidate.id_number, now=now
    )
    return result.attempt, result.client_id


async def connect(path: str, *, cookie: str | None = None, origin=ORIGIN):
    # A browser sends the page's Origin and the Host it connects to (examsite.ws_origin).
    headers = [(b"host", b"localhost"), *([origin] if origin else [])]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _code = await communicator.connect()
    return communicator, connected


async def test_the_attempt_socket_syncs_on_connect_and_answers_pings():
    attempt, client_id = await sync_to_async(_live_attempt)()
    key = await sync_to_async(_login_session)(attempt.id, client_id)
    ws, connected = await connect("/ws/attempt/", cookie=f"sessionid={key}")
    assert connected
    sync = await ws.receive_json_from()
    assert sync["type"] == "sync"
    assert sync["state"] == statuses.CHECKED_IN
    assert sync["deadline"] == attempt.deadline.isoformat()
    assert {"server_time", "locked", "submit_opens_at", "leaves_used", "leaves_max"} <= set(sync)
    await ws.send_json_to({"type": "ping", "client_time": 1234.5})
    pong = await ws.receive_json_from()
    assert pong["type"] == "pong" and pong["client_time"] == 1234.5 and pong["server_time"]
    assert await ws.receive_nothing(timeout=0.2)  # no per-second messages
    await ws.disconnect()


async def test_a_socket_without_login_or_with_a_foreign_origin_is_refused():
    attempt, client_id = await sync_to_async(_live_attempt)()
    key = await sync_to_async(_login_session)(attempt.id, client_id)
    _ws, connected = await connect("/ws/attempt/")
    assert not connected
    _ws, connected = await connect("/ws/attempt/", cookie=f"sessionid={key}", origin=(b"origin", b"http://evil.example"))
    assert not connected
    _ws, connected = await connect("/ws/attempt/", cookie=f"sessionid={key}", origin=None)
    assert not connected


async def test_collection_reaches_the_socket_with_its_receipt():
    attempt, client_id = await sync_to_async(_live_attempt)()
    key = await sync_to_async(_login_session)(attempt.id, client_id)
    ws, _ = await connect("/ws/attempt/", cookie=f"sessionid={key}")
    await ws.receive_json_from()
    await sync_to_async(collection.sweep)(now=attempt.deadline)
    message = await ws.receive_json_from(timeout=3)
    assert message["type"] == "collected"
    assert len(message["receipt"]) == 64
    await ws.disconnect()


async def test_extra_time_moves_the_deadline_live_and_spares_the_candidate_at_collection():
    attempt, client_id = await sync_to_async(_live_attempt)()
    key = await sync_to_async(_login_session)(attempt.id, client_id)
    ws, _ = await connect("/ws/attempt/", cookie=f"sessionid={key}")
    await ws.receive_json_from()
    organizer_user = await sync_to_async(factories.staff_user)("org", superuser=True)
    await sync_to_async(organizer.attempt_grant_extra_minutes)(
        attempt_id=attempt.id, minutes=10, reason="视力障碍考生", actor=organizer_user, now=timezone.now()
    )
    message = await ws.receive_json_from(timeout=3)
    assert message == {
        "type": "deadline", "deadline": (attempt.deadline + timedelta(minutes=10)).isoformat(),
        "reason": "视力障碍考生", "kind": "extra_time", "previous": attempt.deadline.isoformat(),
    }
    await sync_to_async(collection.sweep)(now=attempt.deadline)
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_a_new_login_supersedes_and_closes_the_old_socket():
    attempt, client_id = await sync_to_async(_live_attempt)()
    key = await sync_to_async(_login_session)(attempt.id, client_id)
    ws, _ = await connect("/ws/attempt/", cookie=f"sessionid={key}")
    await ws.receive_json_from()
    candidate = await sync_to_async(lambda: attempt.registration.candidate)()
    session = await sync_to_async(lambda: attempt.session)()
    await sync_to_async(journey.candidate_login)(
        password=session.password, id_number=candidate.id_number, now=timezone.now()
    )
    assert await ws.receive_json_from(timeout=3) == {"type": "superseded"}
    output = await ws.receive_output(timeout=3)
    assert output["type"] == "websocket.close"


async def test_staff_messages_reach_one_attempt_and_a_whole_session():
    attempt, client_id = await sync_to_async(_live_attempt)()
    key = await sync_to_async(_login_session)(attempt.id, client_id)
    ws, _ = await connect("/ws/attempt/", cookie=f"sessionid={key}")
    await ws.receive_json_from()
    await sync_to_async(organizer.attempt_send_message)(
        attempt_id=attempt.id, text="请调整摄像头角度", actor=None, now=timezone.now()
    )
    assert (await ws.receive_json_from(timeout=3))["text"] == "请调整摄像头角度"
    await sync_to_async(organizer.session_send_message)(
        session_id=attempt.session_id, text="距离收卷还有 10 分钟", actor=None, now=timezone.now()
    )
    message = await ws.receive_json_from(timeout=3)
    assert message["type"] == "message" and message["text"] == "距离收卷还有 10 分钟"
    await ws.disconnect()


async def test_the_monitor_shows_counts_and_changes_for_staff_only():
    attempt, _client_id = await sync_to_async(_live_attempt)()
    staff = await sync_to_async(factories.staff_user)("watcher", superuser=True)
    store = SessionStore()
    await sync_to_async(store.update)({"_auth_user_id": str(staff.pk),
                                       "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                                       "_auth_user_hash": staff.get_session_auth_hash()})
    await sync_to_async(store.create)()
    ws, connected = await connect(f"/ws/monitor/{attempt.session_id}/", cookie=f"sessionid={store.session_key}")
    assert connected
    first = await ws.receive_json_from()
    assert first["type"] == "counts" and first["counts"]["checked_in"] == 1
    await sync_to_async(collection.sweep)(now=attempt.deadline)
    second = await ws.receive_json_from(timeout=4)
    assert second["counts"]["collected"] == 1 and second["counts"]["checked_in"] == 0
    await ws.disconnect()
    _ws, anonymous_ok = await connect(f"/ws/monitor/{attempt.session_id}/")
    assert not anonymous_ok


async def _staff_socket(session_id: int):
    staff = await sync_to_async(factories.staff_user)("wall-watcher", "proctor")
    store = SessionStore()
    await sync_to_async(store.update)({"_auth_user_id": str(staff.pk),
                                       "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                                       "_auth_user_hash": staff.get_session_auth_hash()})
    await sync_to_async(store.create)()
    ws, connected = await connect(f"/ws/monitor/{session_id}/", cookie=f"sessionid={store.session_key}")
    assert connected
    return ws


async def test_the_wall_gets_every_tile_on_connect_then_only_what_changed():
    from exams import live

    attempt, _client_id = await sync_to_async(_live_attempt)()
    waiting = await sync_to_async(factories.AttemptFactory)(
        registration=await sync_to_async(factories.RegistrationFactory)(session=attempt.session)
    )
    ws = await _staff_socket(attempt.session_id)
    first = await ws.receive_json_from()
    assert first["type"] == "counts"
    assert first["states"][str(attempt.id)]["state"] == statuses.CHECKED_IN
    assert first["states"][str(waiting.id)] == {
        "state": statuses.REGISTERED, "locked": False, "leaves_used": 0,
        "leaves_max": attempt.session.max_screen_leaves, "saved_at": None,
    }

    # A push from an app above (a new snapshot) reaches the page as a "tile" with only its fields.
    await sync_to_async(live.monitor_tile)(attempt.session_id, attempt.id, {"thumb": "/t.jpg"})
    assert await ws.receive_json_from(timeout=2) == {"type": "tile", "attempt": attempt.id, "thumb": "/t.jpg"}

    # A login: the coalesced recount sends the counts, then a tile for the one attempt that changed.
    await sync_to_async(journey.candidate_login)(
        password=attempt.session.password, id_number=waiting.registration.candidate.id_number,
        now=timezone.now(),
    )
    counts = await ws.receive_json_from(timeout=4)
    assert counts["type"] == "counts" and counts["counts"]["checked_in"] == 2 and "states" not in counts
    assert await ws.receive_json_from(timeout=2) == {
        "type": "tile", "attempt": waiting.id, "state": statuses.CHECKED_IN,
    }
    assert await ws.receive_nothing(timeout=1.2)
    await ws.disconnect()


def _second_candidate(session_id: int):
    from exams.models import ExamSession

    session = ExamSession.objects.get(pk=session_id)
    registration: Any = factories.RegistrationFactory(session=session)
    factories.AttemptFactory(registration=registration)
    result = journey.candidate_login(
        password=session.password, id_number=registration.candidate.id_number, now=timezone.now()
    )
    return result.attempt, result.client_id


def _receipt(attempt_id: int) -> str:
    from exams.models import Attempt

    return Attempt.objects.get(pk=attempt_id).receipt


async def test_each_socket_of_a_session_hears_its_own_receipt_and_a_later_collection_is_read_afresh():
    """Issue 17: a process reads a collected session's receipts once per broadcast; a candidate
    with extra time hears nothing then, and hears their own receipt at their own deadline."""
    first, first_client = await sync_to_async(_live_attempt)()
    second, second_client = await sync_to_async(_second_candidate)(first.session_id)
    later = first.deadline + timedelta(minutes=10)
    from exams.models import Attempt

    await sync_to_async(lambda: Attempt.objects.filter(pk=second.pk).update(deadline=later))()
    sockets = []
    for attempt, client in ((first, first_client), (second, second_client)):
        key = await sync_to_async(_login_session)(attempt.id, client)
        ws, _ = await connect("/ws/attempt/", cookie=f"sessionid={key}")
        await ws.receive_json_from()
        sockets.append(ws)
    await sync_to_async(collection.sweep)(now=first.deadline)
    message = await sockets[0].receive_json_from(timeout=3)
    assert message == {"type": "collected", "receipt": await sync_to_async(_receipt)(first.id)}
    assert await sockets[1].receive_nothing(timeout=0.3)
    await sync_to_async(collection.sweep)(now=later)
    message = await sockets[1].receive_json_from(timeout=3)
    assert message == {"type": "collected", "receipt": await sync_to_async(_receipt)(second.id)}
    assert len(message["receipt"]) == 64
    for ws in sockets:
        await ws.disconnect()
