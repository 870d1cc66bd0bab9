"""Candidates and what they bring to their seat: the only write path for this app's tables.

Seating a candidate in a session (``registration_create``) opens an attempt, so it lives in
``exams.services.registrations``.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from candidates import idnumbers
from candidates.models import Candidate, DeviceCheckRun, Registration
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


DEVICE_CHECK_KEYS: dict[str, type | tuple[type, ...]] = {
    "camera": bool, "microphone": bool, "photo": bool, "fullscreen": bool, "phone": bool,
    "browser": str, "round_trip_ms": (int, float), "screen": str, "notes": str,
}


# What the server itself found during the device check (the phone monitor paired, its camera
# sent a good image); a page's report neither sets nor clears them.
DEVICE_CHECK_SERVER_KEYS = ("phone_paired", "phone_good_image")


@transaction.atomic
def registration_device_check_note(*, attempt_id: int, key: str, value: bool, now: datetime) -> None:
    """Record one server-side finding of the device check (``DEVICE_CHECK_SERVER_KEYS``)."""
    if key not in DEVICE_CHECK_SERVER_KEYS:
        raise ValueError(key)
    registration = Registration.objects.select_for_update().get(attempt__id=attempt_id)
    registration.device_check = {**(registration.device_check or {}), key: value}
    registration.device_checked_at = registration.device_checked_at or now
    registration.save(update_fields=["device_check", "device_checked_at"])


@transaction.atomic
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
    registration = Registration.objects.select_for_update().get(attempt__id=attempt_id)
    found = registration.device_check or {}
    clean.update({key: found[key] for key in DEVICE_CHECK_SERVER_KEYS if key in found})
    registration.device_check = clean
    registration.device_checked_at = now
    registration.save(update_fields=["device_check", "device_checked_at"])
    DeviceCheckRun.objects.create(registration=registration, result=clean, checked_at=now)
    return registration
