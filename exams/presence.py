"""Which candidate page of an attempt is live: its attempt socket is connected.

The attempt socket marks its page seen on connect and on every ping and forgets it on
disconnect; a key lives ``PRESENCE_SECONDS`` without news, so a page whose process died
is forgotten on its own. A login reads it to record a ``relogin_elsewhere``. Best effort:
a cache outage only means a re-login is not recognized as one made elsewhere.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

PRESENCE_SECONDS = 90


def _key(attempt_id: int, client_id: str) -> str:
    return f"attempt-page-live:{attempt_id}:{client_id}"


def page_seen(attempt_id: int, client_id: str) -> None:
    try:
        cache.set(_key(attempt_id, client_id), 1, PRESENCE_SECONDS)
    except Exception:
        logger.warning("presence: cache unavailable", exc_info=True)


def page_gone(attempt_id: int, client_id: str) -> None:
    try:
        cache.delete(_key(attempt_id, client_id))
    except Exception:
        logger.warning("presence: cache unavailable", exc_info=True)


def page_is_live(attempt_id: int, client_id: str) -> bool:
    try:
        return bool(cache.get(_key(attempt_id, client_id)))
    except Exception:
        logger.warning("presence: cache unavailable", exc_info=True)
        return False
