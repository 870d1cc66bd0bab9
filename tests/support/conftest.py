from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

import support.admin  # noqa: F401  registers the FAQ and ticket admin (the app imports it too)
from support.demo_faq import load_demo_faq
from support.models import StaffedPeriod
from tests import factories
from tests.exams.conftest import CandidateClient

START = factories.FORMAL_START  # 30 Jul 2023 09:00 Beijing


def beijing(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2023, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def at(instant: datetime):
    return time_machine.travel(instant, tick=False)


def png_bytes(size=(8, 8), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


class SupportClient(CandidateClient):
    """A candidate's browser on any page with the support panel."""

    def api_post(self, path: str, body=None, *, files=None, csrf: bool = True):
        headers = {"HTTP_X_CSRFTOKEN": self.csrf} if csrf else {}
        url = f"/api/v1/support/{path}"
        if files is not None:
            data = {**(body or {}), **files}
            if isinstance(data.get("client"), dict):
                data["client"] = json.dumps(data["client"])
            return self.client.post(url, data=data, **headers)
        return self.client.post(url, data=json.dumps(body or {}), content_type="application/json", **headers)

    def ask(self, body=None, **kwargs):
        return self.api_post("tickets/", body, **kwargs)

    def mine(self):
        return self.client.get("/api/v1/support/tickets/mine/")

    def follow_up(self, ticket_id: int, text: str):
        return self.api_post(f"tickets/{ticket_id}/messages/", {"text": text})

    def faq(self, q: str, batch: str | None = None):
        params = {"q": q}
        if batch:
            params["batch"] = batch
        return self.client.get("/api/v1/support/faq/", params)


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
    return SupportClient()


@pytest.fixture
def logged_in(db, attempt, support_hours):
    """张三 logged in on the exam page five minutes before the start (staffed)."""
    client = SupportClient()
    with at(START - timedelta(minutes=5)):
        assert client.login(attempt.session, attempt.registration.candidate).status_code == 200
    attempt.refresh_from_db()
    return client


@pytest.fixture
def other_logged_in(db, formal_session, other_candidate, support_hours):
    registration = factories.RegistrationFactory(candidate=other_candidate, session=formal_session)
    other_attempt = factories.AttemptFactory(registration=registration)
    client = SupportClient()
    with at(START - timedelta(minutes=5)):
        assert client.login(formal_session, other_candidate).status_code == 200
    return client, other_attempt


@pytest.fixture
def staff_client(support_agent):
    client = Client()
    client.force_login(support_agent)
    return client
