"""Reads shared by the support API, the staff queue page and the sockets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Min, Q, QuerySet

from exams import presence, rules, statuses
from exams.models import Attempt, ExamBatch
from exams.services import steps
from exams.services.steps import STEP_LABELS
from support import faq
from support.context import time_left_seconds
from support.exceptions import TicketNotFound
from support.models import FaqEntry, StaffedPeriod, Ticket, TicketAction, TicketMessage

# A browser session follows at most this many anonymous tickets (the newest).
MAX_OWNED_TOKENS = 20
CANDIDATE_MESSAGES = 50
QUEUE_CLOSED_SHOWN = 20
QUEUE_ANSWERED_SHOWN = 50
# The waiting list is paged: a flood of tickets must not make a page of megabytes.
QUEUE_PAGE_SIZE = 50


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def batch_by_slug(slug: str) -> ExamBatch | None:
    return ExamBatch.objects.filter(slug=slug).first()


# --- FAQ ------------------------------------------------------------------------------

def faq_entries(*, batch: ExamBatch | None) -> list[FaqEntry]:
    """Published entries of the batch and the global ones, in the organizer's order."""
    scope = Q(batch__isnull=True) | Q(batch=batch) if batch is not None else Q(batch__isnull=True)
    return list(FaqEntry.objects.filter(scope, published=True).order_by("position", "id"))


def faq_entry_dict(entry: FaqEntry) -> dict[str, Any]:
    return {"id": entry.id, "question": entry.question, "answer": entry.answer}


def faq_search(*, batch: ExamBatch | None, query: str, limit: int = 5) -> list[dict[str, Any]]:
    """Best matches first; with an empty query, the whole list in order."""
    entries = faq_entries(batch=batch)
    if not (query or "").strip():
        return [faq_entry_dict(e) for e in entries]
    matches = faq.rank(query, entries, limit=limit)
    return [{**faq_entry_dict(cast(FaqEntry, m.entry)), "score": m.score} for m in matches]


# --- staffed hours --------------------------------------------------------------------

def _periods(batch: ExamBatch | None) -> QuerySet[StaffedPeriod]:
    # A ticket without a batch (asked before the candidate entered a password) is answered
    # whenever any batch is staffed.
    return StaffedPeriod.objects.filter(batch=batch) if batch is not None else StaffedPeriod.objects.all()


def staffed_now(batch: ExamBatch | None, now: datetime) -> bool:
    """Inside a staffed period. A batch without any periods is treated as always staffed."""
    periods = _periods(batch)
    if not periods.exists():
        return True
    return periods.filter(starts_at__lte=now, ends_at__gt=now).exists()


def next_staffed_start(batch: ExamBatch | None, now: datetime) -> datetime | None:
    """When staff are next back (the start of the next period); None if none is planned."""
    first: datetime | None = _periods(batch).filter(starts_at__gt=now).aggregate(first=Min("starts_at"))["first"]
    return first


# --- a candidate's own tickets ----------------------------------------------------------

def owner_filter(*, attempt_id: int | None, tokens: Iterable[str]) -> Q | None:
    tokens = [t for t in tokens if isinstance(t, str)][-MAX_OWNED_TOKENS:]
    q = Q(pk__in=[])
    if isinstance(attempt_id, int):
        q |= Q(attempt_id=attempt_id, attempt_unverified=False)
    if tokens:
        q |= Q(token__in=tokens)
    return q if (isinstance(attempt_id, int) or tokens) else None


def owner_tickets(*, attempt_id: int | None, tokens: Iterable[str]) -> QuerySet[Ticket]:
    q = owner_filter(attempt_id=attempt_id, tokens=tokens)
    if q is None:
        return Ticket.objects.none()
    return Ticket.objects.filter(q).order_by("-created_at", "-id")


def owner_ticket(*, ticket_id: int, attempt_id: int | None, tokens: Iterable[str]) -> Ticket:
    """The ticket if this browser owns it; otherwise 404, never a hint that it exists."""
    ticket = owner_tickets(attempt_id=attempt_id, tokens=tokens).filter(pk=ticket_id).first()
    if ticket is None:
        raise TicketNotFound()
    return ticket


def _message_dict(m: TicketMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "author": m.author_kind,
        "author_label": str(m.get_author_kind_display()),
        "text": m.text,
        "faq": m.details.get("faq", []) if isinstance(m.details, dict) else [],
        "at": iso(m.at),
    }


