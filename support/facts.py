"""A ticket's captured context as facts an agent reads at a glance (the ticket page).

The raw JSON stays on the page behind a "details" toggle; these are the few facts that decide
what to answer: did the camera work, which browser, how slow the line, which page and question
the candidate was on, and the times in the batch's zone.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from support.models import Ticket

# What the device check's yes/no results mean, both ways.
CHECKS: list[tuple[str, Promise, Promise, Promise]] = [
    ("camera", _("摄像头"), _("可用"), _("不可用")),
    ("microphone", _("麦克风"), _("可用"), _("不可用")),
    ("photo", _("登录照片"), _("已拍摄"), _("未拍摄")),
    ("fullscreen", _("全屏"), _("支持"), _("不支持")),
    ("phone_paired", _("手机监控"), _("已连接"), _("未连接")),
    ("phone_good_image", _("手机画面"), _("正常"), _("异常")),
]

# The candidate pages by path (ticketform.js reports location.pathname).
PAGES: dict[str, Promise] = {
    "/": _("输入考试口令"),
    "/login/": _("证件号登录"),
    "/exam/photo/": _("登录拍照"),
    "/exam/confirm/": _("信息确认"),
    "/exam/": _("考试页面"),
    "/exam/done/": _("已交卷"),
    "/exam/collected/": _("已收卷"),
    "/exam/locked/": _("作答已锁定"),
}


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    ok: bool | None = None  # None: neither good nor bad


def ticket_zone(ticket: Ticket) -> tuple[tzinfo, str]:
    """The batch's time zone (and its name) for every time on the ticket page."""
    batch = ticket.batch or (ticket.session.batch if ticket.session is not None else None)
    name = batch.time_zone if batch is not None else settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name), name
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE), settings.TIME_ZONE


def local_text(value: object, zone: tzinfo) -> str:
    """An ISO instant (or datetime) as the batch's wall clock, "11月30日 19:12:41"; "" if unreadable."""
    instant = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return ""
    if instant is None or timezone.is_naive(instant):
        return ""
    return formats.date_format(timezone.localtime(instant, zone), "n月j日 H:i:s")


def device_check_facts(result: object, checked_at: object, zone: tzinfo) -> list[Fact]:
    if not isinstance(result, dict) or not result:
        return []
    facts = [
        Fact(str(label), str(yes if result[key] else no), bool(result[key]))
        for key, label, yes, no in CHECKS if isinstance(result.get(key), bool)
    ]
    if isinstance(result.get("browser"), str):
        facts.append(Fact(str(_("浏览器")), result["browser"]))
    rtt = result.get("round_trip_ms")
    if isinstance(rtt, (int, float)) and not isinstance(rtt, bool):
        facts.append(Fact(str(_("往返时间")), f"{round(rtt)} ms", rtt < 1000))
    if isinstance(result.get("screen"), str):
        facts.append(Fact(str(_("屏幕")), result["screen"]))
    when = local_text(checked_at, zone)
    if when:
        facts.append(Fact(str(_("调试时间")), when))
    return facts


def page_facts(context: dict[str, Any], zone: tzinfo) -> list[Fact]:
    """Where the candidate was when they asked: page, question, their browser's clock."""
    client = context.get("client")
    found = client.get("reported") if isinstance(client, dict) else None
    reported: dict[str, Any] = found if isinstance(found, dict) else {}
    facts: list[Fact] = []
    page = reported.get("page")
    if isinstance(page, str) and page:
        name = PAGES.get(page)
        facts.append(Fact(str(_("页面")), f"{name}（{page}）" if name else page))
    question = context.get("question")
    if isinstance(question, int) and not isinstance(question, bool):
        facts.append(Fact(str(_("当前题目")), str(_("第 %(n)d 题") % {"n": question})))
    if isinstance(reported.get("online"), bool):
        facts.append(Fact(str(_("网络")), str(_("在线") if reported["online"] else _("离线")), reported["online"]))
    if isinstance(reported.get("fullscreen"), bool):
        facts.append(Fact(str(_("全屏")), str(_("是") if reported["fullscreen"] else _("否"))))
    local = local_text(reported.get("client_time"), zone)
    if local:
        facts.append(Fact(str(_("考生电脑时间")), local))
    if isinstance(reported.get("time_zone"), str):
        facts.append(Fact(str(_("考生电脑时区")), reported["time_zone"]))
    if isinstance(reported.get("viewport"), str):
        facts.append(Fact(str(_("窗口大小")), reported["viewport"]))
    return facts
