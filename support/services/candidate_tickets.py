"""A candidate asks for help (``ticket_create``) and follows up (``ticket_add_candidate_message``).

From an exam page the asker is the session's attempt; from a public page only what the form
says (contact required, ID number and batch optional), and the attempt the ID number probably
means is linked as unverified.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from candidates import idnumbers
from exams import statuses
from exams.models import Attempt, ExamBatch
from examsite.images import image_to_jpeg
from examsite.storage import evidence_storage
from support import live
from support.context import attempt_context, client_details
from support.exceptions import InvalidInput, NoAttempt, TooManyTickets, UploadTooLarge
from support.models import Ticket, TicketAction, TicketMessage
from support.selectors import batch_by_slug, staffed_now
from support.services.tickets import (
    action_audit,
    message_add,
    out_of_hours_answer,
    text_field,
    ticket_lock,
    waiting_status,
)

MAX_CONTACT = 100
# Unclosed tickets one owner may have at once: enough for real trouble, not for flooding.
MAX_UNCLOSED_PER_OWNER = 5
SCREENSHOT_DIR = "support"


@dataclass
class _Asker:
    """Who asks, as far as the request tells."""

    attempt: Attempt | None  # logged in: the session's own attempt; public: the one guessed
    batch: ExamBatch | None
    contact: str
    id_number: str = ""  # normalized; public pages only
    unverified: bool = False  # the attempt was guessed from the ID number


def ticket_create(
    *,
    category: object,
    text: object,
    now: datetime,
    attempt_id: int | None = None,
    batch_slug: object = "",
    contact: object = "",
    id_number: object = "",
    client: object = None,
    user_agent: str = "",
    screenshot: UploadedFile[bytes] | bytes | None = None,
    owner_tokens: list[str] | None = None,
) -> Ticket:
    """A candidate asks for help: from an exam page (``attempt_id`` from their session) or
    anonymously from a public page (contact required, ID number optional).

    Outside staffed hours the ticket is queued and answered at once with when staff are back
    and the best matching FAQ entries.
    """
    errors: dict[str, str] = {}
    category_key = _category(category, errors)
    question = _question(text, errors)
    if attempt_id is not None:
        asker = _logged_in_asker(attempt_id, contact)
    else:
        asker = _public_asker(contact=contact, id_number=id_number, batch_slug=batch_slug, errors=errors)
    if errors:
        raise InvalidInput(errors)
    _check_unclosed(asker, owner_tokens)
    jpeg = _screenshot(screenshot) if screenshot is not None else None
    context = _context(asker, browser=client_details(client, user_agent=user_agent), now=now)
    return _ticket_insert(asker, category=category_key, text=question, context=context, jpeg=jpeg, now=now)


def _category(value: object, errors: dict[str, str]) -> str:
    category = value or Ticket.OTHER
    if not isinstance(category, str) or category not in dict(Ticket.CATEGORIES):
        errors["category"] = _("请选择问题类型。")
        return ""
    return category


def _question(value: object, errors: dict[str, str]) -> str:
    try:
        return text_field(value, field="text", required_message=_("请描述您遇到的问题。"))
    except InvalidInput as error:
        errors.update(error.by_path())
        return ""


def _logged_in_asker(attempt_id: int, contact: object) -> _Asker:
    attempt = (
        Attempt.objects.select_related("session__batch", "registration__candidate")
        .filter(pk=attempt_id).first()
    )
    if attempt is None:
        raise NoAttempt()
    return _Asker(
        attempt=attempt,
        batch=attempt.session.batch,
        contact=contact.strip()[:MAX_CONTACT] if isinstance(contact, str) else "",
    )


def _public_asker(*, contact: object, id_number: object, batch_slug: object, errors: dict[str, str]) -> _Asker:
    asker = _Asker(attempt=None, batch=None, contact="")
    if not isinstance(contact, str) or not contact.strip():
        errors["contact"] = _("请留下联系方式（手机号或邮箱），以便工作人员联系您。")
    elif len(contact.strip()) > MAX_CONTACT:
        errors["contact"] = _("联系方式过长。")
    else:
        asker.contact = contact.strip()
    if isinstance(id_number, str) and id_number.strip():
        try:
            asker.id_number = idnumbers.normalize_for_login(id_number)
        except idnumbers.InvalidIdNumber as error:
            errors["id_number"] = str(error)
    elif id_number not in ("", None):
        errors["id_number"] = _("证件号必须是文字。")
    if isinstance(batch_slug, str) and batch_slug.strip():
        asker.batch = batch_by_slug(batch_slug.strip())
        if asker.batch is None:
            errors["batch"] = _("未知的考试批次。")
    elif batch_slug not in ("", None):
        errors["batch"] = _("未知的考试批次。")
    return asker


def _check_unclosed(asker: _Asker, owner_tokens: list[str] | None) -> None:
    """An exam page owns its attempt's tickets; a browser the tickets whose tokens it holds."""
    unclosed = Ticket.objects.exclude(status=Ticket.CLOSED)
    owned = (
        unclosed.filter(attempt_id=asker.attempt.id, attempt_unverified=False) if asker.attempt is not None
        else unclosed.filter(token__in=owner_tokens or [])
    )
    if owned.count() >= MAX_UNCLOSED_PER_OWNER:
        raise TooManyTickets()