def candidate_ticket(ticket: Ticket) -> dict[str, Any]:
    """What the owner may see: their words, replies and the status; no staff names, no context."""
    # Works with or without prefetch_related("messages"): a ticket has a handful of messages.
    messages = sorted(ticket.messages.all(), key=lambda m: (m.at, m.id))[-CANDIDATE_MESSAGES:]
    return {
        "id": ticket.id,
        "category": ticket.category,
        "category_label": str(ticket.get_category_display()),
        "status": ticket.status,
        "status_label": str(ticket.get_status_display()),
        "text": ticket.text,
        "has_screenshot": bool(ticket.screenshot_name),
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "messages": [_message_dict(m) for m in messages],
    }


def candidate_tickets(*, attempt_id: int | None, tokens: Iterable[str]) -> list[dict[str, Any]]:
    tickets = owner_tickets(attempt_id=attempt_id, tokens=tokens).prefetch_related("messages")[
        :MAX_OWNED_TOKENS
    ]
    return [candidate_ticket(t) for t in tickets]


def owner_ticket_ids(*, attempt_id: int | None, tokens: Iterable[str]) -> list[int]:
    return list(owner_tickets(attempt_id=attempt_id, tokens=tokens).values_list("id", flat=True)[:50])


# --- staff ----------------------------------------------------------------------------

def who(ticket: Ticket) -> str:
    """How the queue names the asker: the candidate if known, else the contact given."""
    candidate = (ticket.context or {}).get("candidate") or {}
    return candidate.get("name") or ticket.contact or "—"


def staff_ticket_summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "category": ticket.category,
        "category_label": str(ticket.get_category_display()),
        "status": ticket.status,
        "status_label": str(ticket.get_status_display()),
        "batch": ticket.batch_id,
        "who": who(ticket),
        "excerpt": ticket.text[:80],
        "assignee": ticket.assignee.get_username() if ticket.assignee is not None else None,
        "waiting_since": iso(ticket.waiting_since),
        "created_at": iso(ticket.created_at),
    }


def queue_counts(*, now: datetime, batch: ExamBatch | None = None) -> dict[str, Any]:
    """The counts on top of the queue and the longest wait (a push refreshes only these)."""
    base = Ticket.objects.all() if batch is None else Ticket.objects.filter(batch=batch)
    counts = base.aggregate(
        open=Count("id", filter=Q(status=Ticket.OPEN)),
        claimed=Count("id", filter=Q(status=Ticket.CLAIMED)),
        answered=Count("id", filter=Q(status=Ticket.ANSWERED)),
        oldest=Min("waiting_since", filter=Q(status__in=Ticket.WAITING)),
    )
    oldest = counts.pop("oldest")
    return {"counts": counts, "longest_wait": (now - oldest) if oldest is not None else None}


