"""Candidate login throttling (DESIGN.md "Candidate identity and sessions").

Counters live in the Django cache (Redis in production) and are counted by django-ratelimit;
the limits are settings (``LOGIN_RATE_PER_IP``, ``LOGIN_RATE_PER_PASSWORD``,
``LOGIN_RATE_PER_ID``, ``ENTRY_RATE_PER_IP``; an empty value turns a limit off).

- per IP: every entry or login request counts. Large by default: a whole exam centre may
  sit behind one NAT address.
- failed logins per IP (``LOGIN_FAILURES_PER_IP``): only ``not_registered`` and
  ``invalid_id_number`` count, on their own and much tighter: ID-number enumeration from one
  address stops early, while an exam centre's successful logins never touch it.
- per session password and per (password, ID number): only logins whose credentials did
  not match count (unknown password, malformed or unregistered ID number). A real candidate
  who logs in again, or is refused for being late or locked, never uses up their own budget.

A limit never shuts a candidate out for the exam: counters live one window (a minute by
default), and staff can clear them at once (``login_throttle_clear``: the
``clear_login_throttle`` command and POST /api/v1/organizer/throttle/clear/). Clearing moves
the key to a new generation instead of deleting django-ratelimit's private cache keys.

If the cache is down, throttling fails open with a warning: exam login must not break
because Redis restarted.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from examsite.client_ip import client_ip, normalized_ip
from examsite.exceptions import DomainError, InvalidInput

logger = logging.getLogger(__name__)

# Refusals that mean "these credentials did not match": the ones a guesser produces.
FAILURE_CODES = frozenset({"unknown_password", "invalid_id_number", "not_registered"})
GENERATION_SECONDS = 60 * 60 * 24

SCOPE_IP, SCOPE_PASSWORD, SCOPE_ID = "ip", "password", "id"


class LoginThrottled(DomainError):
    code = "throttled"
    status = 429

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(
            _(
                "登录尝试过于频繁，请在 %(seconds)d 秒后重试。"
                "如多次受限无法登录，请点击“技术支持”联系考务人员。"
            )
            % {"seconds": self.retry_after},
            extra={"retry_after": self.retry_after},
        )

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


@dataclass(frozen=True)
class _Counter:
    group: str
    setting: str
    scope: str
    every_request: bool  # False: only failed logins count


ENTRY_IP = _Counter("exam-entry-ip", "ENTRY_RATE_PER_IP", SCOPE_IP, every_request=True)
LOGIN_IP = _Counter("exam-login-ip", "LOGIN_RATE_PER_IP", SCOPE_IP, every_request=True)
LOGIN_PASSWORD = _Counter(
    "exam-login-password", "LOGIN_RATE_PER_PASSWORD", SCOPE_PASSWORD, every_request=False
)
LOGIN_ID = _Counter("exam-login-id", "LOGIN_RATE_PER_ID", SCOPE_ID, every_request=False)
# Failed logins per address, on their own (issue 14): enumeration of ID numbers from one address
# is slowed long before the all-logins budget, which a whole exam centre behind a NAT shares.
LOGIN_IP_FAILURES = _Counter(
    "exam-login-ip-failures", "LOGIN_FAILURES_PER_IP", SCOPE_IP, every_request=False
)
# Failures of an ID number (or of its admission ticket) from one address; a guessed password is
# counted per password instead.
ADDRESS_FAILURE_CODES = frozenset({"invalid_id_number", "not_registered"})


@dataclass
class Guard:
    """What a guarded request was counted under; ``login_failed`` counts its failure."""

    request: HttpRequest
    values: dict[_Counter, str] = field(default_factory=dict)
    available: bool = True


def normalized_password(password: object) -> str:
    return str(password).strip()[:32] if isinstance(password, (str, int)) else ""


def normalized_id_number(id_number: object) -> str:
    """Lenient on purpose: typos of one ID number share its counter, nothing is refused here."""
    return re.sub(r"\s+", "", id_number).upper()[:64] if isinstance(id_number, str) else ""


def _generation_key(scope: str, identity: str) -> str:
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]
    return f"login-throttle-gen:{scope}:{digest}"


def _rate(counter: _Counter) -> str | None:
    return getattr(settings, counter.setting, None) or None


def _keyed(request: HttpRequest, identities: dict[_Counter, tuple[str, str]]) -> Guard:
    """Counter values with their generation; one cache round trip for the generations."""
    guard = Guard(request=request)
    wanted = {c: pair for c, pair in identities.items() if pair[1] and _rate(c)}
    if not wanted:
        return guard
    gen_keys = {c: _generation_key(c.scope, generation_of) for c, (_value, generation_of) in wanted.items()}
    try:
        generations = cache.get_many(list(set(gen_keys.values())))
    except Exception:
        logger.warning("login throttle: cache unavailable, not throttling", exc_info=True)
        guard.available = False
        return guard
    for counter, (value, _generation_of) in wanted.items():
        guard.values[counter] = f"{value}#{generations.get(gen_keys[counter], '0')}"
    return guard


def _usage(guard: Guard, counter: _Counter, *, increment: bool) -> dict[str, Any] | None:
    value = guard.values.get(counter)
    rate = _rate(counter)
    if not guard.available or value is None or rate is None:
        return None
    try:
        usage: dict[str, Any] | None = get_usage(
            guard.request,
            group=counter.group,
            key=lambda _group, _request: value,
            rate=rate,
            increment=increment,
        )
        return usage
    except Exception:
        logger.warning("login throttle: cache unavailable, not throttling", exc_info=True)
        guard.available = False
        return None


def _check(guard: Guard, counters: tuple[_Counter, ...]) -> None:
    waits: list[int] = []
    for counter in counters:
        usage = _usage(guard, counter, increment=counter.every_request)
        if usage is None:
            continue
        # Counted requests include this one; failure counters are only read here.
        over = usage["should_limit"] if counter.every_request else usage["count"] >= usage["limit"]
        if over:
            waits.append(usage["time_left"])
    if waits:
        logger.info(
            "login throttled ip=%s counters=%s",
            client_ip(guard.request),
            len(waits),
        )
        raise LoginThrottled(retry_after=max(waits))


def entry_guard(*, request: HttpRequest) -> Guard:
    guard = _keyed(request, {ENTRY_IP: (client_ip(request),) * 2})
    _check(guard, (ENTRY_IP,))
    return guard


def login_guard(*, request: HttpRequest, password: object, id_number: object) -> Guard:
    """Refuse with ``throttled`` when a limit is reached; otherwise count this request."""
    ip = client_ip(request)
    pw = normalized_password(password)
    idn = normalized_id_number(id_number)
    guard = _keyed(
        request,
        {
            LOGIN_IP: (ip, ip),
            LOGIN_IP_FAILURES: (ip, ip),
            LOGIN_PASSWORD: (pw, pw),
            # Generation per ID number alone: clearing a candidate clears every session of theirs.
            LOGIN_ID: (f"{pw}|{idn}", idn),
        },
    )
    _check(guard, (LOGIN_IP, LOGIN_IP_FAILURES, LOGIN_PASSWORD, LOGIN_ID))
    return guard


def login_failed(*, guard: Guard, code: str) -> None:
    """Count a refused login against its password and ID number if the credentials failed."""
    if code not in FAILURE_CODES:
        return
    for counter in (LOGIN_PASSWORD, LOGIN_ID):
        _usage(guard, counter, increment=True)
    if code in ADDRESS_FAILURE_CODES:
        _usage(guard, LOGIN_IP_FAILURES, increment=True)


def login_throttle_clear(
    *,
    now: datetime,
    id_number: object = None,
    password: object = None,
    ip: object = None,
    actor: User | str | None = None,
) -> list[str]:
    """Give a candidate (ID number: in every session), a session password or an address a
    fresh budget at once. Returns what was cleared."""
    targets: list[tuple[str, str]] = []
    if id_number not in (None, ""):
        idn = normalized_id_number(id_number)
        if not idn:
            raise InvalidInput({"id_number": _("证件号格式不正确。")})
        targets.append((SCOPE_ID, idn))
    if password not in (None, ""):
        pw = normalized_password(password)
        if not pw:
            raise InvalidInput({"password": _("考试口令格式不正确。")})
        targets.append((SCOPE_PASSWORD, pw))
    if ip not in (None, ""):
        address = normalized_ip(ip) if isinstance(ip, str) else None
        if address is None:
            raise InvalidInput({"ip": _("IP 地址格式不正确。")})
        targets.append((SCOPE_IP, address))
    if not targets:
        raise InvalidInput({"id_number": _("请至少填写证件号、考试口令或 IP 地址之一。")})
    token = secrets.token_hex(6)
    cache.set_many(
        {_generation_key(scope, identity): token for scope, identity in targets}, GENERATION_SECONDS
    )
    cleared = [f"{scope}:{identity}" for scope, identity in targets]
    logger.info(
        "login throttle cleared %s by %s at %s",
        ",".join(s for s, _i in targets),
        getattr(actor, "username", actor or "operator"),
        now.isoformat(),
    )
    return cleared
