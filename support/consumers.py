"""Thin support sockets: authenticate from the scope, join groups, forward pushes.

- /ws/support/mine/  a candidate's own tickets (exam page, other candidate pages, notice page).
  Identity is the Django session only: the logged-in attempt and the anonymous ticket tokens.
  The panel opens it only once the browser has a ticket, so the thousands of exam pages
  without tickets hold no second socket. After making a ticket the panel sends
  {"type": "refresh"} and the socket joins the new ticket's group.
- /ws/support/        the staff queue, for staff allowed to view tickets.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from examsite.staff_sockets import StaffSessionSocketMixin
from support import live, selectors

CLOSE_NOT_LOGGED_IN = 4401
CLOSE_FORBIDDEN = 4403


def _session_key(scope) -> str | None:
    session = scope.get("session")
    return getattr(session, "session_key", None) if session is not None else None


def _owner_snapshot(session_key: str | None) -> tuple[bool, list[int], list[dict]]:
    attempt_id, tokens = selectors.session_owner(session_key)
    if attempt_id is None and not tokens:
        return False, [], []
    ids = selectors.owner_ticket_ids(attempt_id=attempt_id, tokens=tokens)
    return True, ids, selectors.candidate_tickets(attempt_id=attempt_id, tokens=tokens)


class MyTicketsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.joined: set[str] = set()
        self.session_key = await database_sync_to_async(_session_key)(self.scope)
        known, ids, tickets = await database_sync_to_async(_owner_snapshot)(self.session_key)
        if not known:
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        await self.accept()
        await self._join(ids)
        await self.send_json({"type": "tickets", "tickets": tickets})

    async def _join(self, ticket_ids: list[int]) -> None:
        for ticket_id in ticket_ids:
            group = live.ticket_group(ticket_id)
            if group not in self.joined:
                await self.channel_layer.group_add(group, self.channel_name)
                self.joined.add(group)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict) or content.get("type") != "refresh":
            await self.send_json({"type": "error", "code": "unknown_message"})
            return
        known, ids, tickets = await database_sync_to_async(_owner_snapshot)(self.session_key)
        if not known:
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        await self._join(ids)
        await self.send_json({"type": "tickets", "tickets": tickets})

    async def decode_json(self, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def support_ticket(self, event) -> None:
        await self.send_json({"type": "ticket", **event["payload"]})


class QueueConsumer(StaffSessionSocketMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        allowed = await database_sync_to_async(selectors.staff_can_view_tickets)(self.scope.get("user"))
        if not allowed:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(live.QUEUE_GROUP, self.channel_name)
        self.joined = True
        await self.accept()
        await self.staff_session_join()
        await self.send_json({"type": "hello"})

    async def disconnect(self, code: int) -> None:
        await self.staff_session_leave()
        if getattr(self, "joined", False):
            await self.channel_layer.group_discard(live.QUEUE_GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        await self.send_json({"type": "error", "code": "unknown_message"})

    async def decode_json(self, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def support_queue(self, event) -> None:
        await self.send_json({"type": "ticket", **event["payload"]})
