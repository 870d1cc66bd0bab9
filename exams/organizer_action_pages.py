"""Organizer actions on a live attempt or session: extra time, unlock, messages.

Staff pages in the admin's look; each POST calls one service, which audits the action and
pushes it to the candidate's page after commit.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from candidates import idnumbers
from exams.models import Attempt, ExamSession
from exams.selectors.attempts import attempt_status
from exams.services import answering, organizer
from examsite.exceptions import DomainError, InvalidInput


class ExtraTimeForm(forms.Form):
    minutes = forms.IntegerField(label=_("延长分钟"), min_value=1, max_value=organizer.MAX_EXTRA_MINUTES)
    reason = forms.CharField(label=_("原因（必填）"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class UnlockForm(forms.Form):
    reason = forms.CharField(label=_("解锁原因（必填）"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class MessageForm(forms.Form):
    text = forms.CharField(label=_("消息内容"), max_length=organizer.MAX_MESSAGE,
                           widget=forms.Textarea(attrs={"rows": 2}))


ACTIONS = {
    "extra_time": ("exams.grant_extra_time", ExtraTimeForm),
    "unlock": ("exams.unlock_attempt", UnlockForm),
    "message": ("exams.message_attempt", MessageForm),
}


def _staff(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied


@login_required(login_url="admin:login")
def attempt_actions(request, attempt_id: int):
    _staff(request)
    if not request.user.has_perm("exams.view_attempt"):
        raise PermissionDenied
    attempt = get_object_or_404(
        Attempt.objects.select_related("session__batch", "registration__candidate"), pk=attempt_id
    )
    now = timezone.now()
    forms_by_action = {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ACTIONS:
            raise PermissionDenied
        perm, form_class = ACTIONS[action]
        if not request.user.has_perm(perm):
            raise PermissionDenied
        form = form_class(request.POST)
        forms_by_action[action] = form
        if form.is_valid():
            try:
                _run(action, attempt, form.cleaned_data, request.user, now)
            except (InvalidInput, DomainError) as error:
                form.add_error(None, error.detail)
            else:
                messages.success(request, _("已执行并记录。"))
                return redirect("attempt-actions", attempt_id=attempt.id)
    allowed = {name: request.user.has_perm(perm) for name, (perm, _form) in ACTIONS.items()}
    for name, (_perm, form_class) in ACTIONS.items():
        forms_by_action.setdefault(name, form_class())
    candidate = attempt.registration.candidate
    context = {
        **admin.site.each_context(request),
        "title": _("作答操作"),
        "attempt": attempt,
        "candidate_name": candidate.name,
        "id_masked": idnumbers.mask(candidate.id_number),
        "status": attempt_status(attempt=attempt, now=now),
        "forms": forms_by_action,
        "allowed": allowed,
        "audit": attempt.audit.select_related("actor").order_by("-at")[:30],
    }
    return render(request, "exams/monitor/attempt_actions.html", context)


def _run(action: str, attempt: Attempt, data: dict, actor, now) -> None:
    if action == "extra_time":
        organizer.attempt_grant_extra_minutes(
            attempt_id=attempt.id, minutes=data["minutes"], reason=data["reason"], actor=actor, now=now
        )
    elif action == "unlock":
        answering.attempt_unlock(attempt_id=attempt.id, actor=actor, reason=data["reason"], now=now,
                                 source="organizer")
    else:
        organizer.attempt_send_message(attempt_id=attempt.id, text=data["text"], actor=actor, now=now,
                                       source="organizer")


@require_POST
@login_required(login_url="admin:login")
def session_message(request, session_id: int):
    _staff(request)
    if not request.user.has_perm("exams.message_attempt"):
        raise PermissionDenied
    session = get_object_or_404(ExamSession, pk=session_id)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            count = organizer.session_send_message(
                session_id=session.id, text=form.cleaned_data["text"], actor=request.user, now=timezone.now()
            )
        except InvalidInput as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, _("消息已发送给 %(count)d 位正在考试的考生。") % {"count": count})
    else:
        messages.error(request, _("消息内容不能为空。"))
    return redirect("session-monitor", session_id=session.id)
