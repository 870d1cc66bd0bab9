"""Domain errors: a stable machine ``code``, a message for people, an HTTP status.

Every app raises subclasses of DomainError from its services; one handler
(examsite.errors) turns them into ``{"code", "detail"}`` responses.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class DomainError(Exception):
    code = "error"
    status = 400
    default_detail: str | Promise = ""  # usually a lazy translation

    def __init__(self, detail: str | Promise | None = None, *, extra: dict[str, Any] | None = None) -> None:
        self.detail = str(detail if detail is not None else self.default_detail)
        self.extra = extra or {}
        super().__init__(self.detail)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}


class InvalidInput(DomainError):
    """Bad input that names its fields: ``errors`` maps a field path to its reason."""

    code = "invalid"

    def __init__(self, errors: dict[str, Any] | list[str], detail: str | Promise | None = None) -> None:
        super().__init__(detail or "; ".join(_flatten(errors)), extra={"errors": errors})
        self.errors = errors

    def by_path(self) -> dict[str, Any]:
        """``errors`` as path -> reason (a plain list of reasons has the empty path)."""
        if isinstance(self.errors, dict):
            return self.errors
        return {"": "; ".join(self.errors)} if self.errors else {}


def _flatten(errors: dict[str, Any] | list[str], prefix: str = "") -> list[str]:
    if isinstance(errors, list):
        return [f"{prefix}{e}" for e in errors]
    out: list[str] = []
    for key, value in errors.items():
        if isinstance(value, (dict, list)):
            out.extend(_flatten(value, f"{prefix}{key}: "))
        else:
            out.append(f"{prefix}{key}: {value}")
    return out


class Throttled(DomainError):
    """A quota was reached: 429 ``throttled`` with ``Retry-After`` (seconds); the page backs off."""

    code = "throttled"
    status = 429

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(detail, extra={"retry_after": self.retry_after})

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
