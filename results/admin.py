"""The organizer's side of results in the admin: blind marking, the results console per session,
publication (a form with a required reason to override, and an admin action), exports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exams.models import Answer, Attempt, Question
from exams.paper_cache import paper_questions
from examsite.exceptions import DomainError
from results import charts, exports, selectors
from results import statistics as item_statistics
from results.models import Appeal, MarkingTask, ResultPublication, RubricChange, SessionResult
from results.selectors_marking import marking_progress
from results.selectors_statistics import session_statistics
from results.services import appeals, marking, publication, rubrics
from results.tasks import statistics_warm_soon

MARK_PERMISSION = "results.mark_answers"
PUBLISH_PERMISSION = "results.publish_results"
RUBRIC_PERMISSION = "exams.change_question"
PAGE_SIZE = 200
FLAG_TEXT = {
    item_statistics.NEGATIVE_DISCRIMINATION: gettext_lazy("区分度为负：高分考生反而答错更多，请检查标准答案和题干"),
    item_statistics.UNCHOSEN_DISTRACTOR: gettext_lazy("有干扰项无人选择"),
}


# --- marking -----------------------------------------------------------------------------


class RubricForm(forms.Form):
    rubric = forms.CharField(
        label=gettext_lazy("评分标准"), required=False, max_length=rubrics.MAX_RUBRIC,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=gettext_lazy("仅供阅卷人参考，不改变任何已给的分数；每次修改都会留下记录。分值和标准答案在考生作答后不能修改。"),
    )


class MarkForm(forms.Form):
    answer_id = forms.IntegerField(widget=forms.HiddenInput)
    points = forms.DecimalField(label=gettext_lazy("给分"), min_value=0, decimal_places=1, max_digits=6)
    comment = forms.CharField(
        label=gettext_lazy("评语（可选）"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(MarkingTask)
class MarkingAdmin(admin.ModelAdmin):
    """The list is the marking overview; each essay question opens its blind queue."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MARK_PERMISSION) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(MARK_PERMISSION) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        return [
            path("question/<int:question_id>/", self.admin_site.admin_view(self.mark_view),
                 name="results_marking_question"),
            path("question/<int:question_id>/rubric/", self.admin_site.admin_view(self.rubric_view),
                 name="results_marking_rubric"),
            *super().get_urls(),
        ]

    def rubric_view(self, request: HttpRequest, question_id: int) -> HttpResponse:
        """Edit a question's rubric at any time (audited); points and answers stay locked in the paper."""
        if not request.user.has_perm(RUBRIC_PERMISSION):
            raise PermissionDenied
        question = get_object_or_404(Question.objects.select_related("paper"), pk=question_id)
        form = RubricForm(initial={"rubric": question.rubric})
        if request.method == "POST":
            form = RubricForm(request.POST)
            if form.is_valid():
                try:
                    change = rubrics.rubric_update(question_id=question.pk, rubric=form.cleaned_data["rubric"],
                                                   actor=request.user, now=timezone.now())
                except DomainError as refusal:
                    messages.error(request, refusal.detail)
                else:
                    saved = _("评分标准已保存（已记录修改）。") if change else _("评分标准没有变化。")
                    messages.success(request, saved)
                    return redirect("admin:results_marking_rubric", question_id=question.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("评分标准：第 %(n)s 题") % {"n": question.position},
            "question": question,
            "form": form,
            "changes": RubricChange.objects.filter(question=question).select_related("changed_by")[:50],
        }
        return render(request, "results/admin/rubric.html", context)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        marking.marking_tasks_ensure_unpublished()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("阅卷"),
            "progress": marking_progress(marker_id=request.user.pk),
            "may_mark": request.user.has_perm(MARK_PERMISSION),
            "may_edit_rubric": request.user.has_perm(RUBRIC_PERMISSION),
        }
        return render(request, "results/admin/marking_overview.html", context)

    def mark_view(self, request: HttpRequest, question_id: int) -> HttpResponse:
        if not request.user.has_perm(MARK_PERMISSION):
            raise PermissionDenied
        question = get_object_or_404(
            Question.objects.select_related("paper"), pk=question_id, kind__in=marking.MARKED_KINDS
        )
        now = timezone.now()
        form = MarkForm()
        if request.method == "POST":
            form = MarkForm(request.POST)
            if form.is_valid():
                try:
                    marking.mark_give(
                        answer_id=form.cleaned_data["answer_id"], marker=request.user,
                        points=form.cleaned_data["points"], comment=form.cleaned_data["comment"], now=now,
                    )
                except DomainError as refusal:
                    messages.error(request, refusal.detail)
                else:
                    messages.success(request, _("已保存给分。下一份答案如下。"))
                    return redirect("admin:results_marking_question", question_id=question_id)
        task = marking.marking_next(question_id=question_id, marker=request.user, now=now)
        if task is not None and request.method != "POST":
            form = MarkForm(initial={"answer_id": task.answer_id})
        if task is not None:
            form.fields["points"].max_value = question.points
            form.fields["points"].widget.attrs.update({"max": str(question.points), "step": "0.5", "min": "0"})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("评阅：第 %(n)s 题") % {"n": question.position},
            "question": question,
            "task": task,
            "form": form,
            "accepted": question.correct if question.kind == Question.FILL_IN else None,
            "may_edit_rubric": request.user.has_perm(RUBRIC_PERMISSION),
        }
        return render(request, "results/admin/mark.html", context)


