"""Admission control for candidate logins, in front of Django (ASGI).

At the start of an exam thousands of candidates log in within minutes. A login costs a dozen SQL
statements and a new session; run all at once they hold the process's database pool and its
threads, and the autosaves of candidates already answering wait behind them. So each process
serves at most ``LOGIN_CONCURRENCY`` logins at a time; up to ``LOGIN_QUEUE`` more wait here (in
the event loop: no thread, no database connection) for at most ``LOGIN_QUEUE_WAIT_SECONDS``;
beyond that the login is refused at once with ``503`` ``login_busy`` and a ``Retry-After``: the
login page waits that long plus a random jitter and tries again by itself, telling the candidate
they are in a queue. Nothing else (autosave, snapshots, sockets) passes through this gate.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

LOGIN_PATH = "/api/v1/candidate/login/"
BUSY_CODE = "login_busy"


class LoginGate:
    """A bounded number of logins in flight, a bounded queue, and a clear refusal past it."""

    def __init__(self, *, concurrency: int, queue: int, wait_seconds: float) -> None:
        self.concurrency = max(1, concurrency)
        self.queue = max(0, queue)
        self.wait_seconds = wait_seconds
        self.in_flight = 0
        self.waiting = 0
        self._slots = asyncio.Semaphore(self.concurrency)  # first come, first served

    def retry_after(self) -> int:
        """Seconds before a refused page tries again: longer as the queue is longer (the page
        adds its own random jitter so refused pages do not come back together)."""
        return max(2, min(30, 2 + self.waiting // self.concurrency))

    async def enter(self) -> bool:
        """True once the login may run (call ``leave`` after); False: refuse it now."""
        if self._slots.locked():
            if self.waiting >= self.queue:
                return False
            self.waiting += 1
            try:
                await asyncio.wait_for(self._slots.acquire(), self.wait_seconds)
            except TimeoutError:
                return False
            finally:
                self.waiting -= 1
        else:
            await self._slots.acquire()  # free: returns at once
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1
        self._slots.release()


def busy_body() -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        detail = _("登录人数较多，您正在排队。页面会自动重试登录，请不要关闭或刷新页面。")
    return json.dumps({"code": BUSY_CODE, "detail": detail}, ensure_ascii=False).encode()


class LoginAdmission:
    """ASGI middleware: POSTs to the login API pass through a ``LoginGate``; all else passes."""

    def __init__(self, app: Any, gate: LoginGate | None = None) -> None:
        self.app = app
        self.gate = gate or LoginGate(
            concurrency=settings.LOGIN_CONCURRENCY,
            queue=settings.LOGIN_QUEUE,
            wait_seconds=settings.LOGIN_QUEUE_WAIT_SECONDS,
        )

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST" or scope.get("path") != LOGIN_PATH:
            await self.app(scope, receive, send)
            return
        if not await self.gate.enter():
            await self.refuse(send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.leave()

    async def refuse(self, send: Any) -> None:
        body = busy_body()
        logger.info("login refused: %s in flight, %s waiting", self.gate.in_flight, self.gate.waiting)
        await send({
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(self.gate.retry_after()).encode()),
                (b"cache-control", b"no-store"),
            ],
        })
        await send({"type": "http.response.body", "body": body})
