"""Organizer console for attempts: evidence, read-only here; their audit trail with them."""

from __future__ import annotations

import zoneinfo

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from candidates import idnumbers
from exams import statuses
from exams.models import Answer, Attempt, AttemptAudit, LateAnswer

# --- attempts: evidence, read-only ------------------------------------------------------


class AttemptStatusFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "status"
    buckets = {
        "registered": (_("未登录"), Q(state=statuses.REGISTERED)),
        "in_progress": (_("作答中"), Q(state__in=statuses.OPEN)),
        "submitted": (_("已交卷"), Q(state=statuses.SUBMITTED)),
        "collected": (_("已收卷"), Q(state=statuses.COLLECTED)),
        "late_absent": (_("迟到/缺考"), Q(state__in=(statuses.LATE, statuses.ABSENT))),
        "locked": (_("已锁定"), Q(locked=True)),
        "voided": (_("取消成绩"), Q(decision=statuses.DECISION_VOIDED)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _condition) in self.buckets.items()]

    def queryset(self, request, queryset):
        bucket = self.buckets.get(self.value())
        return queryset.filter(bucket[1]) if bucket else queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AttemptAuditInline(ReadOnlyInline):
    model = AttemptAudit
    fields = ("at", "action", "from_state", "to_state", "actor", "reason", "details")
    ordering = ("at", "id")
    verbose_name_plural = _("审计记录")


class AnswerInline(ReadOnlyInline):
    """Shown only to users who may view answers (organizers)."""

    model = Answer
    fields = ("question", "value", "seq", "saved_at")
    ordering = ("question__position", "question_id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question")


class LateAnswerInline(ReadOnlyInline):
    model = LateAnswer
    fields = ("source", "question_id_sent", "value", "seq", "received_at", "recorded_at", "applied_at")
    ordering = ("received_at", "id")
    verbose_name_plural = _("截止后收到的答案（未采纳前不计成绩；在“考务操作”页采纳或导入作答备份）")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    # One line per attempt, the columns an organizer scans, times in the batch's own zone.
    list_display = (
        "candidate_name", "masked_id_number", "admission_ticket", "session_name", "state_label",
        "leaves", "score", "decision", "finished_local", "actions_link",
    )
    list_filter = (AttemptStatusFilter, "session__batch", "session__kind", "session")
    list_select_related = ("registration__candidate", "session__batch")
    search_fields = (
        "registration__candidate__name", "registration__candidate__id_number",
        "registration__admission_ticket",
    )
    search_help_text = _("按考生姓名、证件号或准考证号搜索")
    raw_id_fields = ("registration", "session")
    inlines = [AttemptAuditInline, AnswerInline, LateAnswerInline]

    readonly_fields = ("actions_link",)

    class Media:
        css = {"all": ["css/admin-lists.css"]}

    def changelist_view(self, request, extra_context=None):
        # One line per attempt in a 1366 px window: the list gets the width of the app menu
        # (every page of the admin still has the menu behind its home link).
        return super().changelist_view(request, {"is_nav_sidebar_enabled": False, **(extra_context or {})})

    def get_fields(
        self, request: HttpRequest, obj: Attempt | None = None
    ) -> list[str | list[str] | tuple[str, ...] | tuple[()]]:
        # The change page leads to the actions (extra time, re-admit, reopen, backup upload...).
        return ["actions_link", *[f for f in super().get_fields(request, obj) if f != "actions_link"]]

    @admin.display(description=_("考生"), ordering="registration__candidate__name")
    def candidate_name(self, obj: Attempt) -> str:
        return obj.registration.candidate.name

    @admin.display(description=_("证件号"))
    def masked_id_number(self, obj: Attempt) -> str:
        return idnumbers.mask(obj.registration.candidate.id_number)

    @admin.display(description=_("准考证号"), ordering="registration__admission_ticket")
    def admission_ticket(self, obj: Attempt) -> str:
        return obj.registration.admission_ticket or "—"

    @admin.display(description=_("场次"), ordering="session__starts_at")
    def session_name(self, obj: Attempt) -> str:
        return obj.session.name

    @admin.display(description=_("状态"), ordering="state")
    def state_label(self, obj: Attempt) -> str:
        label = str(obj.get_state_display())
        return f"{label} · {_('已锁定')}" if obj.locked else label

    @admin.display(description=_("离屏"), ordering="leaves_used")
    def leaves(self, obj: Attempt) -> str:
        limit = obj.session.max_screen_leaves
        return str(obj.leaves_used) if limit is None else f"{obj.leaves_used}/{limit + obj.extra_leaves}"

    @admin.display(description=_("交卷/收卷时间"), ordering="finished_at")
    def finished_local(self, obj: Attempt) -> str:
        if obj.finished_at is None:
            return "—"
        zone = obj.session.batch.time_zone
        local = timezone.localtime(obj.finished_at, zoneinfo.ZoneInfo(zone))
        name = _("北京时间") if zone == "Asia/Shanghai" else zone
        return f"{local:%m-%d %H:%M:%S} ({name})"

    @admin.display(description=_("操作"))
    def actions_link(self, obj: Attempt) -> str:
        return format_html(
            '<a href="{}" title="{}">{}</a> · <a href="{}">{}</a>',
            reverse("attempt-actions", args=[obj.pk]), _("考务操作（延时/解锁/补录/重开/作答备份）"), _("考务操作"),
            f"/proctoring/review/attempt/{obj.pk}/", _("监控记录"),
        )


@admin.register(AttemptAudit)
class AttemptAuditAdmin(ReadOnlyAdmin):
    list_display = ("at", "attempt", "action", "from_state", "to_state", "actor", "reason")
    list_filter = ("action", "attempt__session")
    list_select_related = ("attempt__registration__candidate", "attempt__session", "actor")
    search_fields = (
        "attempt__registration__candidate__name", "attempt__registration__candidate__id_number",
        "action", "reason",
    )
    raw_id_fields = ("attempt", "actor")
    date_hierarchy = "at"