def _screenshot(upload: UploadedFile[bytes] | bytes) -> bytes:
    """Same rules as evidence: size first, then Pillow decodes and re-encodes (413 / 415)."""
    if isinstance(upload, bytes):
        data = upload
    else:
        if upload.size is not None and upload.size > settings.EVIDENCE_MAX_BYTES:
            raise UploadTooLarge(_("截图过大，请压缩后重新上传。"))
        data = upload.read(settings.EVIDENCE_MAX_BYTES + 1)
    jpeg, _width, _height = image_to_jpeg(data)
    return jpeg


def _context(asker: _Asker, *, browser: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What staff see beside the question. A public asker's attempt is guessed here (and set
    on ``asker``, unverified), with its batch when the form named none."""
    if asker.attempt is not None:
        return {"entry": "logged_in", **attempt_context(asker.attempt, now), "client": browser}
    context: dict[str, Any] = {"entry": "public", "client": browser}
    if not asker.id_number:
        return context
    context["id_number_masked"] = idnumbers.mask(asker.id_number)
    guessed = _attempt_for_id_number(asker.id_number, asker.batch, now)
    if guessed is not None:
        context.update(attempt_context(guessed, now))
        asker.attempt, asker.unverified = guessed, True
        asker.batch = asker.batch or guessed.session.batch
    return context


def _attempt_for_id_number(id_number: str, batch: ExamBatch | None, now: datetime) -> Attempt | None:
    """The attempt a public-page asker probably means: locked first, then one in progress."""
    attempts = Attempt.objects.select_related("session__batch", "registration__candidate").filter(
        registration__candidate__id_number=id_number,
        session__ends_at__gte=now - timedelta(hours=1),
        session__starts_at__lte=now + timedelta(days=1),
    )
    if batch is not None:
        attempts = attempts.filter(session__batch=batch)
    ranked = sorted(
        attempts,
        key=lambda a: (
            not a.locked, a.state not in statuses.OPEN, abs((a.session.starts_at - now).total_seconds())
        ),
    )
    return ranked[0] if ranked else None


def _ticket_insert(
    asker: _Asker, *, category: str, text: str, context: dict[str, Any], jpeg: bytes | None, now: datetime
) -> Ticket:
    """The screenshot file first, then the row (and the out-of-hours answer) in one transaction;
    a failed insert removes the file again."""
    stored_name = ""
    if jpeg is not None:
        stored_name = evidence_storage.save(
            f"{SCREENSHOT_DIR}/{now:%Y%m%d}/{secrets.token_hex(12)}.jpg", ContentFile(jpeg)
        )
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                batch=asker.batch,
                session=asker.attempt.session if asker.attempt is not None else None,
                attempt=asker.attempt,
                attempt_unverified=asker.unverified,
                contact=asker.contact,
                id_number=asker.id_number,
                category=category,
                text=text,
                screenshot_name=stored_name,
                screenshot_sha256=hashlib.sha256(jpeg).hexdigest() if jpeg is not None else "",
                status=Ticket.OPEN,
                context=context,
                token=secrets.token_urlsafe(24),
                created_at=now,
                waiting_since=now,
                updated_at=now,
            )
            if not staffed_now(asker.batch, now):
                out_of_hours_answer(ticket=ticket, query=text, now=now, with_faq=True)
            live.ticket_changed(ticket=ticket, event="created")
    except Exception:
        if stored_name:
            evidence_storage.delete(stored_name)
        raise
    return ticket


@transaction.atomic
def ticket_add_candidate_message(*, ticket_id: int, text: object, now: datetime) -> Ticket:
    """The owner writes again (call after checking ownership); a closed ticket reopens."""
    text = text_field(text, field="text", required_message=_("请输入内容。"))
    ticket = ticket_lock(ticket_id)
    was_waiting = ticket.status in Ticket.WAITING
    if ticket.status == Ticket.CLOSED:
        action_audit(ticket=ticket, action=TicketAction.REOPEN, actor=None, now=now, details={"by": "candidate"})
    message_add(ticket=ticket, kind=TicketMessage.CANDIDATE, text=text, now=now)
    if not was_waiting:
        ticket.status = waiting_status(ticket)
        ticket.waiting_since = now
        ticket.closed_at = None
        if not staffed_now(ticket.batch, now):
            out_of_hours_answer(ticket=ticket, query=text, now=now, with_faq=False)
    ticket.updated_at = now
    ticket.save(update_fields=["status", "waiting_since", "closed_at", "updated_at"])
    live.ticket_changed(ticket=ticket, event="message")
    return ticket
