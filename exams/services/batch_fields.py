"""Reading a batch definition file's fields: every reader records its error at the value's
path (``sessions[2].starts_at``) and returns a usable placeholder, so one pass finds every error.

``exams.services.batches`` reads the file with them; apps that add a section to the file's
``batch`` object (``exams.services.batch_sections``) read theirs the same way.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.utils.translation import gettext as _

KEY_MAX = 64
NAME_MAX = 200


class Errors(dict[str, str]):
    """path -> reason; a second reason for the same path is appended."""

    def add(self, path: str, reason: Any) -> None:
        reason = str(reason)
        self[path] = f"{self[path]}；{reason}" if path in self else reason





def unknown_keys(obj: dict[str, Any], allowed: set[str], path: str, errors: Errors) -> None:
    for name in obj:
        if name not in allowed:
            errors.add(f"{path}.{name}" if path else name, _("未知的字段。"))


def read_object(value: Any, path: str, errors: Errors) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        errors.add(path, _("必须是一个对象（{...}）。") if value is not None else _("必填。"))
        return None
    return value


def read_items(value: Any, path: str, errors: Errors, *, allow_str: bool = False) -> list[tuple[str, Any]]:
    """(path, item) for each object in a list; a wrong shape is an error at its path."""
    if value is None:
        errors.add(path, _("必填。"))
        return []
    if not isinstance(value, list):
        errors.add(path, _("必须是一个列表（[...]）。"))
        return []
    out: list[tuple[str, Any]] = []
    for i, item in enumerate(value):
        item_path = f"{path}[{i}]"
        if isinstance(item, dict) or (allow_str and isinstance(item, str)):
            out.append((item_path, item))
        else:
            errors.add(item_path, _("必须是一个对象（{...}）。"))
    return out


def read_text(obj: dict[str, Any], name: str, path: str, errors: Errors, *, required: bool = True,
          max_length: int | None = NAME_MAX) -> str:
    value = obj.get(name)
    if value is None or value == "":
        if required:
            errors.add(f"{path}.{name}", _("必填。"))
        return ""
    if not isinstance(value, str):
        errors.add(f"{path}.{name}", _("必须是文字。"))
        return ""
    value = value.strip()
    if max_length is not None and len(value) > max_length:
        errors.add(f"{path}.{name}", _("最多 %(max)d 个字符。") % {"max": max_length})
    return value


def read_key(item: dict[str, Any], path: str, seen: dict[str, str], errors: Errors) -> str:
    key = read_text(item, "key", path, errors, max_length=KEY_MAX)
    if key in seen:
        errors.add(f"{path}.key", _("key 与 %(other)s 重复。") % {"other": seen[key]})
    elif key:
        seen[key] = path
    return key


def read_datetime(value: Any, path: str, errors: Errors) -> datetime | None:
    if value is None:
        errors.add(path, _("必填。"))
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors.add(path, _("不是有效的 ISO 8601 时间（例如 2023-07-30T09:00:00+08:00）。"))
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        errors.add(path, _("时间必须带时区偏移（例如 +08:00）。"))
        return None
    return parsed


def read_clock_time(value: Any, path: str, errors: Errors) -> time | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) != 5:
            raise ValueError
        return time.fromisoformat(value)
    except ValueError:
        errors.add(path, _("必须是 HH:MM 格式的时刻（例如 08:00），或 null。"))
        return None


def read_int(value: Any, path: str, errors: Errors, *, minimum: int, maximum: int, nullable: bool) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        errors.add(path, _("必须是 %(min)d 到 %(max)d 之间的整数%(null)s。")
                   % {"min": minimum, "max": maximum, "null": _("，或 null") if nullable else ""})
        return None
    return value
