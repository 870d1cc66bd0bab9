"""Organizer console (Django admin) for batches, sessions and papers.

Writes go through the services: sessions through ``session_save``, batches through
``batch_create``/``batch_update``, papers with their questions through ``paper_create``/
``paper_update``. Attempts are evidence: read-only, in ``exams.admin.attempts``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exams import rules, statuses
from exams.admin_forms import ExamSessionForm, QuestionForm, QuestionFormSet, SessionInlineFormSet
from exams.models import ExamBatch, ExamSession, Paper, Question
from exams.services.batch_edit import EDITABLE as BATCH_FIELDS
from exams.services.batch_edit import batch_create, batch_update
from exams.services.papers import paper_create, paper_update
from exams.services.sessions import session_regenerate_password, session_save, session_window_ended
from examsite.admin_base import (
    LabelledFormMixin,
    LabelledInlineMixin,
    ServiceRefusalMixin,
    ZoneChangeFormMixin,
    request_now,
)

# --- sessions ---------------------------------------------------------------------------


def warn_if_window_ended(request, session: ExamSession, now) -> None:
    """Saved all the same (a session for the record, a rehearsal of the import): but say so."""
    if session_window_ended(session=session, now=now):
        ends = timezone.localtime(session.ends_at, session.batch.tz).strftime("%Y-%m-%d %H:%M")
        messages.warning(request, gettext(
            "场次“%(name)s”的结束时间（%(ends)s）已经过去：考生无法登录这个场次。如非有意，请修改开考和结束时间。"
        ) % {"name": session.name, "ends": ends})


def _zone_of(model, object_id, path: str) -> str | None:
    """The time zone of the batch an object (a batch, a session) belongs to."""
    if object_id is None or not str(object_id).isdigit():
        return None
    return model.objects.filter(pk=int(object_id)).values_list(path, flat=True).first()


class ExamSessionInline(LabelledInlineMixin, admin.TabularInline):
    model = ExamSession
    form = ExamSessionForm
    formset = SessionInlineFormSet
    # The minimum answering time is here too: a one-hour mock needs it shorter than the kind's default
    # of 60 minutes (a session nobody could submit is refused).
    fields = ("kind", "name", "password", "starts_at", "ends_at", "min_answer_time", "paper")
    extra = 0
    can_delete = False  # deleted from the session's own page, where protections are listed
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.now = request_now(request)
        return formset


KIND_DEFAULTS_HELP = _(
    "新增场次时，未改动的规则字段按场次类型取默认值：设备调试不限迟到、不设最短答题时长、"
    "不锁屏；集中模拟测试与正式考试开考 30 分钟后视为迟到、开考 60 分钟后可交卷、离屏 5 次锁定。"
)


@admin.register(ExamSession)
class ExamSessionAdmin(ZoneChangeFormMixin, LabelledFormMixin, ServiceRefusalMixin, admin.ModelAdmin):
    form = ExamSessionForm
    list_display = (
        "id", "name", "batch", "kind", "password", "starts_at", "ends_at",
        "registered_count", "started_count", "finished_count", "live_links",
    )
    list_display_links = ("id", "name")
    list_filter = ("kind", "batch")
    list_select_related = ("batch",)
    search_fields = ("name", "password", "subject", "batch__name")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("batch", "paper")
    readonly_fields = ("password_announced_at", "expired_at", "created_at")
    actions = ["regenerate_passwords"]
    fieldsets = (
        (None, {"fields": ("batch", "kind", "name", "subject", "paper")}),
        (_("时间与口令"), {"fields": ("starts_at", "ends_at", "password", "password_published_at")}),
        (_("考试规则"), {
            "description": KIND_DEFAULTS_HELP,
            "fields": (
                "login_opens_before", "late_after", "min_answer_time", "exam_day_gate",
                "max_screen_leaves", "lock_screen", "requires_login_photo", "requires_phone_monitor",
                "requires_scratch_paper",
                "snapshot_interval_seconds", "recording",
            ),
        }),
        (_("系统记录"), {
            "classes": ("collapse",),
            "fields": ("password_announced_at", "expired_at", "created_at"),
        }),
    )

    class Media:
        css = {"all": ["css/admin-forms.css"]}

    def object_zone(self, object_id) -> str | None:
        return _zone_of(ExamSession, object_id, "batch__time_zone")

    @admin.display(description=_("监控与审核"))
    def live_links(self, obj: ExamSession):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("session-monitor", args=[obj.pk]), _("实时监控"),
            f"/proctoring/review/session/{obj.pk}/", _("审核队列"),
        )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            n_registered=Count("attempts"),
            n_started=Count("attempts", filter=Q(attempts__state__in=statuses.OPEN + statuses.FINISHED)),
            n_finished=Count("attempts", filter=Q(attempts__state__in=statuses.FINISHED)),
        )

    @admin.display(description=_("报名"), ordering="n_registered")
    def registered_count(self, obj: ExamSession) -> int:
        return obj.n_registered  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description=_("已登录"), ordering="n_started")
    def started_count(self, obj: ExamSession) -> int:
        return obj.n_started  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description=_("已交卷/收卷"), ordering="n_finished")
    def finished_count(self, obj: ExamSession) -> int:
        return obj.n_finished  # type: ignore[attr-defined]  # annotated by get_queryset

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.now = request_now(request)
        return form

    def save_model(self, request, obj, form, change):
        now = request_now(request)
        session_save(session=obj, now=now)
        if not change:
            warn_if_window_ended(request, obj, now)

    @admin.action(description=_("重新生成考试口令"), permissions=["change"])
    def regenerate_passwords(self, request, queryset):
        now = request_now(request)
        lines, announced = [], []
        for session in queryset.select_related("batch").order_by("starts_at", "id"):
            was_public = now < session.ends_at and rules.is_password_published(session.rules(), now)
            password = session_regenerate_password(session=session, now=now)
            lines.append(f"{session.name}：{password}")
            if was_public:
                announced.append(session.name)
        self.message_user(
            request, gettext("已重新生成考试口令：%(list)s") % {"list": "；".join(lines)}, messages.SUCCESS
        )
        if announced:
            self.message_user(
                request,
                gettext("以下场次的旧口令已公布，请重新通知考生：%(list)s") % {"list": "、".join(announced)},
                messages.WARNING,
            )


# --- batches ----------------------------------------------------------------------------


@admin.register(ExamBatch)
class ExamBatchAdmin(ZoneChangeFormMixin, LabelledFormMixin, ServiceRefusalMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "time_zone", "session_count", "created_at")
    search_fields = ("name", "slug")
    fields = (
        "name", "slug", "time_zone", "notice", "evidence_retention_until",
        "login_requires_admission_ticket",
    )
    inlines = [ExamSessionInline]

    class Media:
        css = {"all": ["css/admin-forms.css"]}

    def object_zone(self, object_id) -> str | None:
        return _zone_of(ExamBatch, object_id, "time_zone")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_sessions=Count("sessions"))

    @admin.display(description=_("场次数"), ordering="n_sessions")
    def session_count(self, obj: ExamBatch) -> int:
        return obj.n_sessions  # type: ignore[attr-defined]  # annotated by get_queryset

    def save_model(self, request, obj, form, change):
        values = {name: getattr(obj, name) for name in BATCH_FIELDS}
        saved = batch_update(batch=obj, **values) if change else batch_create(**values)
        obj.pk, obj.created_at = saved.pk, saved.created_at
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        if formset.model is not ExamSession:
            return super().save_formset(request, form, formset, change)
        now = request_now(request)
        for session in formset.save(commit=False):
            is_new = session.pk is None
            session_save(session=session, now=now)
            if is_new:
                warn_if_window_ended(request, session, now)
        return None


# --- papers -----------------------------------------------------------------------------


class QuestionInline(LabelledInlineMixin, admin.StackedInline):
    model = Question
    form = QuestionForm
    formset = QuestionFormSet
    fields = (("position", "kind", "points"), "text", ("choices", "correct"), "rubric")
    extra = 1
    ordering = ("position", "id")


@admin.register(Paper)
class PaperAdmin(ServiceRefusalMixin, admin.ModelAdmin):
    list_display = ("name", "subject", "batch", "question_count", "points_total")
    list_filter = ("batch",)
    list_select_related = ("batch",)
    search_fields = ("name", "subject")
    fields = ("batch", "name", "subject", "pass_mark", ("marking", "marking_tolerance"))
    inlines = [QuestionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            n_questions=Count("questions"), points_sum=Sum("questions__points")
        )

    @admin.display(description=_("题数"), ordering="n_questions")
    def question_count(self, obj: Paper) -> int:
        return obj.n_questions  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description=_("总分"), ordering="points_sum")
    def points_total(self, obj: Paper):
        return obj.points_sum or 0  # type: ignore[attr-defined]  # annotated by get_queryset

    def save_model(self, request, obj, form, change):
        """The paper is written with its questions in ``save_related``, all or nothing."""

    def save_related(self, request, form, formsets, change):
        questions_formset = next((fs for fs in formsets if fs.model is Question), None)
        kept = questions_formset.kept_forms() if questions_formset else []
        questions = [
            {name: f.cleaned_data[name] for name in QuestionForm.Meta.fields}
            for f in sorted(kept, key=lambda f: f.cleaned_data["position"])
        ]
        obj, now = form.instance, request_now(request)
        marking = {"pass_mark": obj.pass_mark, "marking": obj.marking, "marking_tolerance": obj.marking_tolerance}
        if change:
            changes: dict[str, Any] = {"name": obj.name, "subject": obj.subject, "batch": obj.batch,
                                       "marking": marking}
            if questions_formset is not None and questions_formset.has_changed():
                changes["questions"] = questions
            saved = paper_update(paper=obj, now=now, **changes)
        else:
            saved = paper_create(
                name=obj.name, subject=obj.subject, batch=obj.batch, questions=questions, now=now,
                marking=marking,
            )
        obj.pk, obj.created_at = saved.pk, saved.created_at
        obj._state.adding = False
        if questions_formset is not None:  # the admin's change message reads what it saved
            questions_formset.new_objects = questions_formset.changed_objects = []
            questions_formset.deleted_objects = []
