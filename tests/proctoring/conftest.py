from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from PIL import Image

from exams import statuses
from exams.models import Attempt
from tests import factories

START = factories.FORMAL_START


def at(instant):
    return time_machine.travel(instant, tick=False)


def jpeg_bytes(color=(120, 140, 160), size=(64, 48), fmt="JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def evidence_root(settings, tmp_path):
    root = tmp_path / "evidence"
    root.mkdir()
    settings.EVIDENCE_ROOT = str(root)
    return root


class CandidateBrowser:
    """A candidate's browser: cookies plus the CSRF token the pages send."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.client.get("/api/v1/candidate/csrf/")

    @property
    def csrf(self) -> str:
        return self.client.cookies["csrftoken"].value

    def post(self, path: str, body=None):
        return self.client.post(
            path, data=json.dumps(body or {}), content_type="application/json", HTTP_X_CSRFTOKEN=self.csrf
        )

    def upload(self, path: str, data: bytes, *, name="capture.jpg", content_type="image/jpeg", **fields):
        from django.core.files.uploadedfile import SimpleUploadedFile

        payload = {"photo": SimpleUploadedFile(name, data, content_type=content_type), **fields}
        return self.client.post(path, data=payload, HTTP_X_CSRFTOKEN=self.csrf)

    def photo(self, data: bytes, **kwargs):
        fields = {k: kwargs.pop(k) for k in ("kind", "capture_id", "captured_at") if k in kwargs}
        return self.upload("/api/v1/candidate/attempt/photo/", data, **kwargs, **fields)

    def login(self, attempt):
        return self.post(
            "/api/v1/candidate/login/",
            {"password": attempt.session.password, "id_number": attempt.registration.candidate.id_number},
        )

    def events(self, *events):
        return self.post("/api/v1/candidate/attempt/events/", {"events": list(events)})


@pytest.fixture
def browser(db):
    return CandidateBrowser()


@pytest.fixture
def make_browser(db):
    return CandidateBrowser


@pytest.fixture
def logged_in(browser, attempt):
    """张三 logged in five minutes before the start of the formal session."""
    with at(START - timedelta(minutes=5)):
        assert browser.login(attempt).status_code == 200
    attempt.refresh_from_db()
    assert attempt.state == statuses.CHECKED_IN
    return browser


@pytest.fixture
def other_attempt(formal_session, other_candidate):
    registration = factories.RegistrationFactory(candidate=other_candidate, session=formal_session)
    return factories.AttemptFactory(registration=registration)


@pytest.fixture
def second_proctor(db):
    return factories.staff_user("proctor2", "proctor")


@pytest.fixture
def pushes(monkeypatch):
    """Every live push (group, message) queued for after the commit."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr("exams.live.send_on_commit", lambda group, message: sent.append((group, message)))
    return sent


def open_attempt(attempt, state=statuses.IN_PROGRESS):
    Attempt.objects.filter(pk=attempt.pk).update(state=state, client_id="c" * 32)
    attempt.refresh_from_db()
    return attempt
