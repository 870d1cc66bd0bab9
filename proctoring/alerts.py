"""Which proctoring events are alerts on the live wall, and what each is called.

The ONE mapping of ``ProctorEvent`` kinds to alert labels: the wall's tiles and feed (loaded
from stored events and pushed live), the events service's pushes and the page's filter all read
it. The identity and phone kinds that have no constant on ``ProctorEvent`` yet are spelled here.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from proctoring.models import ProctorEvent

RELOGIN_ELSEWHERE = "relogin_elsewhere"
PHONE_CAMERA_PROBLEM = "phone_camera_problem"
PHONE_NOT_A_PHONE = "phone_not_a_phone"
PHONE_TAKEOVER = "phone_takeover"

ALERT_LABELS: dict[str, Promise] = {
    ProctorEvent.SCREEN_LEAVE: _("离屏"),
    ProctorEvent.CAMERA_BLACK: _("摄像头黑屏"),
    ProctorEvent.CAMERA_LOST: _("摄像头中断"),
    ProctorEvent.CAMERA_MISSING: _("未检测到摄像头"),
    ProctorEvent.LOUD_SOUND: _("持续声音"),
    ProctorEvent.PHONE_LOST: _("手机监控断开"),
    ProctorEvent.LOCK: _("作答已锁定"),
    RELOGIN_ELSEWHERE: _("在其他地方重新登录"),
    PHONE_CAMERA_PROBLEM: _("手机摄像头异常"),
    PHONE_NOT_A_PHONE: _("手机监控设备不是手机"),
    PHONE_TAKEOVER: _("手机监控被另一设备接管"),
}

ALERT_KINDS: frozenset[str] = frozenset(ALERT_LABELS)


def alert_label(kind: str) -> str:
    """The label a proctor reads for an alert kind (the kind itself if it is not an alert)."""
    label = ALERT_LABELS.get(kind)
    return str(label) if label is not None else kind


def alert_labels() -> dict[str, str]:
    """Every alert kind with its label in the request's language (for the page's script)."""
    return {kind: str(label) for kind, label in ALERT_LABELS.items()}
