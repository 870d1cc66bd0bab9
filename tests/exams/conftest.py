from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from tests import factories

START = factories.FORMAL_START


class CandidateClient:
    """A candidate's browser: keeps cookies and sends the CSRF token like the pages do."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.client.get("/api/v1/candidate/csrf/")

    @property
    def csrf(self) -> str:
        return self.client.cookies["csrftoken"].value

    def post(self, path: str, body=None, *, csrf: bool = True):
        headers = {"HTTP_X_CSRFTOKEN": self.csrf} if csrf else {}
        return self.client.post(
            f"/api/v1/candidate/{path}", data=json.dumps(body or {}),
            content_type="application/json", **headers,
        )

    def get(self, path: str):
        return self.client.get(f"/api/v1/candidate/{path}")

    def login(self, session, candidate):
        return self.post("login/", {"password": session.password, "id_number": candidate.id_number})

    def save(self, *entries, current=None):
        body = {"entries": [{"question": q, "value": v, "seq": s} for q, v, s in entries]}
        if current is not None:
            body["current_question"] = current
        return self.post("attempt/answers/", body)


@pytest.fixture
def browser_client(db):
    return CandidateClient()


@pytest.fixture
def make_client(db):
    return CandidateClient


def at(instant):
    """Freeze the clock at ``instant`` (time-machine, no ticking)."""
    return time_machine.travel(instant, tick=False)


@pytest.fixture
def logged_in(make_client, attempt):
    """张三 logged in through the API five minutes before the formal session starts."""
    client = make_client()
    with at(START - timedelta(minutes=5)):
        assert client.login(attempt.session, attempt.registration.candidate).status_code == 200
    return client, attempt
