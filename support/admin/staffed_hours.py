"""Organizer console for support: the staffed hours of each batch."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from exams.admin.setup import ExamBatchAdmin
from exams.models import ExamBatch
from examsite.admin_base import LabelledInlineMixin
from support.models import StaffedPeriod


class StaffedPeriodForm(forms.ModelForm):
    class Meta:
        model = StaffedPeriod
        fields = ("batch", "starts_at", "ends_at")

    def clean(self):
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("结束时间必须晚于开始时间。"))
        return cleaned


class StaffedPeriodInline(LabelledInlineMixin, admin.TabularInline):
    """Shown on the batch page: support registers the batch admin again with it (below)."""

    model = StaffedPeriod
    form = StaffedPeriodForm
    fields = ("starts_at", "ends_at")
    extra = 0


@admin.register(StaffedPeriod)
class StaffedPeriodAdmin(admin.ModelAdmin):
    form = StaffedPeriodForm
    list_display = ("batch", "starts_at", "ends_at")
    list_filter = ("batch",)
    list_select_related = ("batch",)
    date_hierarchy = "starts_at"


class ExamBatchWithStaffedHoursAdmin(ExamBatchAdmin):
    inlines = [*ExamBatchAdmin.inlines, StaffedPeriodInline]


admin.site.unregister(ExamBatch)
admin.site.register(ExamBatch, ExamBatchWithStaffedHoursAdmin)
