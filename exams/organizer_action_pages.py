"""Organizer actions on a live attempt or session: extra time, unlock, messages, and the
recovery actions (re-admit, reopen, accept late answers, import a backup file, a session-wide
time credit).

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
from exams import statuses
from exams.models import Attempt, ExamSession
from exams.selectors.attempts import attempt_status, late_answers
from exams.services import answering, backups, organizer, recovery
from exams.services import late_answers as late_answer_service
from examsite.exceptions import DomainError, InvalidInput


class ExtraTimeForm(forms.Form):
    minutes = forms.IntegerField(label=_("延长分钟"), min_value=1, max_value=organizer.MAX_EXTRA_MINUTES)
    reason = forms.CharField(label=_("原因（必填）"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class UnlockForm(forms.Form):
    reason = forms.CharField(label=_("解锁原因（必填）"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class MessageForm(forms.Form):
    text = forms.CharField(label=_("消息内容"), max_length=organizer.MAX_MESSAGE,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ReadmitForm(forms.Form):
    reason = forms.CharField(label=_("补录原因（必填）"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    minutes = forms.IntegerField(
        label=_("可作答分钟数（考试已结束时必填）"), min_value=1, max_value=organizer.MAX_EXTRA_MINUTES, required=False,
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("重开原因（必填）"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    minutes = forms.IntegerField(label=_("从现在起可作答分钟数"), min_value=1, max_value=organizer.MAX_EXTRA_MINUTES)


class AcceptLateForm(forms.Form):
    reason = forms.CharField(label=_("采纳原因（必填）"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class BackupForm(forms.Form):
    file = forms.FileField(label=_("考生的作答备份文件（.json）"))


class SessionExtraTimeForm(ExtraTimeForm):
    pass


ACTIONS = {
    "extra_time": ("exams.grant_extra_time", ExtraTimeForm),
    "unlock": ("exams.unlock_attempt", UnlockForm),
    "message": ("exams.message_attempt", MessageForm),
    "readmit": ("exams.recover_attempt", ReadmitForm),
    "reopen": ("exams.recover_attempt", ReopenForm),
    "accept_late": ("exams.recover_attempt", AcceptLateForm),
    "backup": ("exams.recover_attempt", BackupForm),
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
        form = form_class(request.POST, request.FILES)
        forms_by_action[action] = form
        if form.is_valid():
            try:
                done = _run(action, attempt, form.cleaned_data, request.user, now)
            except (InvalidInput, DomainError) as error:
                form.add_error(None, error.detail)
            else:
                messages.success(request, done or _("已执行并记录。"))
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
        "late_answers": late_answers(attempt_id=attempt.id),
        "late_pending": attempt.late_answers.filter(applied_at__isnull=True).count(),
        "can_readmit": statuses.organizer_target(statuses.READMIT, attempt.state) is not None,
        "can_reopen": statuses.organizer_target(statuses.REOPEN, attempt.state) is not None,
    }
    return render(request, "exams/monitor/attempt_actions.html", context)


def _run(action: str, attempt: Attempt, data: dict, actor, now) -> str | None:
    """Run one action; what to tell the organizer, when more than "done"."""
    if action == "readmit":
        recovery.attempt_readmit(attempt_id=attempt.id, reason=data["reason"], minutes=data.get("minutes"),
                                 actor=actor, now=now)
    elif action == "reopen":
        recovery.attempt_reopen(attempt_id=attempt.id, reason=data["reason"], minutes=data["minutes"],
                                actor=actor, now=now)
    elif action == "accept_late":
        applied, receipt = late_answer_service.late_answers_accept(
            attempt_id=attempt.id, reason=data["reason"], actor=actor, now=now
        )
        return _("已采纳 %(n)d 条截止后答案，新的回执：%(receipt)s") % {"n": applied, "receipt": receipt or "—"}
    elif action == "backup":
        counts = backups.backup_import(attempt_id=attempt.id, raw=data["file"].read(), actor=actor, now=now)
        return _(
            "备份已导入：共 %(entries)d 条，%(stored)d 条存为截止后答案待采纳，"
            "%(after)d 条按考生电脑校正后的时间晚于截止时间未导入，%(dup)d 条此前已导入。"
        ) % {"entries": counts["entries"], "stored": counts["stored"], "after": counts["after_deadline"],
             "dup": counts["duplicates"]}
    elif action == "extra_time":
        organizer.attempt_grant_extra_minutes(
            attempt_id=attempt.id, minutes=data["minutes"], reason=data["reason"], actor=actor, now=now
        )
    elif action == "unlock":
        answering.attempt_unlock(attempt_id=attempt.id, actor=actor, reason=data["reason"], now=now,
                                 source="organizer")
    else:
        organizer.attempt_send_message(attempt_id=attempt.id, text=data["text"], actor=actor, now=now,
                                       source="organizer")
    return None


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


@require_POST
@login_required(login_url="admin:login")
def session_extra_time(request, session_id: int):
    """The monitor's session-wide time credit (all candidates answering now)."""
    _staff(request)
    if not request.user.has_perm("exams.grant_extra_time"):
        raise PermissionDenied
    session = get_object_or_404(ExamSession, pk=session_id)
    form = SessionExtraTimeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写 1 到 %(max)d 分钟和原因。") % {"max": organizer.MAX_EXTRA_MINUTES})
        return redirect("session-monitor", session_id=session.id)
    try:
        ids = recovery.session_grant_extra_minutes(
            session_id=session.id, minutes=form.cleaned_data["minutes"], reason=form.cleaned_data["reason"],
            actor=request.user, now=timezone.now(),
        )
    except (InvalidInput, DomainError) as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("已为 %(count)d 位正在考试的考生延长 %(minutes)d 分钟。")
                         % {"count": len(ids), "minutes": form.cleaned_data["minutes"]})
    return redirect("session-monitor", session_id=session.id)
