"""Staff pages: evidence files, the review queue and the attempt timeline (审核).

Every view here is for staff only: anyone else (a candidate's session included) is sent to
the admin login; staff without the permission get 403. Evidence is streamed from private
storage, never from a public URL.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from candidates import idnumbers
from exams.models import Attempt, ExamSession
from exams.services.answering import attempt_unlock
from examsite.exceptions import DomainError, InvalidInput
from examsite.storage import evidence_storage
from proctoring import recordings, selectors, wall
from proctoring.models import Evidence, RecordingChunk, RegisteredPhoto, ReviewDecision
from proctoring.services import recording, reviews

VIEW_EVIDENCE = "proctoring.view_evidence"
DECIDE = "proctoring.decide_attempt"
UNLOCK = "proctoring.unlock_attempt"
TIMELINE_PAGE_SIZE = 200


def staff_only(*perms: str):
    """Staff with every one of ``perms``; others go to the admin login (or get 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_authenticated and user.is_active and user.is_staff):
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            if not user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return never_cache(wrapped)

    return decorator


def staff_may_see_attempt(user, attempt_id: int) -> bool:
    """Batch scoping lives here: today every reviewer with the evidence permission sees
    every batch, and support staff have no evidence permission at all."""
    return user.has_perm(VIEW_EVIDENCE)


def _image_response(name: str, filename: str) -> FileResponse:
    try:
        handle = evidence_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
@staff_only(VIEW_EVIDENCE)
def evidence_file(request, evidence_id: int):
    evidence = get_object_or_404(
        Evidence.objects.only("id", "attempt_id", "kind", "storage_name"), pk=evidence_id
    )
    if not staff_may_see_attempt(request.user, evidence.attempt_id):
        raise PermissionDenied
    return _image_response(
        evidence.storage_name, f"attempt{evidence.attempt_id}-{evidence.kind}-{evidence.id}.jpg"
    )


@require_GET
@staff_only(VIEW_EVIDENCE)
def evidence_thumb(request, evidence_id: int):
    """The small derivative made at upload (the live wall's tiles); older rows have none and
    get the full image."""
    evidence = get_object_or_404(
        Evidence.objects.only("id", "attempt_id", "kind", "storage_name", "thumb_name"), pk=evidence_id
    )
    if not staff_may_see_attempt(request.user, evidence.attempt_id):
        raise PermissionDenied
    return _image_response(
        evidence.thumb_name or evidence.storage_name,
        f"attempt{evidence.attempt_id}-{evidence.kind}-{evidence.id}-thumb.jpg",
    )


@require_GET
@staff_only(VIEW_EVIDENCE, "proctoring.view_registeredphoto")
def registered_photo_file(request, candidate_id: int):
    photo = get_object_or_404(RegisteredPhoto, candidate_id=candidate_id)
    return _image_response(photo.storage_name, f"registered-{candidate_id}.jpg")


@require_GET
@staff_only("exams.monitor_session")
def wall_timeline(request, attempt_id: int):
    """The live wall's side panel: one candidate's latest events and evidence, as JSON."""
    attempt = get_object_or_404(
        Attempt.objects.select_related("session__batch", "registration__candidate"), pk=attempt_id
    )
    with_evidence = request.user.has_perm(VIEW_EVIDENCE) and staff_may_see_attempt(request.user, attempt_id)
    return JsonResponse(wall.wall_attempt_timeline(attempt=attempt, with_evidence=with_evidence))


def _page(request, template: str, context: dict, status: int = 200):
    return render(request, template, {**admin.site.each_context(request), **context}, status=status)


@require_GET
@staff_only(VIEW_EVIDENCE)
def review_index(request):
    sessions = (
        ExamSession.objects.select_related("batch")
        .annotate(
            attempts_count=Count("attempts", distinct=True),
            pending_voids=Count(
                "attempts__review_decisions",
                filter=Q(attempts__review_decisions__status=ReviewDecision.PENDING),
                distinct=True,
            ),
        )
        .order_by("-starts_at", "id")
    )
    return _page(request, "proctoring/review_index.html", {"title": _("监控审核"), "sessions": sessions})


@require_GET
@staff_only(VIEW_EVIDENCE)
def review_session(request, session_id: int):
    session = get_object_or_404(ExamSession.objects.select_related("batch"), pk=session_id)
    rows = selectors.session_review_queue(session_id=session.id, now=timezone.now())
    return _page(
        request,
        "proctoring/review_session.html",
        {
            "title": _("审核队列：%(session)s") % {"session": session.name},
            "session": session,
            "rows": rows,
        },
    )


