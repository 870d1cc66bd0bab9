"""What the tests (and bench/) share: the exam day's clock, valid ID numbers, a candidate's browser.

Plain functions and one class: no pytest here, and the test-only libraries (time-machine,
Django's test client) are imported when used, so bench/ can import this module as it is.
The fixtures built on these live in tests/conftest.py.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

# The exam day of the tests: the formal session runs 30 Jul 2023 09:00-11:00 Beijing time.
START = datetime(2023, 7, 30, 1, 0, tzinfo=UTC)

CANDIDATE_API = "/api/v1/candidate/"
SUPPORT_API = "/api/v1/support/"

def at(instant: datetime, *, tick: bool = False):
    """The clock stopped at ``instant`` (or running from it with tick=True): a time-machine
    travel, used as a context manager or a decorator."""
    import time_machine

    return time_machine.travel(instant, tick=tick)


def resident_id(seq: int, *, birth: str = "19900101", region: str = "110101") -> str:
    """A valid mainland resident ID number: region, birth date, sequence (mod 1000), check char."""
    from candidates.idnumbers import resident_check_char

    first17 = f"{region}{birth}{seq % 1000:03d}"
    return first17 + resident_check_char(first17)


def distinct_resident_id(n: int) -> str:
    """The n-th of many distinct resident IDs (distinct for n < 900 * 20,000): 900 per birth day."""
    born = date(1960, 1, 1) + timedelta(days=n // 900)
    return resident_id(n % 900 + 100, birth=f"{born:%Y%m%d}")


class CandidateClient:
    """A candidate's browser: keeps its cookies and sends the CSRF token like the pages do.

    Paths are relative to the candidate API (``attempt/answers/``) or absolute (``/api/...``).
    """

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client(enforce_csrf_checks=True)
        self.client.get(f"{CANDIDATE_API}csrf/")

    @property
    def csrf(self) -> str:
        return self.client.cookies["csrftoken"].value

    @staticmethod
    def url(path: str) -> str:
        return path if path.startswith("/") else CANDIDATE_API + path

    def _headers(self, csrf: bool) -> dict[str, Any]:
        return {"HTTP_X_CSRFTOKEN": self.csrf} if csrf else {}

    def get(self, path: str, params: dict[str, Any] | None = None):
        return self.client.get(self.url(path), params)

    def post(self, path: str, body: Any = None, *, csrf: bool = True):
        return self.client.post(
            self.url(path), data=json.dumps(body or {}), content_type="application/json",
            **self._headers(csrf),
        )

    def post_form(self, path: str, data: dict[str, Any], *, csrf: bool = True):
        """A multipart post (files as SimpleUploadedFile values)."""
        return self.client.post(self.url(path), data=data, **self._headers(csrf))

    # --- the candidate API ---

    def login(self, session, candidate):
        return self.post("login/", {"password": session.password, "id_number": candidate.id_number})

    def login_as(self, attempt):
        """Log in as the candidate of ``attempt`` (its session's password, its ID number)."""
        return self.login(attempt.session, attempt.registration.candidate)

    def save(self, *entries, current=None):
        """Post answers, each entry a (question id, value, seq) triple."""
        body: dict[str, Any] = {"entries": [{"question": q, "value": v, "seq": s} for q, v, s in entries]}
        if current is not None:
            body["current_question"] = current
        return self.post("attempt/answers/", body)

    def events(self, *events):
        return self.post("attempt/events/", {"events": list(events)})

    def upload(self, path: str, data: bytes, *, name="capture.jpg", content_type="image/jpeg", **fields):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return self.post_form(path, {"photo": SimpleUploadedFile(name, data, content_type=content_type), **fields})

    def photo(self, data: bytes, **kwargs):
        """Upload a capture to attempt/photo/ (kind, capture_id, captured_at as form fields)."""
        return self.upload("attempt/photo/", data, **kwargs)

    # --- the support panel's API ---

    def support_post(self, path: str, body=None, *, files=None, csrf: bool = True):
        url = SUPPORT_API + path
        if files is None:
            return self.post(url, body, csrf=csrf)
        data = {**(body or {}), **files}
        if isinstance(data.get("client"), dict):
            data["client"] = json.dumps(data["client"])
        return self.post_form(url, data, csrf=csrf)

    def ask(self, body=None, **kwargs):
        return self.support_post("tickets/", body, **kwargs)

    def mine(self):
        return self.get(f"{SUPPORT_API}tickets/mine/")

    def follow_up(self, ticket_id: int, text: str):
        return self.support_post(f"tickets/{ticket_id}/messages/", {"text": text})

    def faq(self, q: str, batch: str | None = None):
        params = {"q": q}
        if batch:
            params["batch"] = batch
        return self.get(f"{SUPPORT_API}faq/", params)


# --- Debian's Chromium, driven by Playwright (tests/conftest.py's ``browser`` fixture) ---------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
