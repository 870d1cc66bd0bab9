"""The staff queue page (/support/queue/): list, ticket with its context, and the actions.

Actions are plain POST forms (work without JS) that call one service each and come back to
the ticket; queue.js only refreshes the rendered parts when the socket says something changed.
Every text is rendered by these templates, so a candidate's "<script>" stays text.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from examsite.exceptions import DomainError
from examsite.storage import evidence_storage
from support import facts, selectors
from support.exceptions import TicketNotFound
from support.models import Ticket
from support.services import staff_tickets, ticket_attempt_actions

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# What the organizer lets a role do to an attempt (exams' permissions, granted per group);
# from a ticket, support also needs support.change_ticket.
UNLOCK = "exams.unlock_attempt"
WAIVE = "exams.waive_step"
MESSAGE = "exams.message_attempt"


def _staff_view(perm: str = "support.view_ticket"):
    def decorate(view: Callable) -> Callable:
        @login_required(login_url="admin:login")
        @never_cache
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not selectors.staff_can_view_tickets(request.user) or not request.user.has_perm(perm):
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)
            except TicketNotFound:
                raise Http404("unknown ticket") from None

        return wrapped

    return decorate


def _batch_filter(request: HttpRequest):
    slug = request.GET.get("batch") or ""
    return selectors.batch_by_slug(slug) if slug else None


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


def _ticket_context(request: HttpRequest, ticket: Ticket, now) -> dict:
    user = request.user
    zone, zone_name = facts.ticket_zone(ticket)
    captured = ticket.context if isinstance(ticket.context, dict) else {}
    return {
        "ticket": ticket,
        "zone": zone,
        "zone_name": zone_name,
        "device_facts": facts.device_check_facts(
            captured.get("device_check"), captured.get("device_checked_at"), zone
        ),
        "page_facts": facts.page_facts(captured, zone),
        "thread": selectors.ticket_thread(ticket),
        "actions": selectors.ticket_actions(ticket),
        "attempt_now": selectors.attempt_now(ticket, now),
        "can_change": user.has_perm("support.change_ticket"),
        "can_reply": user.has_perm("support.change_ticket") and user.has_perm("support.add_ticketmessage"),
        "can_unlock": user.has_perm("support.change_ticket") and user.has_perm(UNLOCK),
        "can_message": user.has_perm("support.change_ticket") and user.has_perm(MESSAGE),
        "can_waive": user.has_perm("support.change_ticket") and user.has_perm(WAIVE),
        "staff_users": selectors.support_staff_users() if user.has_perm("support.change_ticket") else [],
    }


@require_safe
@_staff_view()
def queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    batch = _batch_filter(request)
    context = {
        **admin.site.each_context(request),
        "title": _("技术支持工单队列"),
        "now": now,
        "batch": batch,
        "overview": selectors.queue_overview(now=now, batch=batch, page=_page_number(request)),
        "selected_id": None,
    }
    ticket_id = request.GET.get("ticket", "")
    if ticket_id.isdigit():
        ticket = selectors.ticket_for_staff(int(ticket_id))
        context.update(_ticket_context(request, ticket, now))
        context["selected_id"] = ticket.id
    return render(request, "support/queue.html", context)


@require_safe
@_staff_view()
def queue_list(request: HttpRequest) -> HttpResponse:
    """The list and counts, for queue.js to swap in after a push."""
    now = timezone.now()
    batch = _batch_filter(request)
    selected = request.GET.get("ticket", "")
    return render(request, "support/_queue_list.html", {
        "now": now,
        "batch": batch,
        "overview": selectors.queue_overview(now=now, batch=batch, page=_page_number(request)),
        "selected_id": int(selected) if selected.isdigit() else None,
    })


@require_safe
@_staff_view()
def queue_counts(request: HttpRequest) -> HttpResponse:
    """Only the counts, for queue.js after a push (the list itself changes row by row)."""
    now = timezone.now()
    batch = _batch_filter(request)
    return render(request, "support/_queue_counts.html", {
        "overview": selectors.queue_counts(now=now, batch=batch),
    })


@require_safe
@_staff_view()
def queue_row(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """One ticket's row as the list shows it, for queue.js to put in place after a push."""
    now = timezone.now()
    ticket = selectors.ticket_for_staff(ticket_id)
    batch = _batch_filter(request)
    if batch is not None and ticket.batch_id != batch.pk:
        return HttpResponse(status=204)  # not on this (filtered) page
    selected = request.GET.get("ticket", "")
    selectors.with_candidate_now([ticket], now)
    response = render(request, "support/_queue_row.html", {
        "t": ticket, "now": now, "batch": batch,
        "waiting": ticket.status in Ticket.WAITING,
        "selected_id": int(selected) if selected.isdigit() else None,
    })
    response["X-Ticket-Status"] = ticket.status
    return response


