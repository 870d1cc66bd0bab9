"""Candidates and registrations: the only write path for this app's tables."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from candidates import idnumbers
from candidates.models import Candidate, Registration
from examsite.exceptions import InvalidInput


def candidate_upsert(
    *, name: str, id_number: str, document_type: str = idnumbers.RESIDENT_ID, phone: str = ""
) -> Candidate:
    """Create a candidate or update the one with this ID number."""
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = _("请填写考生姓名。")
    if document_type not in dict(idnumbers.DOCUMENT_TYPES):
        errors["document_type"] = _("未知的证件类型：%(value)s。") % {"value": document_type}
        normalized = ""
    else:
        try:
            normalized = idnumbers.normalize(id_number, document_type)
        except idnumbers.InvalidIdNumber as error:
            errors["id_number"] = error.message
            normalized = ""
    if errors:
        raise InvalidInput(errors)
    candidate, _created = Candidate.objects.update_or_create(
        id_number=normalized,
        defaults={"name": name.strip(), "document_type": document_type, "phone": phone},
    )
    return candidate


@transaction.atomic
def registration_create(
    *,
    candidate: Candidate,
    session,
    now: datetime,
    admission_ticket: str = "",
    subject: str = "",
) -> Registration:
    """Seat a candidate in a session (idempotent) and open their attempt."""
    from exams.services.attempts import attempt_create_for_registration

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


DEVICE_CHECK_KEYS = {
    "camera": bool, "microphone": bool, "photo": bool, "fullscreen": bool, "phone": bool,
    "browser": str, "round_trip_ms": (int, float), "screen": str, "notes": str,
}


def registration_record_device_check(*, attempt_id: int, result: object, now: datetime) -> Registration:
    """What the device check found, kept on the registration for organizers to read."""
    if not isinstance(result, dict):
        raise InvalidInput({"result": _("设备调试结果格式不正确。")})
    clean: dict[str, object] = {}
    for key, kind in DEVICE_CHECK_KEYS.items():
        if key in result:
            value = result[key]
            if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
                raise InvalidInput({f"result.{key}": _("类型不正确。")})
            clean[key] = value[:300] if isinstance(value, str) else value
    registration = Registration.objects.get(attempt__id=attempt_id)
    registration.device_check = clean
    registration.device_checked_at = now
    registration.save(update_fields=["device_check", "device_checked_at"])
    return registration
