"""The candidate's result page (/results/) and the public receipt check (/receipt/).

Plain forms posted to the page itself (they work without scripts); each calls the same service
as its API (``POST /api/v1/candidate/result/``, ``GET /api/v1/receipts/<code>/``) behind the same
throttle, and shows every refusal with what to do next.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from exams.services import login_throttle
from examsite.exceptions import DomainError
from results import selectors
from results.exceptions import NoResult
from results.services import appeals, publication


def _local(instant: Any, tz: Any = None) -> str:
    return timezone.localtime(instant, tz).strftime("%Y-%m-%d %H:%M") if instant else ""


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@csrf_protect
def results_page(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"form": {}}
    if request.method == "POST":
        form = {name: request.POST.get(name, "").strip() for name in ("password", "id_number", "admission_ticket")}
        context["form"] = form
        if not form["password"] or not form["id_number"]:
            context["error"] = _("请填写考试口令和证件号。")
        else:
            try:
                _show_result(request, form, context)
            except DomainError as refusal:
                context["error"] = refusal.detail
    return render(request, "results/results.html", context)


def _show_result(request: HttpRequest, form: dict[str, str], context: dict[str, Any]) -> None:
    now = timezone.now()
    guard = login_throttle.login_guard(request=request, password=form["password"], id_number=form["id_number"])
    try:
        attempt = publication.attempt_for_credentials(
            password=form["password"], id_number=form["id_number"].upper(), admission_ticket=form["admission_ticket"]
        )
    except NoResult:
        login_throttle.login_failed(guard=guard, code="not_registered")
        raise
    if request.POST.get("do") == "appeal":
        try:
            questions = [int(q) for q in request.POST.getlist("questions")]
            appeals.appeal_create(attempt=attempt, questions=questions, reason=request.POST.get("reason", ""), now=now)
            context["appeal_sent"] = True
        except (ValueError, DomainError) as refusal:
            context["appeal_error"] = getattr(refusal, "detail", _("请选择需要复核的试题。"))
    result = publication.result_for_attempt(attempt=attempt, now=now)
    context["result"] = result
    context["publishes_at_text"] = _local(result.publishes_at)
    context["appeal"] = appeals.latest_appeal(attempt_id=attempt.pk)
    closes = appeals.appeal_closes_at(attempt=attempt, now=now)
    if result.published and closes is not None and now <= closes and (
        context["appeal"] is None or context["appeal"].status != "open"
    ):
        context["appeal_closes_text"] = _local(closes)
        context["questions"] = list(attempt.session.paper.questions.order_by("position", "id")) if (
            attempt.session.paper_id
        ) else []


@require_http_methods(["GET", "HEAD"])
@never_cache
def receipt_page(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "").strip()
    context: dict[str, Any] = {"code": code}
    if code:
        try:
            login_throttle.entry_guard(request=request)
            attempt = selectors.receipt_lookup(code=code)
            context["checked"] = True
            if attempt is not None:
                context["session_name"] = attempt.session.name
                context["finished_at_text"] = _local(attempt.finished_at, attempt.session.batch.tz)
        except DomainError as refusal:
            context["error"] = refusal.detail
    return render(request, "results/receipt.html", context)
