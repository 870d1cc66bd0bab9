"""Forms of the organizer console whose validation goes through the services' rules.

Every refusal names its field (``session_validate``, ``question_errors`` via Question.clean);
the admin classes in ``exams.admin`` save what these forms accepted through the services.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from django import forms
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exams import rules
from exams.models import ExamSession, Question
from exams.services.sessions import RULE_FIELDS, session_validate


class ExamSessionForm(forms.ModelForm):
    """Validates through ``session_validate`` so every refusal names its field."""

    #: set per request by the admin (``request_now``)
    now: datetime | None = None

    class Meta:
        model = ExamSession
        fields = (
            "batch", "kind", "name", "subject", "paper", "starts_at", "ends_at", "password",
            "password_published_at", *RULE_FIELDS, "requires_scratch_paper", "snapshot_interval_seconds",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password" in self.fields:
            self.fields["password"].required = False
            self.fields["password"].help_text = _(
                "6 位数字，未结束的场次之间不能重复；留空则自动生成随机口令。"
            )

    def _apply_kind_defaults(self, cleaned: dict[str, Any]) -> None:
        """On add, rule fields the organizer left alone follow the kind (device check: no lock)."""
        kind = cleaned.get("kind") or self.instance.kind
        if not self.instance._state.adding or kind not in rules.KIND_DEFAULTS:
            return
        for name in RULE_FIELDS:
            if name in self.changed_data:
                continue
            value = rules.KIND_DEFAULTS[kind][name]
            setattr(self.instance, name, value)
            if name in self.fields:
                cleaned[name] = value

    def clean(self):
        cleaned = super().clean()
        self._apply_kind_defaults(cleaned)
        provisional = copy.copy(self.instance)
        model_fields = {f.name for f in ExamSession._meta.concrete_fields}
        for name, value in cleaned.items():
            if name in model_fields:
                setattr(provisional, name, value)
        errors = session_validate(
            session=provisional, now=self.now or timezone.now(), exclude_session_id=self.instance.pk
        )
        if not cleaned.get("password") and "password" not in self._errors:
            errors.pop("password", None)  # generated on save
        for field, reason in errors.items():
            if field in self._errors:
                continue
            if field in self.fields:
                self.add_error(field, reason)
            else:
                label = ExamSession._meta.get_field(field).verbose_name if field in model_fields else field
                self.add_error(None, f"{label}：{reason}")
        return cleaned


class SessionInlineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        now = self.form.now or timezone.now()
        seen: set[str] = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            password, ends_at = data.get("password"), data.get("ends_at")
            if not password or (ends_at and ends_at <= now):
                continue
            if password in seen:
                form.add_error("password", _("与本批次另一个未结束场次的口令重复。"))
            seen.add(password)


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ("position", "kind", "points", "text", "choices", "correct", "rubric")
        widgets = {
            "rubric": forms.Textarea(attrs={"rows": 2, "cols": 80}),
            "text": forms.Textarea(attrs={"rows": 2, "cols": 80}),
            "choices": forms.Textarea(attrs={"rows": 2, "cols": 80}),
            "correct": forms.Textarea(attrs={"rows": 1, "cols": 40}),
        }
        help_texts = {
            "choices": _('JSON，选择题填写，如 [{"key": "A", "text": "选项甲"}, '
                         '{"key": "B", "text": "选项乙"}]；其他题型留空。'),
            "correct": _('JSON，考生永远看不到。单选 "A"；多选 ["A", "C"]；判断 true 或 false；'
                         '填空 ["可接受的答案", ...]；简答题留空。'),
        }

    def clean_choices(self):
        return self.cleaned_data.get("choices") or []

    def clean_points(self):
        points = self.cleaned_data.get("points")
        if points is not None and points <= 0:
            raise forms.ValidationError(_("分值必须大于 0。"))
        return points


class QuestionFormSet(BaseInlineFormSet):
    def kept_forms(self) -> list[forms.ModelForm]:
        kept = []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            if form.instance._state.adding and not form.has_changed():
                continue
            kept.append(form)
        return kept

    def clean(self):
        super().clean()
        if not any(form.errors for form in self.forms) and not self.kept_forms():
            raise forms.ValidationError(_("试卷至少需要一道试题。"))
