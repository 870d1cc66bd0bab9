"""Admin for the FAQ (organizer-managed) and tickets (read-mostly: work them on the queue page).

Imported once, by ``support.admin``; registering twice would fail loudly.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from candidates import idnumbers
from support.models import FaqEntry, Ticket, TicketAction, TicketMessage
from support.selectors import who


class FaqScopeFilter(admin.SimpleListFilter):
    title = _("适用范围")
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("global", _("所有批次（通用）")), ("batch", _("指定批次"))]

    def queryset(self, request, queryset):
        if self.value() == "global":
            return queryset.filter(batch__isnull=True)
        if self.value() == "batch":
            return queryset.filter(batch__isnull=False)
        return queryset


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["position", "question", "scope", "published", "updated_at"]
    list_display_links = ["question"]
    list_editable = ["position", "published"]
    list_filter = [FaqScopeFilter, "batch", "published"]
    list_select_related = ["batch"]
    search_fields = ["question", "answer", "keywords"]
    ordering = ["batch__name", "position", "id"]
    fields = ["batch", "question", "answer", "keywords", "position", "published"]

    @admin.display(description=_("适用范围"), ordering="batch__name")
    def scope(self, obj: FaqEntry) -> str:
        return obj.batch.name if obj.batch is not None else str(_("所有批次"))


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TicketMessageInline(ReadOnlyInline):
    model = TicketMessage
    fields = readonly_fields = ("at", "author_kind", "author", "text")


class TicketActionInline(ReadOnlyInline):
    model = TicketAction
    fields = readonly_fields = ("at", "actor", "action", "details")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "id", "created_at", "category", "status", "asker", "batch", "session", "assignee", "queue_link",
    ]
    list_filter = ["status", "category", "batch"]
    list_select_related = ["batch", "session", "assignee"]
    search_fields = ["=id", "text", "contact", "attempt__registration__candidate__name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["attempt", "session"]
    inlines = [TicketMessageInline, TicketActionInline]
    readonly_fields = fields = (
        "batch", "session", "attempt", "attempt_unverified", "contact", "id_number_masked", "category",
        "text", "screenshot", "status", "assignee", "context_pretty", "created_at", "waiting_since",
        "first_response_at", "closed_at", "updated_at",
    )

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            try:
                normalized = idnumbers.normalize_for_login(search_term)
            except idnumbers.InvalidIdNumber:
                normalized = ""
            if normalized:
                queryset |= self.model.objects.filter(
                    Q(id_number=normalized) | Q(attempt__registration__candidate__id_number=normalized)
                )
        return queryset, may_have_duplicates

    def has_add_permission(self, request) -> bool:
        return False  # tickets come from candidates

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a record of what was asked and done

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # work tickets on the queue page, through the services

    @admin.display(description=_("提问人"))
    def asker(self, obj: Ticket) -> str:
        return who(obj)

    @admin.display(description=_("证件号"))
    def id_number_masked(self, obj: Ticket) -> str:
        return idnumbers.mask(obj.id_number) if obj.id_number else "—"

    @admin.display(description=_("在队列中处理"))
    def queue_link(self, obj: Ticket) -> str:
        return format_html('<a href="{}?ticket={}">{}</a>', reverse("support:queue"), obj.id, _("打开"))

    @admin.display(description=_("截图"))
    def screenshot(self, obj: Ticket) -> str:
        if not obj.screenshot_name:
            return "—"
        url = reverse("support:ticket-screenshot", args=[obj.id])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("查看截图"))

    @admin.display(description=_("提交时的作答情况"))
    def context_pretty(self, obj: Ticket) -> str:
        text = json.dumps(obj.context, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        return format_html("<pre>{}</pre>", text)