# --- results console ---------------------------------------------------------------------


class PublishForm(forms.Form):
    at = forms.DateTimeField(
        label=gettext_lazy("公布时间（留空为立即公布）"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    override_reason = forms.CharField(
        label=gettext_lazy("强制发布原因（仍有未完成事项时必填）"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(label=gettext_lazy("我已核对成绩，确认发布"), required=True)


SORTS = {
    "name": lambda r: r.name, "state": lambda r: r.state, "total": lambda r: (r.total is None, r.total or 0),
    "ticket": lambda r: r.admission_ticket, "finished": lambda r: (r.finished_at is None, r.finished_at or 0),
    "waiting": lambda r: r.essays_waiting,
}


def _filtered(rows: list[selectors.ResultRow], request: HttpRequest) -> list[selectors.ResultRow]:
    state = request.GET.get("state", "")
    passed = request.GET.get("passed", "")
    decision = request.GET.get("decision", "")
    q = request.GET.get("q", "").strip().upper()
    if state:
        rows = [r for r in rows if r.state == state]
    if passed in ("yes", "no", "unknown"):
        want = {"yes": True, "no": False, "unknown": None}[passed]
        rows = [r for r in rows if r.passed is want]
    if decision == "pending":
        rows = [r for r in rows if r.pending_void]
    elif decision:
        rows = [r for r in rows if r.decision == ("" if decision == "none" else decision)]
    if q:
        rows = [r for r in rows if q in r.name.upper() or q in r.id_number or q in r.admission_ticket.upper()]
    order = request.GET.get("o", "ticket")
    key = SORTS.get(order.lstrip("-"), SORTS["ticket"])
    return sorted(rows, key=key, reverse=order.startswith("-"))


@admin.register(SessionResult)
class SessionResultAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "starts_at", "batch", "publication_status", "console_link")
    list_filter = ("kind", "batch")
    search_fields = ("name", "subject")
    list_select_related = ("batch",)
    actions = ["publish_results"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("成绩发布"))
    def publication_status(self, obj: SessionResult) -> str:
        latest = selectors.publication_of(session_id=obj.pk)
        if latest is None:
            return _("未发布")
        return _("%(when)s 公布") % {"when": timezone.localtime(latest.publishes_at).strftime("%Y-%m-%d %H:%M")}

    @admin.display(description=gettext_lazy("成绩"))
    def console_link(self, obj: SessionResult) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:results_sessionresult_change", args=[obj.pk]),
                           _("查看成绩"))

    @admin.action(description=gettext_lazy("发布所选场次的成绩（需全部阅卷和审核完成）"), permissions=["publish"])
    def publish_results(self, request: HttpRequest, queryset: Any) -> None:
        now = timezone.now()
        for session in queryset:
            try:
                publication.results_publish(session_id=session.pk, actor=request.user, now=now)
            except DomainError as refusal:
                messages.error(request, f"{session.name}：{refusal.detail}")
            else:
                messages.success(request, _("%(name)s：成绩已发布。") % {"name": session.name})

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PUBLISH_PERMISSION)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:session_id>/export/<str:kind>/", view(self.export_view), name="results_sessionresult_export"),
            path("<int:session_id>/statistics/", view(self.statistics_view), name="results_sessionresult_statistics"),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, session_id: int, kind: str) -> Any:
        if not self.has_view_permission(request) or not request.user.has_perm("results.view_markingtask"):
            raise PermissionDenied
        session = get_object_or_404(SessionResult.objects.select_related("batch", "paper"), pk=session_id)
        if kind == "xlsx":
            return exports.results_xlsx_response(session=session)
        return exports.results_csv_response(session=session)

    def statistics_view(self, request: HttpRequest, session_id: int) -> HttpResponse:
        if not self.has_view_permission(request) or not request.user.has_perm("results.view_markingtask"):
            raise PermissionDenied
        session = get_object_or_404(SessionResult.objects.select_related("batch", "paper"), pk=session_id)
        stats = session_statistics(session=session)
        questions = {q["id"]: q for q in paper_questions(session.paper_id)}
        items = [
            {
                "item": item,
                "facility": None if item.facility is None else f"{item.facility:.2f}",
                "discrimination": None if item.discrimination is None else f"{item.discrimination:.2f}",
                "flags": [FLAG_TEXT[flag] for flag in item.flags],
                "choices": [
                    (key, n, key in right) for right in [item_statistics.right_keys(questions[item.question_id])]
                    for key, n in item.choices.items()
                ] if item.choices else [],
            }
            for item in stats.items
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("试题统计：%(name)s") % {"name": session.name},
            "session": session,
            "stats": stats,
            "items": items,
            **charts.session_charts(session_id=session.pk, stats=stats),
        }
        return render(request, "results/admin/statistics.html", context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        session = get_object_or_404(SessionResult.objects.select_related("batch", "paper"), pk=object_id)
        may_publish = request.user.has_perm(PUBLISH_PERMISSION)
        form = PublishForm()
        if request.method == "POST":
            if not may_publish:
                raise PermissionDenied
            form = PublishForm(request.POST)
            if form.is_valid():
                try:
                    publication.results_publish(
                        session_id=session.pk, actor=request.user, now=timezone.now(),
                        at=form.cleaned_data["at"], override_reason=form.cleaned_data["override_reason"],
                    )
                except DomainError as refusal:
                    messages.error(request, refusal.detail)
                else:
                    messages.success(request, _("成绩已发布。"))
                    return redirect("admin:results_sessionresult_change", object_id=session.pk)
        statistics_warm_soon(session_id=session.pk)  # the statistics page is usually next
        rows = list(selectors.session_result_rows(session=session))
        summary = selectors.summary_of(rows)
        shown = _filtered(rows, request)
        page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("p"))
        query = request.GET.copy()
        query.pop("p", None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("成绩：%(name)s") % {"name": session.name},
            "session": session,
            "summary": summary,
            "states": [(value, label, summary.by_state.get(value, 0)) for value, label in Attempt.STATES],
            "rows": page,
            "shown": len(shown),
            "query": query.urlencode(),
            "filters": request.GET,
            "publication": selectors.publication_of(session_id=session.pk),
            "missing": publication.missing_text(selectors.results_missing(session=session)),
            "form": form,
            "may_publish": may_publish,
            "pass_rate_percent": (summary.pass_rate * 100).quantize(Decimal("0.1")) if summary.pass_rate is not None
            else None,
        }
        return render(request, "results/admin/console.html", context)


