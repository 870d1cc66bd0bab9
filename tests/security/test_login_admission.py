"""Admission control at the start of an exam (examsite.admission): logins are served a few at a
time per process with a bounded queue; past it a login gets 503 login_busy with Retry-After at
once, and nothing else (autosave, the page's other calls) ever waits behind logins."""

import asyncio
import json

import pytest

from exams.pages import LOGIN_STRINGS
from examsite.admission import BUSY_CODE, LOGIN_PATH, LoginAdmission, LoginGate

ANSWERS_PATH = "/api/v1/candidate/attempt/answers/"


class SlowApp:
    """Stands for Django: every request waits until the test lets it finish."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        self.started.append(scope["path"])
        if scope["path"] == LOGIN_PATH and scope["method"] == "POST":
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def request(app, path: str, method: str = "POST") -> dict:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        sent.append(message)

    await app({"type": "http", "method": method, "path": path, "headers": []}, receive, send)
    start = sent[0]
    return {
        "status": start["status"],
        "headers": {k.decode(): v.decode() for k, v in start.get("headers", [])},
        "body": json.loads(sent[1]["body"] or b"null"),
    }


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_logins_beyond_the_slots_and_the_queue_are_refused_at_once_with_retry_after():
    inner = SlowApp()
    app = LoginAdmission(inner, LoginGate(concurrency=2, queue=3, wait_seconds=30))
    served = [asyncio.ensure_future(request(app, LOGIN_PATH)) for _ in range(5)]  # 2 run, 3 queue
    await settle()
    assert inner.started == [LOGIN_PATH, LOGIN_PATH]
    refused = await asyncio.wait_for(request(app, LOGIN_PATH), 1)  # the sixth: no waiting
    assert refused["status"] == 503
    assert refused["body"]["code"] == BUSY_CODE == "login_busy"
    assert "排队" in refused["body"]["detail"] and "自动重试" in refused["body"]["detail"]
    assert 2 <= int(refused["headers"]["retry-after"]) <= 30
    assert refused["headers"]["cache-control"] == "no-store"
    inner.release.set()
    results = await asyncio.wait_for(asyncio.gather(*served), 5)
    assert [r["status"] for r in results] == [200] * 5  # the queue was served, none lost
    assert inner.started == [LOGIN_PATH] * 5


@pytest.mark.asyncio
async def test_autosave_and_other_requests_never_wait_behind_logins():
    inner = SlowApp()
    app = LoginAdmission(inner, LoginGate(concurrency=1, queue=10, wait_seconds=30))
    logins = [asyncio.ensure_future(request(app, LOGIN_PATH)) for _ in range(5)]
    await settle()
    saved = await asyncio.wait_for(request(app, ANSWERS_PATH), 1)
    page = await asyncio.wait_for(request(app, LOGIN_PATH, method="GET"), 1)
    assert saved["status"] == page["status"] == 200
    inner.release.set()
    await asyncio.wait_for(asyncio.gather(*logins), 5)


@pytest.mark.asyncio
async def test_a_login_that_waits_too_long_in_the_queue_is_refused_and_frees_its_place():
    inner = SlowApp()
    gate = LoginGate(concurrency=1, queue=5, wait_seconds=0.05)
    app = LoginAdmission(inner, gate)
    first = asyncio.ensure_future(request(app, LOGIN_PATH))
    await settle()
    late = await asyncio.wait_for(request(app, LOGIN_PATH), 2)
    assert late["status"] == 503 and late["body"]["code"] == BUSY_CODE
    assert gate.waiting == 0 and gate.in_flight == 1
    inner.release.set()
    assert (await first)["status"] == 200
    assert gate.in_flight == 0
    assert (await request(app, LOGIN_PATH))["status"] == 200  # the slot is free again


@pytest.mark.asyncio
async def test_a_login_that_fails_inside_django_frees_its_slot():
    async def broken(scope, receive, send):
        raise RuntimeError("boom")

    gate = LoginGate(concurrency=1, queue=0, wait_seconds=1)
    app = LoginAdmission(broken, gate)
    with pytest.raises(RuntimeError):
        await request(app, LOGIN_PATH)
    assert gate.in_flight == 0 and not gate._slots.locked()


def test_the_login_page_tells_a_queued_candidate_what_happens_next():
    text = str(LOGIN_STRINGS["queued"])
    assert "排队" in text and "{seconds}" in text and "不要关闭或刷新" in text
