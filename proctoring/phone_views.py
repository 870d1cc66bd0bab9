"""The phone monitor's pages (鹰眼监控): no login, mobile layout, Chinese.

``/proctoring/phone/<token>/``: GET checks the one-time link and shows a start button;
POST claims it (once) and gives the phone its own cookie. Claiming on a button press keeps
link previewers and prefetchers from using up the link, and the press is the gesture
mobile browsers want before they open the camera. The start page's script
(static/js/proctoring/phone_start.js) fills in the device's facts, which the claim needs: a
coarse fingerprint (``fingerprint``) and ``navigator.maxTouchPoints`` (``touch_points``).
``/proctoring/phone/``: the monitoring page itself, identified by the phone's cookie.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from exams import statuses
from exams.api.candidate_auth import SESSION_ATTEMPT
from exams.selectors.attempts import recording_settings
from examsite.exceptions import DomainError
from proctoring import exceptions as exc
from proctoring import phone_rules
from proctoring.api.views import PHONE_COOKIE
from proctoring.models import RecordingChunk
from proctoring.recordings import recording_block
from proctoring.services import phone

PHONE_COOKIE_AGE = 60 * 60 * 14


def _refused(request, error: DomainError):
    return render(
        request, "proctoring/phone_refused.html",
        {"code": error.code, "detail": error.detail,
         "regenerate": error.code in ("pairing_used", "pairing_expired", "pairing_unknown",
                                      "phone_not_paired", "pairing_other_attempt", "not_a_phone"),
         # The link is still unused: the same page, with its script running, may claim it.
         "retry": request.path if error.code == exc.PhoneFactsRequired.code else ""},
        status=error.status,
    )


def _candidate_attempt_id(request) -> int | None:
    value = request.session.get(SESSION_ATTEMPT)
    return value if isinstance(value, int) else None


def _facts(request) -> phone.PhoneFacts:
    """What the device tells about itself: its user agent and, in the claim, its page's facts."""
    user_agent = request.headers.get("User-Agent", "")
    if request.method != "POST":
        return phone.PhoneFacts(user_agent=user_agent)
    touch = (request.POST.get("touch_points") or "").strip()
    return phone.PhoneFacts(
        user_agent=user_agent,
        fingerprint=(request.POST.get("fingerprint") or "")[:phone_rules.FINGERPRINT_MAX_LENGTH],
        touch_points=min(int(touch), 1000) if touch.isdigit() else None,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def phone_start(request, token: str):
    now = timezone.now()
    try:
        if request.method == "GET":
            pairing = phone.pairing_check(
                token=token, now=now, candidate_attempt_id=_candidate_attempt_id(request), facts=_facts(request),
            )
            return render(request, "proctoring/phone_start.html", {
                "session": pairing.attempt.session,
                "candidate_name": pairing.attempt.registration.candidate.name,
            })
        claim = phone.pairing_claim(
            token=token, now=now, facts=_facts(request), candidate_attempt_id=_candidate_attempt_id(request),
        )
    except DomainError as error:
        return _refused(request, error)
    response = HttpResponseRedirect(reverse("proctoring:phone"))
    response.set_cookie(
        PHONE_COOKIE, claim.phone_key, max_age=PHONE_COOKIE_AGE, httponly=True, samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@never_cache
@require_GET
def phone_monitor(request):
    pairing = phone.pairing_for_phone(phone_key=request.COOKIES.get(PHONE_COOKIE, ""))
    if pairing is None:
        return _refused(request, exc.PhoneNotPaired())
    if pairing.replaced_at is not None:
        return _refused(request, exc.PhoneReplaced())
    if pairing.attempt.state not in statuses.OPEN:
        return render(request, "proctoring/phone_refused.html", {
            "code": "attempt_finished",
            "title": _("鹰眼监控已结束"),
            "detail": _("本场考试已结束，手机监控已停止，可以关闭本页面。"),
            "regenerate": False,
        })
    return render(request, "proctoring/phone_monitor.html", {
        "session": pairing.attempt.session,
        "heartbeat_url": reverse("proctoring-phone-heartbeat"),
        "snapshot_url": reverse("proctoring-phone-snapshot"),
        "heartbeat_seconds": phone.heartbeat_interval_seconds(),
        "snapshot_seconds": phone.phone_snapshot_interval_seconds(),
        "phone_recording": {
            "attempt": pairing.attempt_id,
            "settings": recording_settings(pairing.attempt.session),
            "next_seq": recording_block(pairing.attempt)["next_seq"][RecordingChunk.PHONE],
        },
    })
