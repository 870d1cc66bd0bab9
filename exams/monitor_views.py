"""The organizer's live monitor page (实时监控); it updates over /ws/monitor/<id>/."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from exams.models import ExamSession
from exams.selectors.monitor import BUCKETS, attempts_needing_action, session_counts, staff_can_monitor

BUCKET_LABELS = {
    "not_logged_in": "未登录",
    "checked_in": "已登录",
    "answering": "作答中",
    "submitted": "已交卷",
    "collected": "已收卷",
    "late_absent": "迟到/缺考",
    "locked": "已锁定",
}


@login_required(login_url="admin:login")
def session_monitor(request, session_id: int):
    session = get_object_or_404(ExamSession.objects.select_related("batch"), pk=session_id)
    if not staff_can_monitor(request.user, session.id):
        raise PermissionDenied
    counts = session_counts(session.id)
    context = {
        **admin.site.each_context(request),
        "title": f"实时监控 · {session.name}",
        "session": session,
        "buckets": [(name, BUCKET_LABELS[name], counts[name]) for name in BUCKETS],
        "total": counts["total"],
        "needing_action": attempts_needing_action(session.id),
    }
    return render(request, "exams/monitor/session.html", context)