@require_GET
@staff_only(VIEW_EVIDENCE)
def review_attempt(request, attempt_id: int):
    if not Attempt.objects.filter(pk=attempt_id).exists():
        raise Http404
    if not staff_may_see_attempt(request.user, attempt_id):
        raise PermissionDenied
    choices = selectors.filter_choices()
    valid = {value for value, _label in choices}
    selected = {k for k in request.GET.getlist("kind") if k in valid}
    timeline = selectors.attempt_timeline(attempt_id=attempt_id, kinds=selected or None)
    # Paged: an attempt with thousands of events must not make a page of megabytes.
    page = Paginator(timeline.items, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    page_query = "".join(f"kind={k}&" for k in sorted(selected))
    attempt = timeline.attempt
    pending = [d for d in timeline.decisions if d.status == ReviewDecision.PENDING]
    return _page(
        request,
        "proctoring/review_attempt.html",
        {
            "title": _("作答审核：%(name)s") % {"name": attempt.registration.candidate.name},
            "attempt": attempt,
            "session": attempt.session,
            "candidate": attempt.registration.candidate,
            "masked_id": idnumbers.mask(attempt.registration.candidate.id_number),
            "timeline": timeline,
            "page": page,
            "page_query": page_query,
            "filter_choices": choices,
            "selected_kinds": selected,
            "pending": pending,
            "can_decide": reviews.can_decide(request.user),
            "can_unlock": request.user.has_perm(UNLOCK),
            "decision_choices": ReviewDecision.DECISIONS,
            "voided": attempt.decision == "voided",
            "phone": selectors.phone_glances(session_id=attempt.session_id, now=timezone.now()).get(attempt.id),
            "device_check": attempt.registration.device_check or {},
            "recording": recordings.recording_review(attempt=attempt, now=timezone.now()),
            "player_strings": recordings.player_strings(),
        },
    )


def _back_to_attempt(attempt_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("proctoring:review-attempt", args=[attempt_id]))


def _report_refusal(request, error: DomainError) -> None:
    if isinstance(error, InvalidInput) and isinstance(error.errors, dict):
        for message in error.errors.values():
            messages.error(request, str(message))
    else:
        messages.error(request, error.detail)


@require_POST
@staff_only(VIEW_EVIDENCE, DECIDE)
def review_decide(request, attempt_id: int):
    get_object_or_404(Attempt.objects.only("id"), pk=attempt_id)
    try:
        row = reviews.decision_record(
            attempt_id=attempt_id,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
            reviewer=request.user,
            now=timezone.now(),
        )
    except DomainError as error:
        _report_refusal(request, error)
    else:
        if row.status == ReviewDecision.PENDING:
            messages.warning(request, _("已提出取消成绩，需另一位审核人确认后才生效。"))
        else:
            messages.success(request, _("审核结论已生效：%(d)s。") % {"d": row.get_decision_display()})
    return _back_to_attempt(attempt_id)


@require_POST
@staff_only(VIEW_EVIDENCE, DECIDE)
def review_confirm(request, attempt_id: int, decision_id: int):
    get_object_or_404(ReviewDecision.objects.only("id"), pk=decision_id, attempt_id=attempt_id)
    try:
        reviews.decision_confirm(decision_id=decision_id, confirmer=request.user, now=timezone.now())
    except DomainError as error:
        _report_refusal(request, error)
    else:
        messages.success(request, _("已确认取消成绩。"))
    return _back_to_attempt(attempt_id)


@require_POST
@staff_only(VIEW_EVIDENCE, UNLOCK)
def review_unlock(request, attempt_id: int):
    get_object_or_404(Attempt.objects.only("id"), pk=attempt_id)
    try:
        attempt_unlock(
            attempt_id=attempt_id,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            now=timezone.now(),
            source="review",
        )
    except DomainError as error:
        _report_refusal(request, error)
    else:
        messages.success(request, _("已解锁，考生可以重新登录继续作答。"))
    return _back_to_attempt(attempt_id)


@require_POST
@staff_only(VIEW_EVIDENCE)
def recording_play(request, attempt_id: int):
    """The review player starts a playback: one ``recording_played`` audit row, after which the
    attempt's chunks are served to this reviewer (``recording_chunk``)."""
    attempt = get_object_or_404(Attempt.objects.select_related("session"), pk=attempt_id)
    if not staff_may_see_attempt(request.user, attempt_id):
        raise PermissionDenied
    position = parse_datetime(request.POST.get("from", "") or "")
    try:
        row = recording.recording_playback_start(
            attempt=attempt, reviewer=request.user, now=timezone.now(),
            stream=request.POST.get("stream", RecordingChunk.COMPUTER),
            position=position if position is not None and position.tzinfo is not None else None,
        )
    except DomainError as error:
        return JsonResponse(error.as_dict(), status=error.status)
    return JsonResponse({"audit": row.id, "at": row.at.isoformat()}, status=201)


@require_GET
@staff_only(VIEW_EVIDENCE)
def recording_chunk(request, chunk_id: int):
    """One chunk of a recording, streamed from private storage to a reviewer who started a
    playback of its attempt (audited); anyone else: 403."""
    chunk = get_object_or_404(
        RecordingChunk.objects.only("id", "attempt_id", "stream", "seq", "storage_name"), pk=chunk_id
    )
    if not staff_may_see_attempt(request.user, chunk.attempt_id):
        raise PermissionDenied
    if not recording.recording_playback_open(attempt_id=chunk.attempt_id, reviewer=request.user, now=timezone.now()):
        raise PermissionDenied
    try:
        handle = evidence_storage.open(chunk.storage_name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="video/webm")
    response["Content-Disposition"] = (
        f'inline; filename="attempt{chunk.attempt_id}-{chunk.stream}-{chunk.seq}.webm"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
