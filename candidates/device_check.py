"""The device check's readiness result as organizers read it (the registration's ``device_check``).

What the candidate's page found (camera, microphone, login photo, full screen) and what the
server found of the phone monitor (``phone_paired``, ``phone_good_image``: paired, and sent a
good camera image), in one line.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

PAGE_CHECKS = {
    "camera": _("摄像头"),
    "microphone": _("麦克风"),
    "photo": _("登录照片"),
    "fullscreen": _("全屏"),
}


def device_check_phone_text(result: dict[str, object]) -> str:
    """The phone monitor's part of a device check: paired and a good image, paired, or not."""
    if result.get("phone_good_image"):
        return gettext("已连接，画面正常")
    if result.get("phone_paired"):
        return gettext("已连接，但未收到正常画面")
    return gettext("未连接")


def device_check_summary(result: object) -> str:
    """``摄像头：正常；麦克风：异常；……；手机监控：已连接，画面正常`` (empty when never checked)."""
    if not isinstance(result, dict) or not result:
        return ""
    parts = [
        f"{label}：{gettext('正常') if result[key] else gettext('异常')}"
        for key, label in PAGE_CHECKS.items()
        if key in result
    ]
    parts.append(f"{gettext('手机监控')}：{device_check_phone_text(result)}")
    return "；".join(parts)
