"""Staff sockets end with the staff session that opened them.

Every staff consumer (the live monitor, the support queue) joins ``staff_session_group`` of its
Django session. Logging out sends ``staff.session_ended`` to that group and each socket closes
with 4401; a session that ends without a logout (expiry, deleted by an admin) is caught by the
consumer's periodic check (``STAFF_SOCKET_RECHECK_SECONDS``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import transaction

logger = logging.getLogger(__name__)

CLOSE_SESSION_ENDED = 4401
RECHECK_SECONDS = 60


def staff_session_group(session_key: str) -> str:
    return "staff-session." + hashlib.sha256(session_key.encode()).hexdigest()[:32]


def session_ended(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """``user_logged_out`` receiver: close that session's staff sockets (after the commit)."""
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if not key or user is None or not getattr(user, "is_staff", False):
        return
    group = staff_session_group(key)

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, {"type": "staff.session_ended"})
        except Exception:
            logger.warning("could not close staff sockets of an ended session", exc_info=True)

    transaction.on_commit(send)


def _session_still_staff(session_key: str, user_id: Any) -> bool:
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    try:
        return bool(store.exists(session_key)) and str(store.get(SESSION_KEY)) == str(user_id)
    except Exception:  # the session store is down: keep the socket, check again later
        logger.warning("staff socket: session store unavailable", exc_info=True)
        return True


class StaffSessionSocketMixin:
    """For AsyncJsonWebsocketConsumer subclasses used by staff; call ``staff_session_join()``
    after accepting and ``staff_session_leave()`` on disconnect."""

    scope: dict[str, Any]
    channel_layer: Any
    channel_name: str

    async def staff_session_join(self) -> None:
        session = self.scope.get("session")
        self._staff_session_key = getattr(session, "session_key", None) or ""
        user = self.scope.get("user")
        self._staff_user_id = getattr(user, "pk", None)
        if not self._staff_session_key:
            return
        self._staff_group = staff_session_group(self._staff_session_key)
        await self.channel_layer.group_add(self._staff_group, self.channel_name)
        self._staff_watch = asyncio.ensure_future(self._staff_recheck())

    async def staff_session_leave(self) -> None:
        group = getattr(self, "_staff_group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)
        task = getattr(self, "_staff_watch", None)
        if task is not None:
            task.cancel()

    async def _staff_recheck(self) -> None:
        interval = getattr(settings, "STAFF_SOCKET_RECHECK_SECONDS", RECHECK_SECONDS)
        try:
            while True:
                await asyncio.sleep(interval)
                alive = await sync_to_async(_session_still_staff)(self._staff_session_key, self._staff_user_id)
                if not alive:
                    await self.close(code=CLOSE_SESSION_ENDED)  # type: ignore[attr-defined]
                    return
        except asyncio.CancelledError:
            pass

    async def staff_session_ended(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_SESSION_ENDED)  # type: ignore[attr-defined]
