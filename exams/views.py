"""Public pages of the exams app."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from exams.selectors import notice as selectors


@require_safe
@never_cache  # a formal password appears at its publication instant, not a cache lifetime later
def notice(request: HttpRequest, batch: str) -> HttpResponse:
    """The batch's public notice: task table, rules from the session fields (support adds its hours)."""
    exam_batch = selectors.notice_batch(slug=batch)
    if exam_batch is None:
        raise Http404("unknown batch")
    now = timezone.now()
    return render(
        request,
        "exams/notice.html",
        {
            "batch": exam_batch,
            "rows": selectors.notice_rows(batch=exam_batch, now=now),
            "rule_groups": selectors.notice_rules(batch=exam_batch),
        },
    )
