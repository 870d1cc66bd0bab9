from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

import support.admin  # noqa: F401  registers the FAQ and ticket admin (the app imports it too)
from support.demo_faq import load_demo_faq
from support.models import StaffedPeriod
from tests import factories
from tests.helpers import START, CandidateClient, at


def beijing(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2023, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)




def png_bytes(size=(8, 8), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def support_hours(formal_session):
    """The notice's hours (25-26 Jul 09:00-18:00) plus exam morning (30 Jul 08:00-12:00)."""
    batch = formal_session.batch
    for start, end in (
        (beijing(7, 25, 9), beijing(7, 25, 18)),
        (beijing(7, 26, 9), beijing(7, 26, 18)),
        (beijing(7, 30, 8), beijing(7, 30, 12)),
    ):
        StaffedPeriod.objects.create(batch=batch, starts_at=start, ends_at=end)
    return batch


@pytest.fixture
def demo_faq(db):
    load_demo_faq(None)


@pytest.fixture
def anonymous(db):
    return CandidateClient()


@pytest.fixture
def logged_in(support_hours, logged_in):
    """张三 logged in on the exam page five minutes before the start, in staffed hours."""
    return logged_in


@pytest.fixture
def other_logged_in(db, formal_session, other_candidate, support_hours):
    registration = factories.RegistrationFactory(candidate=other_candidate, session=formal_session)
    other_attempt = factories.AttemptFactory(registration=registration)
    client = CandidateClient()
    with at(START - timedelta(minutes=5)):
        assert client.login(formal_session, other_candidate).status_code == 200
    return client, other_attempt


@pytest.fixture
def staff_client(support_agent):
    client = Client()
    client.force_login(support_agent)
    return client