def queue_overview(*, now: datetime, batch: ExamBatch | None = None, page: int = 1) -> dict[str, Any]:
    """The queue page: counts and longest wait on top, waiting tickets longest-waiting first,
    ``QUEUE_PAGE_SIZE`` a page."""
    base = Ticket.objects.select_related("batch", "session", "assignee")
    if batch is not None:
        base = base.filter(batch=batch)
    counts = base.aggregate(
        open=Count("id", filter=Q(status=Ticket.OPEN)),
        claimed=Count("id", filter=Q(status=Ticket.CLAIMED)),
        answered=Count("id", filter=Q(status=Ticket.ANSWERED)),
        oldest=Min("waiting_since", filter=Q(status__in=Ticket.WAITING)),
    )
    oldest = counts.pop("oldest")
    waiting_total = counts["open"] + counts["claimed"]
    pages = max(1, -(-waiting_total // QUEUE_PAGE_SIZE))
    page = min(max(1, page), pages)
    first = (page - 1) * QUEUE_PAGE_SIZE
    waiting = list(
        base.filter(status__in=Ticket.WAITING).order_by("waiting_since", "id")[first:first + QUEUE_PAGE_SIZE]
    )
    answered = list(base.filter(status=Ticket.ANSWERED).order_by("-updated_at", "-id")[:QUEUE_ANSWERED_SHOWN])
    with_candidate_now([*waiting, *answered], now)
    closed = list(base.filter(status=Ticket.CLOSED).order_by("-closed_at", "-id")[:QUEUE_CLOSED_SHOWN])
    return {
        "counts": counts,
        "longest_wait": (now - oldest) if oldest is not None else None,
        "waiting": waiting,
        "page": page,
        "pages": pages,
        "page_size": QUEUE_PAGE_SIZE,
        "answered": answered,
        "closed": closed,
    }


def with_candidate_now(tickets: list[Ticket], now: datetime) -> list[Ticket]:
    """Each ticket's candidate as the agent needs to know first: state, locked, time left and
    whether their exam page is open now (``exams.presence``), as ``ticket.candidate_now``."""
    attempt_ids = {t.attempt_id for t in tickets if t.attempt_id is not None}
    attempts = {
        a.id: a for a in Attempt.objects.filter(pk__in=attempt_ids).only(
            "id", "state", "locked", "deadline", "client_id", "session_id",
        )
    }
    for ticket in tickets:
        attempt = attempts.get(ticket.attempt_id) if ticket.attempt_id is not None else None
        if attempt is None:
            ticket.candidate_now = None  # type: ignore[attr-defined]
            continue
        left = time_left_seconds(attempt, now)
        ticket.candidate_now = {  # type: ignore[attr-defined]
            "state": attempt.state,
            "state_label": str(attempt.get_state_display()),
            "locked": attempt.locked,
            "in_exam": attempt.state in statuses.OPEN,
            "time_left": timedelta(seconds=left) if left is not None else None,
            "on_page": bool(attempt.client_id) and presence.page_is_live(attempt.id, attempt.client_id),
        }
    return tickets


def ticket_for_staff(ticket_id: int) -> Ticket:
    ticket = (
        Ticket.objects.select_related("batch", "session", "attempt__session", "assignee")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise TicketNotFound()
    return ticket


def ticket_thread(ticket: Ticket) -> list[TicketMessage]:
    return list(ticket.messages.select_related("author").order_by("at", "id"))


def ticket_actions(ticket: Ticket) -> list[TicketAction]:
    return list(ticket.actions.select_related("actor").order_by("at", "id"))


def attempt_now(ticket: Ticket, now: datetime) -> dict[str, Any] | None:
    """The linked attempt as it stands now (the context shows it as it was at submission)."""
    if ticket.attempt_id is None:
        return None
    attempt = Attempt.objects.select_related("session__batch").get(pk=ticket.attempt_id)
    left = time_left_seconds(attempt, now)
    return {
        "id": attempt.id,
        "state": attempt.state,
        "state_label": str(attempt.get_state_display()),
        "locked": attempt.locked,
        "open": attempt.state in statuses.OPEN,
        "time_left": timedelta(seconds=left) if left is not None else None,
        "leaves_used": attempt.leaves_used,
        "leaves_max": rules.leaves_max(attempt.session.rules(), extra_leaves=attempt.extra_leaves),
        "last_seq": attempt.last_seq,
        # Required steps still missing, with their names, for the waive form.
        "missing_steps": [
            (step, str(STEP_LABELS.get(step, step))) for step in steps.steps_missing(attempt)
        ],
    }


def support_staff_users() -> QuerySet[User]:
    """Who a ticket can be assigned to: active staff allowed to work tickets."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    perm = Permission.objects.filter(codename="change_ticket", content_type__app_label="support").first()
    allowed = Q(is_superuser=True)
    if perm is not None:
        allowed |= Q(groups__permissions=perm) | Q(user_permissions=perm)
    users = get_user_model().objects.filter(allowed, is_active=True, is_staff=True)
    return users.distinct().order_by("username")


def staff_can_view_tickets(user: User | AnonymousUser | None) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and user.has_perm("support.view_ticket")
    )


def session_owner(session_key: str | None) -> tuple[int | None, list[str]]:
    """Who a browser session is for support: its attempt (if logged in) and its ticket tokens.

    Read fresh from the session store, so a socket sees tickets made after it connected.
    """
    if not session_key:
        return None, []
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    attempt_id = store.get("attempt_id")
    tokens = store.get("support_tickets") or []
    return (
        attempt_id if isinstance(attempt_id, int) else None,
        [t for t in tokens if isinstance(t, str)] if isinstance(tokens, list) else [],
    )
