"""Thin Channels consumers: authenticate, join groups, validate, call selectors/services."""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from exams import live, presence, statuses
from exams.selectors.attempts import (
    attempt_live_status,
    attempt_socket_state,
    attempt_stored_receipt,
    session_collected_receipts,
)
from exams.selectors.monitor import monitor_session_states, session_counts, staff_can_monitor
from examsite.staff_sockets import StaffSessionSocketMixin

logger = logging.getLogger(__name__)

CLOSE_NOT_LOGGED_IN = 4401
CLOSE_SUPERSEDED = 4409
CLOSE_FORBIDDEN = 4403

# One read of a collected session's receipts per process and collection broadcast, shared by all
# the sockets of that session in this process: at the deadline thousands of sockets would
# otherwise each take a thread and a database connection for their own row.
_RECEIPTS: dict[tuple[int, str], asyncio.Future] = {}
RECEIPTS_KEPT_SECONDS = 30.0


async def _collected_receipts(session_id: int, token: str) -> dict[int, str]:
    key = (session_id, token)
    task = _RECEIPTS.get(key)
    if task is None:
        # A task of its own: a socket that disconnects while waiting cancels only its wait.
        task = asyncio.ensure_future(database_sync_to_async(session_collected_receipts)(session_id=session_id))
        _RECEIPTS[key] = task
        asyncio.get_running_loop().call_later(RECEIPTS_KEPT_SECONDS, _RECEIPTS.pop, key, None)
        task.add_done_callback(lambda t: _RECEIPTS.pop(key, None) if t.cancelled() or t.exception() else None)
    return await asyncio.shield(task)


def _socket_connect(*, attempt_id: int, client_id: str, now) -> dict | None:
    """Everything a connect needs from the database and the cache in one thread hop (thousands
    of pages connect within seconds at the start and after a network blip): the attempt's state
    and, unless a newer login superseded this page, the page marked present."""
    state = attempt_socket_state(attempt_id=attempt_id, client_id=client_id, now=now)
    if state is not None and not state["superseded"]:
        presence.page_seen(attempt_id, client_id)
    return state


