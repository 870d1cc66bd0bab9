"""Which proctoring events are alerts on the live wall, and what each is called.

The ONE list of ``ProctorEvent`` kinds that are alerts: the wall's tiles and feed (loaded from
stored events and pushed live), the events service's pushes and the page's filter all read it.
"""

from __future__ import annotations

from django.utils.functional import Promise

from proctoring.models import ProctorEvent

# The kinds the wall treats as alerts; their labels are the event kinds' own (ProctorEvent.KINDS),
# so a kind reads the same on the wall, in its feed, on the timeline and in review.
ALERT_KIND_LIST = (
    ProctorEvent.SCREEN_LEAVE,
    ProctorEvent.FULLSCREEN_EXIT,
    ProctorEvent.CAMERA_BLACK,
    ProctorEvent.CAMERA_LOST,
    ProctorEvent.CAMERA_MISSING,
    ProctorEvent.LOUD_SOUND,
    ProctorEvent.PHONE_LOST,
    ProctorEvent.PHONE_CAMERA_PROBLEM,
    ProctorEvent.PHONE_NOT_A_PHONE,
    ProctorEvent.PHONE_TAKEOVER,
    ProctorEvent.LOCK,
    ProctorEvent.RELOGIN_ELSEWHERE,
    ProctorEvent.LEAVE_LIMIT_BY_LOGIN,
)
_KIND_LABELS: dict[str, Promise] = dict(ProctorEvent.KINDS)
ALERT_LABELS: dict[str, Promise] = {kind: _KIND_LABELS[kind] for kind in ALERT_KIND_LIST}

ALERT_KINDS: frozenset[str] = frozenset(ALERT_LABELS)


def alert_label(kind: str) -> str:
    """The label a proctor reads for an alert kind (the kind itself if it is not an alert)."""
    label = ALERT_LABELS.get(kind)
    return str(label) if label is not None else kind


def alert_labels() -> dict[str, str]:
    """Every alert kind with its label in the request's language (for the page's script)."""
    return {kind: str(label) for kind, label in ALERT_LABELS.items()}
