"""Websocket helpers: connect through the real ASGI stack (origin check, session auth)."""

from __future__ import annotations

from datetime import timedelta

from channels.testing import WebsocketCommunicator
from django.utils import timezone

from examsite.asgi import application
from tests import factories

GOOD_ORIGIN = (b"origin", b"http://localhost")
FOREIGN_ORIGIN = (b"origin", b"https://evil.example")


def live_attempt(**session_fields):
    """A formal attempt whose session runs now; returns (attempt, password, id_number)."""
    now = timezone.now()
    batch = factories.BatchFactory()
    paper = factories.full_paper(batch=batch)
    fields = {
        "starts_at": now - timedelta(minutes=5),
        "ends_at": now + timedelta(hours=1),
        "exam_day_gate": None,
        "max_screen_leaves": 50,
        **session_fields,
    }
    session = factories.SessionFactory(batch=batch, paper=paper, **fields)
    registration = factories.RegistrationFactory(session=session)
    attempt = factories.AttemptFactory(registration=registration)
    return attempt, session.password, registration.candidate.id_number


async def connect(path: str, *, cookie: str | None = None, origin=GOOD_ORIGIN):
    # A browser sends the page's Origin and the Host it connects to (examsite.ws_origin).
    headers = [(b"host", b"localhost"), *([origin] if origin else [])]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _code = await communicator.connect()
    return communicator, connected
