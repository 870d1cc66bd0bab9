"""Seating candidates in exam sessions: one seat, or many at once (every row is checked, then
all or nothing). Each seat opens its attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from candidates import idnumbers
from candidates.models import Candidate, Registration
from candidates.services import candidate_upsert
from exams.exceptions import InvalidInput
from exams.models import ExamSession
from exams.services.attempts import attempt_create_for_registration

MAX_ROWS = 5000


MAX_ID = 2**63 - 1  # a bigint primary key; larger numbers would overflow the query


def _session_id(row: dict[str, Any]) -> int | None:
    value = row.get("session")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
        return None
    return value


def registrations_bulk_errors(*, rows: list[Any]) -> tuple[dict[str, str], dict[int, ExamSession]]:
    """Every row's problems by path (``[3].id_number``), and the sessions the rows name.

    Tolerates rows of any shape (a wrong type is an error at its path), so callers can list
    these errors next to their own type checks.
    """
    errors: dict[str, str] = {}
    if not rows:
        return {"rows": _("请至少提供一行报名信息。")}, {}
    if len(rows) > MAX_ROWS:
        return {"rows": _("单次最多导入 %(max)d 行，请分批提交。") % {"max": MAX_ROWS}}, {}
    wanted = {_session_id(row) for row in rows if isinstance(row, dict)} - {None}
    sessions = ExamSession.objects.select_related("batch").in_bulk(wanted)
    seats: dict[tuple[int, str], int] = {}
    names: dict[str, tuple[int, str]] = {}
    for i, row in enumerate(rows):
        path = f"[{i}]"
        if not isinstance(row, dict):
            errors[path] = _("每一行必须是一个对象（{...}）。")
            continue
        raw_name = row.get("name")
        name = raw_name.strip() if isinstance(raw_name, str) else ""
        if not name:
            errors[f"{path}.name"] = _("请填写考生姓名。")
        document_type = row.get("document_type") or idnumbers.RESIDENT_ID
        id_number = ""
        if not isinstance(document_type, str) or document_type not in dict(idnumbers.DOCUMENT_TYPES):
            errors[f"{path}.document_type"] = _("未知的证件类型：%(value)s。") % {"value": document_type}
        else:
            try:
                id_number = idnumbers.normalize(row.get("id_number"), document_type)
            except idnumbers.InvalidIdNumber as error:
                errors[f"{path}.id_number"] = error.message
        session = sessions.get(_session_id(row))
        if row.get("session") is None:
            errors[f"{path}.session"] = _("请填写场次。")
        elif session is None:
            errors[f"{path}.session"] = _("场次 %(value)s 不存在。") % {"value": row.get("session")}
        if not id_number:
            continue
        if session is not None:
            seat = (session.pk, id_number)
            if seat in seats:
                errors[f"{path}.id_number"] = _("与 [%(other)d] 重复：同一考生重复报名同一场次。") % {
                    "other": seats[seat]
                }
            else:
                seats[seat] = i
        if name and id_number in names and names[id_number][1] != name:
            errors[f"{path}.name"] = _(
                "与 [%(other)d] 的姓名“%(name)s”不一致：同一证件号只能对应一个姓名。"
            ) % {
                "other": names[id_number][0],
                "name": names[id_number][1],
            }
        names.setdefault(id_number, (i, name))
    return errors, sessions


@transaction.atomic
def registration_create(
    *,
    candidate: Candidate,
    session: ExamSession,
    now: datetime,
    admission_ticket: str = "",
    subject: str = "",
) -> Registration:
    """Seat a candidate in a session (idempotent) and open their attempt."""
    registration, created = Registration.objects.get_or_create(
        candidate=candidate,
        session=session,
        defaults={"admission_ticket": admission_ticket, "subject": subject or session.subject},
    )
    if not created and (admission_ticket or subject):
        registration.admission_ticket = admission_ticket or registration.admission_ticket
        registration.subject = subject or registration.subject
        registration.save(update_fields=["admission_ticket", "subject"])
    attempt_create_for_registration(registration=registration, now=now)
    return registration



def registrations_bulk_create(*, rows: list[dict[str, Any]], now: datetime) -> list[Registration]:
    """Create or update the candidates and seat them; one bad row refuses every row.

    Each row: name, document_type (default resident ID), id_number, session (id),
    admission_ticket, subject. Errors name the row by its index in the list.
    """
    errors, sessions = registrations_bulk_errors(rows=rows)
    if errors:
        raise InvalidInput(errors)
    created: list[Registration] = []
    with transaction.atomic():
        for i, row in enumerate(rows):
            try:
                candidate = candidate_upsert(
                    name=row["name"],
                    id_number=row["id_number"],
                    document_type=row.get("document_type") or idnumbers.RESIDENT_ID,
                )
            except InvalidInput as error:
                raise InvalidInput({f"[{i}].{k}": v for k, v in error.by_path().items()}) from None
            created.append(
                registration_create(
                    candidate=candidate,
                    session=sessions[row["session"]],
                    now=now,
                    admission_ticket=row.get("admission_ticket") or "",
                    subject=row.get("subject") or "",
                )
            )
    return created