class AttemptConsumer(AsyncJsonWebsocketConsumer):
    """/ws/attempt/: the logged-in candidate's page. Pushes only real changes."""

    async def connect(self) -> None:
        session = self.scope.get("session") or {}
        attempt_id = session.get("attempt_id")
        self.client_id = session.get("client_id", "")
        if not isinstance(attempt_id, int):
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        self.attempt_id: int = attempt_id
        state = await database_sync_to_async(_socket_connect)(
            attempt_id=self.attempt_id, client_id=self.client_id, now=timezone.now()
        )
        if state is None:
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        self.present = not state["superseded"]  # marked present by _socket_connect
        await self.accept()
        if state["superseded"]:
            await self.send_json({"type": "superseded"})
            await self.close(code=CLOSE_SUPERSEDED)
            return
        self.session_id: int = state["session_id"]
        self.groups_joined = [live.attempt_group(self.attempt_id), live.session_group(self.session_id)]
        await asyncio.gather(*(self.channel_layer.group_add(g, self.channel_name) for g in self.groups_joined))
        self.deadline = state["sync"]["deadline"]
        self.finished = state["sync"]["state"] in statuses.FINISHED
        await self.send_json(state["sync"])

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if getattr(self, "present", False):
            await sync_to_async(presence.page_gone)(self.attempt_id, self.client_id)

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict) or content.get("type") != "ping":
            await self.send_json({"type": "error", "code": "unknown_message"})
            return
        if getattr(self, "present", False):
            await sync_to_async(presence.page_seen)(self.attempt_id, self.client_id)
        client_time = content.get("client_time")
        if not isinstance(client_time, (int, float)) or isinstance(client_time, bool):
            client_time = None
        await self.send_json(
            {"type": "pong", "client_time": client_time, "server_time": timezone.now().isoformat()}
        )

    async def decode_json(self, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    # --- group messages ---------------------------------------------------------

    async def attempt_push(self, event) -> None:
        payload = event["payload"]
        if payload.get("type") == "deadline":
            self.deadline = payload["deadline"]
            if payload.get("kind") == live.DEADLINE_REOPEN:
                self.finished = False  # collected again at its new deadline
        await self.send_json(payload)

    async def session_deadline(self, event) -> None:
        """Times of the session changed (its end, a credit): this page's own new deadline, if it
        moved, then the whole status (a moved start reaches the waiting room too)."""
        status = await database_sync_to_async(attempt_live_status)(attempt_id=self.attempt_id, now=timezone.now())
        if status is None or status["state"] not in statuses.OPEN:
            return
        if status["deadline"] != self.deadline:
            previous, self.deadline = self.deadline, status["deadline"]
            await self.send_json({
                "type": "deadline", "deadline": status["deadline"], "reason": event.get("reason", ""),
                "kind": event.get("kind", ""), "previous": previous,
            })
        await self.send_json({"type": "status", **status})  # not "sync": no clock sample

    async def attempt_superseded(self, event) -> None:
        if event.get("client_id") != self.client_id:
            await self.send_json({"type": "superseded"})
            await self.close(code=CLOSE_SUPERSEDED)

    async def attempt_logout(self, event) -> None:
        # Only the sockets of the page that logged out; not those of a newer login elsewhere.
        if event.get("client_id") in (None, self.client_id):
            await self.close(code=CLOSE_NOT_LOGGED_IN)

    async def session_collected(self, event) -> None:
        if self.finished:
            return
        receipts: dict[int, str] = {}
        token = event.get("token")
        if isinstance(token, str):
            try:
                receipts = await _collected_receipts(self.session_id, token)
            except Exception:
                logger.warning("reading the session's receipts failed; reading this attempt's", exc_info=True)
        if self.attempt_id in receipts:
            receipt = receipts[self.attempt_id]
        else:  # not collected (extra time, submitted) or no shared read: this attempt's own row
            state, receipt = await database_sync_to_async(attempt_stored_receipt)(attempt_id=self.attempt_id)
            if state != statuses.COLLECTED:
                return  # extra time granted, or already submitted
        self.finished = True
        await self.send_json({"type": "collected", "receipt": receipt})


class MonitorConsumer(StaffSessionSocketMixin, AsyncJsonWebsocketConsumer):
    """/ws/monitor/<session id>/: counts by state, an alert feed and the wall's tile changes.

    On connect the page gets the counts with every tile's exams fields (``states``); afterwards
    only ``tile`` messages with what changed: pushed by the apps (snapshot, phone) or found by
    the coalesced recount (state, lock, leaves, last save). Closes when the staff session ends.
    """

    RECOUNT_DELAY = 1.0

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        allowed = await database_sync_to_async(staff_can_monitor)(user, self.session_id)
        if not allowed:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self._recount: asyncio.Task | None = None
        self._states: dict[int, dict] = {}
        await self.channel_layer.group_add(live.monitor_group(self.session_id), self.channel_name)
        await self.accept()
        await self.staff_session_join()
        # The first counts carry every tile's exams fields (``states``): a page that reconnects
        # misses nothing; after that only changes.
        self._states = await database_sync_to_async(monitor_session_states)(self.session_id)
        await self._send_counts(states={str(k): v for k, v in self._states.items()})

    async def disconnect(self, code: int) -> None:
        await self.staff_session_leave()
        await self.channel_layer.group_discard(live.monitor_group(self.session_id), self.channel_name)
        task = getattr(self, "_recount", None)
        if task is not None:
            task.cancel()

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "refresh":
            await self._send_counts()

    async def _send_counts(self, states: dict | None = None) -> None:
        counts = await database_sync_to_async(session_counts)(self.session_id)
        message = {"type": "counts", "counts": counts, "server_time": timezone.now().isoformat()}
        if states is not None:
            message["states"] = states
        await self.send_json(message)

    async def _send_changed_tiles(self) -> None:
        states = await database_sync_to_async(monitor_session_states)(self.session_id)
        for attempt_id, fields in states.items():
            before = self._states.get(attempt_id, {})
            changed = {name: value for name, value in fields.items() if before.get(name) != value}
            if changed:
                await self.send_json({"type": "tile", "attempt": attempt_id, **changed})
        self._states = states

    async def _recount_later(self) -> None:
        try:
            await asyncio.sleep(self.RECOUNT_DELAY)
            self._recount = None
            await self._send_counts()
            await self._send_changed_tiles()
        except asyncio.CancelledError:
            pass

    async def monitor_changed(self, event) -> None:
        alert = event.get("alert")
        if alert:
            await self.send_json({"type": "alert", "alert": alert})
        # Coalesce a storm of logins into one recount a second.
        if self._recount is None:
            self._recount = asyncio.ensure_future(self._recount_later())

    async def monitor_tile(self, event) -> None:
        fields = event.get("fields") or {}
        await self.send_json({**fields, "type": "tile", "attempt": event["attempt"]})
