"""Admin for proctoring: evidence and events are read-only; decisions are made on the
review pages (``/proctoring/review/``); registered photos are imported by ID number."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from proctoring.models import Evidence, PhonePairing, ProctorEvent, RegisteredPhoto, ReviewDecision
from proctoring.services.registered_photos import registered_photos_import


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by those with the view permission; nobody adds, changes or deletes here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


def _timeline_link(attempt_id: int):
    return format_html(
        '<a href="{}">{}</a>', reverse("proctoring:review-attempt", args=[attempt_id]), _("审核时间线")
    )


@admin.register(ProctorEvent)
class ProctorEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "attempt", "client_time", "timeline"]
    list_filter = ["kind"]
    list_select_related = ["attempt__registration__candidate", "attempt__session"]
    search_fields = ["attempt__registration__candidate__name", "attempt__registration__candidate__id_number"]
    raw_id_fields = ["attempt"]
    date_hierarchy = "at"

    @admin.display(description=_("审核"))
    def timeline(self, obj):
        return _timeline_link(obj.attempt_id)


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "kind", "attempt", "size", "captured_at", "preview"]
    list_filter = ["kind"]
    list_select_related = ["attempt__registration__candidate", "attempt__session"]
    search_fields = [
        "attempt__registration__candidate__name",
        "attempt__registration__candidate__id_number",
        "sha256",
    ]
    raw_id_fields = ["attempt"]
    date_hierarchy = "received_at"

    @admin.display(description=_("图片"))
    def preview(self, obj):
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener">{1}</a>',
            reverse("proctoring:evidence", args=[obj.id]),
            _("查看"),
        )


@admin.register(PhonePairing)
class PhonePairingAdmin(ReadOnlyAdmin):
    list_display = ["attempt", "created_at", "used_at", "last_heartbeat_at", "lost_at", "replaced_at"]
    list_select_related = ["attempt__registration__candidate", "attempt__session"]
    raw_id_fields = ["attempt"]
    exclude = ["token_hash", "phone_key_hash"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in ("token_hash", "phone_key_hash")]


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "attempt",
        "decision",
        "status",
        "reviewer",
        "confirmed_by",
        "confirmed_at",
        "timeline",
    ]
    list_filter = ["decision", "status"]
    list_select_related = ["attempt__registration__candidate", "attempt__session", "reviewer", "confirmed_by"]
    search_fields = ["attempt__registration__candidate__name", "reason"]
    raw_id_fields = ["attempt"]

    @admin.display(description=_("审核"))
    def timeline(self, obj):
        return _timeline_link(obj.attempt_id)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        single = forms.FileField(required=False)
        return [single.clean(f) for f in files]


class PhotoImportForm(forms.Form):
    files = MultipleFileField(  # type: ignore[assignment]  # a declared field, not BaseForm.files
        label=_("照片文件"),
        help_text=_(
            "选择以证件号命名的照片（如 11010519491231002X.jpg，一次最多 100 个文件），"
            "或包含这些照片的 zip 压缩包。"
        ),
        widget=MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.webp,.zip"}),
    )


MAX_IMPORT_BYTES = 200 * 1024 * 1024


@admin.register(RegisteredPhoto)
class RegisteredPhotoAdmin(ReadOnlyAdmin):
    list_display = ["candidate", "source_name", "uploaded_at", "uploaded_by", "preview"]
    list_select_related = ["candidate", "uploaded_by"]
    search_fields = ["candidate__name", "candidate__id_number", "source_name"]
    raw_id_fields = ["candidate"]
    change_list_template = "proctoring/admin/registeredphoto_change_list.html"

    @admin.display(description=_("照片"))
    def preview(self, obj):
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener">{1}</a>',
            reverse("proctoring:registered-photo", args=[obj.candidate_id]),
            _("查看"),
        )

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="proctoring_registeredphoto_import",
            ),
            *super().get_urls(),
        ]

    def can_import(self, request) -> bool:
        return request.user.has_perm("proctoring.add_registeredphoto")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.can_import(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.can_import(request):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            form = PhotoImportForm(request.POST, request.FILES)
            if form.is_valid():
                uploads = form.cleaned_data["files"]
                if sum(f.size for f in uploads) > MAX_IMPORT_BYTES:
                    form.add_error("files", _("一次导入的文件总大小不能超过 200 MB，请分批导入。"))
                else:
                    report = registered_photos_import(
                        files=[(f.name, f.read()) for f in uploads], actor=request.user, now=timezone.now()
                    )
                    done = len(report.imported) + len(report.replaced)
                    messages.info(request, _("已导入 %(n)d 张照片。") % {"n": done})
                    if not report.unknown and not report.invalid:
                        return redirect("admin:proctoring_registeredphoto_changelist")
        else:
            form = PhotoImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("导入报名照片"),
            "form": form,
            "report": report,
        }
        return TemplateResponse(request, "proctoring/admin/registered_photo_import.html", context)
