"""Template helpers for the support panel (candidate pages) and the staff queue."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from exams.models import Attempt, ExamBatch
from support.models import Ticket
from support.notice import NoticeSupportPeriod
from support.notice import notice_support_hours as support_hours_of

register = template.Library()


def _strings() -> dict[str, str]:
    max_mb = settings.EVIDENCE_MAX_BYTES / 1_000_000
    return {
        "title": _("技术支持"),
        "close": _("关闭"),
        "intro": _("先看看常见问题；没有解决的话，请提交工单，工作人员会尽快回复。"),
        "faq_heading": _("常见问题"),
        "faq_suggest": _("这些常见问题可能对您有帮助"),
        "search_label": _("输入您的问题"),
        "search_placeholder": _("例如：拍照按钮在哪"),
        "searching": _("正在查找…"),
        "no_match": _("没有找到相关的常见问题，您可以提交工单。"),
        "ticket_heading": _("提交工单"),
        "category": _("问题类型"),
        "text": _("问题描述"),
        "text_hint": _("请写明在哪一步、看到了什么提示。"),
        "error_empty": _("请描述您遇到的问题。"),
        "screenshot": _("截图（可选）"),
        "screenshot_hint": _("JPG/PNG 图片，不超过 %(size).1f MB。") % {"size": max_mb},
        "screenshot_off": _("考试全屏状态下无法上传截图，请用文字描述问题。"),
        "contact": _("联系方式（手机号或邮箱）"),
        "id_number": _("证件号（可选）"),
        "submit": _("提交工单"),
        "sending": _("正在提交…"),
        "submitted": _("工单已提交，工作人员会尽快回复。"),
        "mine_heading": _("我的工单"),
        "none": _("暂无工单。"),
        "follow_up": _("继续留言"),
        "send": _("发送"),
        "you": _("我"),
        "new_reply": _("新回复"),
        "reply_arrived": _("您的工单有新回复。"),
        "error": _("提交失败，请稍后重试。"),
        "network_error": _("网络连接失败，请检查网络后重试。"),
        "too_large": _("截图过大，请压缩后重新上传。"),
        "screenshot_attached": _("已附截图"),
        "live_off": _("实时连接已断开，正在重新连接…"),
    }


@register.simple_tag
def notice_support_hours(batch: ExamBatch) -> list[NoticeSupportPeriod]:
    """The staffed hours on a batch's notice page (exams/notice.html)."""
    return support_hours_of(batch=batch)


# The category a new ticket starts with, by the page it is written on (the candidate can change it).
PAGE_CATEGORY = {
    "entry": Ticket.LOGIN,
    "candidate-login-page": Ticket.LOGIN,
    "candidate-confirm": Ticket.LOGIN,
    "candidate-photo-page": Ticket.CAMERA,
    "candidate-exam": Ticket.SUBMISSION,
    "candidate-done": Ticket.SUBMISSION,
    "candidate-collected": Ticket.SUBMISSION,
    "candidate-locked": Ticket.SUBMISSION,
}


def page_category(context) -> str:
    """What the page is about: answering (答题/交卷), the devices (摄像头/拍照) on the photo page
    and in a device check, logging in elsewhere."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    category = PAGE_CATEGORY.get(getattr(match, "url_name", None) or "", Ticket.LOGIN)
    if context.get("device_check") and category == Ticket.SUBMISSION:
        category = Ticket.CAMERA
    return category


@register.simple_tag(takes_context=True)
def support_panel_config(context) -> dict[str, Any]:
    """Everything panel.js needs, passed with json_script (no inline script)."""
    request = context.get("request")
    session = getattr(request, "session", None)
    logged_in = bool(session is not None and isinstance(session.get("attempt_id"), int))
    has_tickets = bool(
        session is not None and (session.get("support_has_tickets") or session.get("support_tickets"))
    )
    batch = context.get("batch")
    slug = getattr(batch, "slug", None) or context.get("support_batch") or ""
    return {
        "urls": {
            "faq": reverse("support-faq"),
            "tickets": reverse("support-tickets"),
            "mine": reverse("support-my-tickets"),
            "messages": reverse("support-ticket-messages", kwargs={"ticket_id": 0}),
            "csrf": reverse("candidate-csrf"),
            "socket": "/ws/support/mine/",
        },
        "batch": slug if isinstance(slug, str) else "",
        "logged_in": logged_in,
        "has_tickets": has_tickets,
        "max_bytes": settings.EVIDENCE_MAX_BYTES,
        "categories": [[value, str(label)] for value, label in Ticket.CATEGORIES],
        "default_category": page_category(context),
        "strings": _strings(),
    }


@register.filter
def duration_text(value: Any) -> str:
    """A wait or time left for people: "2 小时 5 分", "12 分钟", "不到 1 分钟"."""
    if value is None or value == "":
        return "—"
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    seconds = max(0, seconds)
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}
    if minutes:
        return ngettext("%(m)d 分钟", "%(m)d 分钟", minutes) % {"m": minutes}
    return _("不到 1 分钟")


@register.filter
def waited(since, now) -> str:
    return duration_text(now - since) if since and now else "—"


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


@register.filter
def attempt_state_label(value: str) -> str:
    return str(dict(Attempt.STATES).get(value, value or "—"))
