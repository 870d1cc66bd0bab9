"""Organizer console for candidates, with CSV/XLSX import and export.

Registrations (seats in sessions) are on the exams side: ``exams.admin.registrations``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.tmp_storages import CacheStorage

from candidates.models import Candidate, Registration
from candidates.resources import FORMATS, CandidateResource, import_problems
from candidates.services import candidate_upsert
from examsite.admin_base import ServiceRefusalMixin


class WholeFileImportAdmin(ServiceRefusalMixin, ImportExportModelAdmin):
    """Import: a file with any bad row is refused whole, every bad row listed by line.

    Import needs the add permission on the model; export (whole lists of ID numbers) the
    change permission, so proctors and support staff, who only view, can do neither.
    """

    formats = FORMATS
    export_formats = FORMATS  # every export escapes formulas (examsite.spreadsheets)
    # The upload waits for the confirm step in the shared cache (Redis), so the two steps
    # may be served by different processes.
    tmp_storage_class = CacheStorage
    import_template_name = "admin/import_rows.html"
    import_help: str | Promise = ""

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request)

    def has_export_permission(self, request) -> bool:
        return self.has_change_permission(request)

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        context["import_help"] = self.import_help
        return context

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        # Also roll back the confirm step when a row turns out invalid there.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        result = getattr(response, "context_data", {}).get("result")
        if result is not None and (result.has_errors() or result.has_validation_errors()):
            response.context_data["import_problems"] = import_problems(result)
        return response

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The data changed between preview and confirm: the transaction was rolled back.
            messages.error(request, gettext("未导入任何数据：%(problems)s") % {
                "problems": "；".join(import_problems(result)),
            })
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        return super().process_result(result, request)


class RegistrationInline(admin.TabularInline):
    model = Registration
    fields = ("session", "admission_ticket", "subject", "device_checked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("session")


@admin.register(Candidate)
class CandidateAdmin(WholeFileImportAdmin):
    resource_classes = [CandidateResource]
    import_help = _(
        "列名（第 1 行）：name, document_type, id_number, phone"
        "（也可用 姓名、证件类型、证件号、联系电话）。\n"
        "document_type 留空表示居民身份证；也可填 passport、hk_macau_permit、taiwan_permit、"
        "foreign_permanent 或其中文名称。居民身份证号会核对校验位，小写 x 自动转为大写 X。\n"
        "已存在的证件号会更新姓名与电话。任何一行有错（校验位不对、文件内证件号重复等），"
        "整个文件都不会导入；错误按文件行号列出（表头是第 1 行）。XLSX 中证件号列请设为文本格式。"
    )
    list_display = ("name", "document_type", "id_number", "phone", "registration_count", "created_at")
    list_filter = ("document_type",)
    search_fields = ("name", "id_number", "phone")
    search_help_text = _("按姓名、证件号或电话搜索")
    def get_inlines(self, request, obj):
        return [RegistrationInline] if obj else []  # a new candidate has no seats yet

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_registrations=Count("registrations"))

    @admin.display(description=_("报名场次数"), ordering="n_registrations")
    def registration_count(self, obj: Candidate) -> int:
        return obj.n_registrations  # type: ignore[attr-defined]  # annotated by get_queryset

    def get_readonly_fields(self, request, obj=None):
        # Logins and registrations are keyed by the ID number: it is fixed once created.
        return ("document_type", "id_number", "created_at") if obj else ()

    def get_fields(self, request, obj=None):
        fields = ["name", "document_type", "id_number", "phone"]
        return [*fields, "created_at"] if obj else fields

    def save_model(self, request, obj, form, change):
        saved = candidate_upsert(
            name=obj.name, id_number=obj.id_number, document_type=obj.document_type, phone=obj.phone
        )
        obj.pk, obj.created_at = saved.pk, saved.created_at
        obj._state.adding = False