@admin.register(ResultPublication)
class ResultPublicationAdmin(admin.ModelAdmin):
    """The history of publications: read-only."""

    list_display = ("session", "publishes_at", "published_by", "override_reason", "appeal", "at")
    list_select_related = ("session", "published_by", "appeal")
    readonly_fields = ("session", "publishes_at", "published_by", "override_reason", "missing", "appeal", "at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- appeals -----------------------------------------------------------------------------


class RemarkForm(forms.Form):
    question_id = forms.IntegerField(widget=forms.HiddenInput)
    points = forms.DecimalField(label=gettext_lazy("复核给分"), min_value=0, decimal_places=1, max_digits=6)
    comment = forms.CharField(label=gettext_lazy("复核意见"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    outcome = forms.CharField(label=gettext_lazy("复核结果（考生可见，必填）"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    """The appeal queue. Blind like marking: it shows no candidate, only the session and questions."""

    list_display = ("id", "session_name", "question_list", "status", "created_at", "resolved_at")
    list_filter = ("status",)
    list_select_related = ("attempt__session",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("场次"))
    def session_name(self, obj: Appeal) -> str:
        return obj.attempt.session.name

    @admin.display(description=gettext_lazy("申请复核的试题"))
    def question_list(self, obj: Appeal) -> str:
        return ", ".join(str(q) for q in obj.questions)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        appeal = get_object_or_404(Appeal.objects.select_related("attempt__session"), pk=object_id)
        may_mark = request.user.has_perm(MARK_PERMISSION)
        may_resolve = self.has_change_permission(request, appeal)
        now = timezone.now()
        resolve_form = ResolveForm()
        if request.method == "POST":
            try:
                if request.POST.get("do") == "remark" and may_mark:
                    form = RemarkForm(request.POST)
                    if form.is_valid():
                        appeals.appeal_remark(
                            appeal=appeal, question_id=form.cleaned_data["question_id"], marker=request.user,
                            points=form.cleaned_data["points"], comment=form.cleaned_data["comment"], now=now,
                        )
                        messages.success(request, _("已保存复核给分，成绩已更新。"))
                        return redirect("admin:results_appeal_change", object_id=appeal.pk)
                elif request.POST.get("do") == "resolve" and may_resolve:
                    resolve_form = ResolveForm(request.POST)
                    if resolve_form.is_valid():
                        appeals.appeal_resolve(appeal_id=appeal.pk, actor=request.user,
                                               outcome=resolve_form.cleaned_data["outcome"], now=now)
                        messages.success(request, _("复核已处理，考生可在成绩查询页面看到结果。"))
                        return redirect("admin:results_appeal_change", object_id=appeal.pk)
                else:
                    raise PermissionDenied
            except DomainError as refusal:
                messages.error(request, refusal.detail)
        marking.marking_tasks_ensure_for(attempt_id=appeal.attempt_id)
        questions = {q.pk: q for q in Question.objects.filter(pk__in=appeal.questions)}
        answers = {
            a.question_id: a
            for a in Answer.objects.filter(attempt_id=appeal.attempt_id, question_id__in=appeal.questions)
            .select_related("marking")
        }
        items = []
        for question_id in appeal.questions:
            question = questions.get(question_id)
            if question is None:
                continue
            answer = answers.get(question_id)
            task = getattr(answer, "marking", None) if answer else None
            items.append({
                "question": question,
                "answer": answer,
                "final_points": task.final_points if task and may_resolve else None,
                "form": RemarkForm(initial={"question_id": question_id})
                if may_mark and task is not None and appeal.status == Appeal.OPEN else None,
            })
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("成绩复核 #%(n)s") % {"n": appeal.pk},
            "appeal": appeal,
            "items": items,
            "resolve_form": resolve_form if may_resolve and appeal.status == Appeal.OPEN else None,
        }
        return render(request, "results/admin/appeal.html", context)
