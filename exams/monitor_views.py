"""The organizer's live monitor page (实时监控); it updates over /ws/monitor/<id>/."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exams import statuses
from exams.models import ExamSession
from exams.selectors.monitor import (
    BUCKETS,
    attempts_needing_action,
    monitor_wall,
    session_counts,
    staff_can_monitor,
)

BUCKET_LABELS = {
    "not_logged_in": _("未登录"),
    "checked_in": _("已登录"),
    "answering": _("作答中"),
    "submitted": _("已交卷"),
    "collected": _("已收卷"),
    "late_absent": _("迟到/缺考"),
    "locked": _("已锁定"),
}

STATE_LABELS = {
    statuses.REGISTERED: _("未登录"),
    statuses.CHECKED_IN: _("已登录"),
    statuses.IN_PROGRESS: _("作答中"),
    statuses.SUBMITTED: _("已交卷"),
    statuses.COLLECTED: _("已收卷"),
    statuses.LATE: _("迟到"),
    statuses.ABSENT: _("缺考"),
}


@login_required(login_url="admin:login")
def session_monitor(request, session_id: int):
    session = get_object_or_404(ExamSession.objects.select_related("batch"), pk=session_id)
    if not staff_can_monitor(request.user, session.id):
        raise PermissionDenied
    counts = session_counts(session.id)
    wall = monitor_wall(session=session, now=timezone.now())
    user = request.user
    context = {
        **admin.site.each_context(request),
        "title": _("实时监控 · %(name)s") % {"name": session.name},
        "session": session,
        "buckets": [(name, BUCKET_LABELS[name], counts[name]) for name in BUCKETS],
        "total": counts["total"],
        "needing_action": attempts_needing_action(session.id),
        "feed": wall.extras.get("feed", []),
        "wall_data": {
            "tiles": wall.tiles,
            "alert_labels": wall.extras.get("alert_labels", {}),
            "step_labels": wall.extras.get("step_labels", {}),
            "phone_labels": wall.extras.get("phone_labels", {}),
            "state_labels": STATE_LABELS,
            "can": {
                "message": user.has_perm("exams.message_attempt"),
                "extra_time": user.has_perm("exams.grant_extra_time"),
                "unlock": user.has_perm("exams.unlock_attempt"),
                "recover": user.has_perm("exams.recover_attempt"),
                "evidence": user.has_perm("proctoring.view_evidence"),
            },
        },
    }
    return render(request, "exams/monitor/session.html", context)
