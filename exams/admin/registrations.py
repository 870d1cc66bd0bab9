"""Organizer console for registrations (seats in sessions), with CSV/XLSX import and export."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from candidates.admin import WholeFileImportAdmin
from candidates.device_check import device_check_summary
from candidates.models import Registration
from exams.registration_resources import RegistrationResource
from exams.services.registrations import registration_create
from examsite.admin_base import request_now


@admin.register(Registration)
class RegistrationAdmin(WholeFileImportAdmin):
    resource_classes = [RegistrationResource]
    import_help = _(
        "列名（第 1 行）：id_number, session, admission_ticket, subject"
        "（也可用 证件号、场次编号、准考证号、科目）。\n"
        "session 填场次的“编号”（场次列表第一列），不用口令或名称：口令会重新生成，名称可能重复。\n"
        "考生须已存在（先导入考生名单）。subject 留空取场次的科目。导出文件中的 name、session_name "
        "两列仅供阅读，导入时忽略。\n"
        "任何一行有错（证件号校验位不对、没有该考生、场次不存在、文件内同一考生同一场次重复），"
        "整个文件都不会导入；错误按文件行号列出（表头是第 1 行）。每条报名同时建立该考生的作答记录。"
    )
    list_display = (
        "candidate__name", "candidate__id_number", "session", "admission_ticket", "subject",
        "device_checked_at", "readiness",
    )
    list_filter = ("session__batch", "session__kind", "session")
    list_select_related = ("candidate", "session")
    search_fields = ("candidate__name", "candidate__id_number", "admission_ticket")
    search_help_text = _("按考生姓名、证件号或准考证号搜索")
    autocomplete_fields = ("candidate", "session")

    def get_fields(self, request, obj=None):
        fields = ["candidate", "session", "admission_ticket", "subject"]
        return [*fields, "readiness", "device_check", "device_checked_at", "device_check_runs"] if obj else fields

    def get_readonly_fields(self, request, obj=None):
        # A seat is not moved: its attempt and evidence belong to that session.
        return (
            ("candidate", "session", "readiness", "device_check", "device_checked_at", "device_check_runs")
            if obj else ()
        )

    @admin.display(description=_("设备调试次数"))
    def device_check_runs(self, obj: Registration) -> int:
        """Every run is kept; the result shown above is the latest."""
        return obj.device_check_runs.count()

    @admin.display(description=_("设备调试结果"))
    def readiness(self, obj: Registration) -> str:
        """The device check in words, the phone monitor with the rest (paired, a good image)."""
        return device_check_summary(obj.device_check) or "—"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the attempt (evidence) keeps every registration

    def save_model(self, request, obj, form, change):
        saved = registration_create(
            candidate=obj.candidate, session=obj.session, now=request_now(request),
            admission_ticket=obj.admission_ticket, subject=obj.subject,
        )
        obj.pk, obj.created_at = saved.pk, saved.created_at
        obj._state.adding = False
