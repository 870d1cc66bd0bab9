"""Identity document numbers (证件号).

A mainland resident ID is 18 characters: 6-digit region, 8-digit birth date, 3-digit
sequence and a check character computed with ISO 7064 MOD 11-2 ("X" stands for 10).
Other documents (passport, Hong Kong/Macau and Taiwan permits) have no public checksum;
they are only normalized: spaces removed, letters uppercased.
"""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext_lazy as _

RESIDENT_ID = "resident_id"
PASSPORT = "passport"
HK_MACAU_PERMIT = "hk_macau_permit"
TAIWAN_PERMIT = "taiwan_permit"
FOREIGN_PERMANENT = "foreign_permanent"

DOCUMENT_TYPES = [
    (RESIDENT_ID, _("居民身份证")),
    (PASSPORT, _("护照")),
    (HK_MACAU_PERMIT, _("港澳居民来往内地通行证")),
    (TAIWAN_PERMIT, _("台湾居民来往大陆通行证")),
    (FOREIGN_PERMANENT, _("外国人永久居留身份证")),
]

_WEIGHTS = [(2 ** (17 - i)) % 11 for i in range(17)]
_CHECK_CHARS = "10X98765432"
_RESIDENT_RE = re.compile(r"^\d{17}[\dX]$")
_OTHER_RE = re.compile(r"^[A-Z0-9]{5,20}$")


class InvalidIdNumber(ValueError):
    """Raised with a message a candidate or organizer can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def resident_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize(raw: object, document_type: str = RESIDENT_ID) -> str:
    """Return the canonical form of ``raw`` or raise InvalidIdNumber."""
    if not isinstance(raw, str):
        raise InvalidIdNumber(str(_("证件号必须是文字。")))
    value = re.sub(r"\s+", "", raw).upper()
    if not value:
        raise InvalidIdNumber(str(_("请输入证件号。")))
    if document_type == RESIDENT_ID:
        return _normalize_resident(value)
    if document_type not in dict(DOCUMENT_TYPES):
        raise InvalidIdNumber(str(_("未知的证件类型。")))
    if not _OTHER_RE.match(value):
        raise InvalidIdNumber(str(_("证件号只能包含字母和数字，长度为 5 到 20 位。")))
    return value


def _normalize_resident(value: str) -> str:
    if len(value) != 18:
        raise InvalidIdNumber(
            str(_("居民身份证号应为 18 位，您输入了 %(count)d 位。")) % {"count": len(value)}
        )
    if not _RESIDENT_RE.match(value):
        raise InvalidIdNumber(str(_("居民身份证号前 17 位必须是数字，最后一位是数字或 X。")))
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber(str(_("居民身份证号中的出生日期无效，请核对。"))) from None
    if resident_check_char(value[:17]) != value[17]:
        raise InvalidIdNumber(str(_("居民身份证号校验位不正确，请核对后重新输入。")))
    return value


def normalize_for_login(raw: object) -> str:
    """Login accepts any document: a valid resident ID, or another document's number.

    An 18-character value that looks like a resident ID must pass the checksum, so a
    typo is reported at once instead of as "not registered".
    """
    if not isinstance(raw, str):
        raise InvalidIdNumber(str(_("证件号必须是文字。")))
    value = re.sub(r"\s+", "", raw).upper()
    if len(value) == 18 and value[:17].isdigit():
        return _normalize_resident(value)
    return normalize(value, PASSPORT)


def mask(id_number: str) -> str:
    """Shown on the confirmation page: enough to recognise, not enough to copy."""
    if len(id_number) <= 6:
        return id_number[:1] + "*" * (len(id_number) - 1)
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]