@require_safe
@_staff_view()
def ticket_live(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The parts of a ticket that change (status, thread, attempt now, log); forms stay put."""
    now = timezone.now()
    ticket = selectors.ticket_for_staff(ticket_id)
    return render(request, "support/_ticket_live.html", _ticket_context(request, ticket, now))


@require_safe
@_staff_view()
def ticket_screenshot(request: HttpRequest, ticket_id: int) -> HttpResponseBase:
    ticket = selectors.ticket_for_staff(ticket_id)
    if not ticket.screenshot_name or not evidence_storage.exists(ticket.screenshot_name):
        raise Http404("no screenshot")
    response = FileResponse(evidence_storage.open(ticket.screenshot_name, "rb"), content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="ticket-{ticket.id}.jpg"'
    response["Cache-Control"] = "private, no-store"
    return response


def _back(ticket_id: int) -> HttpResponse:
    return redirect(f"{reverse('support:queue')}?ticket={ticket_id}")


def _action(perm: str, done: StrOrPromise):
    """POST form -> one service call -> back to the ticket with a message."""

    def decorate(call: Callable) -> Callable:
        @require_POST
        @_staff_view(perm)
        @wraps(call)
        def view(request: HttpRequest, ticket_id: int) -> HttpResponse:
            try:
                call(request, ticket_id, timezone.now())
            except TicketNotFound:
                raise
            except DomainError as error:
                messages.error(request, error.detail)
            else:
                messages.success(request, done)
            return _back(ticket_id)

        return view

    return decorate


@_action("support.change_ticket", gettext_lazy("已认领。"))
def ticket_claim(request, ticket_id, now):
    staff_tickets.ticket_claim(ticket_id=ticket_id, actor=request.user, now=now)


@_action("support.change_ticket", gettext_lazy("已指派。"))
def ticket_assign(request, ticket_id, now):
    raw = request.POST.get("assignee", "")
    staff_tickets.ticket_assign(
        ticket_id=ticket_id, assignee_id=int(raw) if raw.isdigit() else None, actor=request.user, now=now
    )


@_action("support.add_ticketmessage", gettext_lazy("回复已发送。"))
def ticket_reply(request, ticket_id, now):
    if not request.user.has_perm("support.change_ticket"):
        raise PermissionDenied
    staff_tickets.ticket_reply(ticket_id=ticket_id, text=request.POST.get("text", ""), actor=request.user, now=now)


@_action("support.change_ticket", gettext_lazy("工单已关闭。"))
def ticket_close(request, ticket_id, now):
    staff_tickets.ticket_close(ticket_id=ticket_id, actor=request.user, now=now)


@_action("support.change_ticket", gettext_lazy("工单已重新打开。"))
def ticket_reopen(request, ticket_id, now):
    staff_tickets.ticket_reopen(ticket_id=ticket_id, actor=request.user, now=now)


@_action(UNLOCK, gettext_lazy("已解除作答锁定。"))
def ticket_unlock(request, ticket_id, now):
    if not request.user.has_perm("support.change_ticket"):
        raise PermissionDenied
    ticket_attempt_actions.ticket_unlock_attempt(
        ticket_id=ticket_id, reason=request.POST.get("reason", ""), actor=request.user, now=now
    )


@_action(WAIVE, gettext_lazy("已免除该步骤。"))
def ticket_waive_step(request, ticket_id, now):
    if not request.user.has_perm("support.change_ticket"):
        raise PermissionDenied
    ticket_attempt_actions.ticket_waive_step(
        ticket_id=ticket_id, step=request.POST.get("step", ""), reason=request.POST.get("reason", ""),
        actor=request.user, now=now,
    )


@_action(MESSAGE, gettext_lazy("消息已发送到考试页面。"))
def ticket_message(request, ticket_id, now):
    if not request.user.has_perm("support.change_ticket"):
        raise PermissionDenied
    ticket_attempt_actions.ticket_message_attempt(
        ticket_id=ticket_id, text=request.POST.get("text", ""), actor=request.user, now=now
    )
