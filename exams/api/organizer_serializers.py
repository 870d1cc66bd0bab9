"""Input and output shapes of the organizer API.

Input serializers only check types and shapes; the rules (windows, passwords, ID numbers,
questions) live in the services, which name the field of every refusal.
Durations are whole minutes, the way the notice and the batch file write them.
Here: what every shape shares, batches, sessions, papers; candidates, registrations and the
attempt and result rows of a session: ``organizer_candidate_serializers``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exams import rules
from exams.models import ExamBatch, ExamSession, Paper, Question
from exams.services.sessions import session_problem_messages

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NOT_FOUND: dict[str, StrOrPromise] = {"does_not_exist": _("编号为 {pk_value} 的记录不存在。")}


# --- shared -----------------------------------------------------------------------------


class OrganizerErrorSerializer(serializers.Serializer):
    """Every refusal: a stable code, a message for people, and for bad input the fields."""

    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]  # documents the JSON; never validated
        child=serializers.CharField(),
        required=False,
        help_text='field path -> reason, e.g. {"ends_at": "..."}, {"questions[1].correct": "..."}, '
        '{"[3].id_number": "..."}',
    )


class MinutesField(serializers.IntegerField):
    """A duration as whole minutes (0 to 10000); null where the rule allows "no limit"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 10_000)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> timedelta | None:
        minutes = super().run_validation(data)
        return None if minutes is None else timedelta(minutes=minutes)

    def to_representation(self, value: timedelta) -> int:  # type: ignore[override]  # holds a timedelta
        return int(value.total_seconds() // 60)


def pk_field(queryset: QuerySet[Any], **kwargs: Any) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(queryset=queryset, error_messages=NOT_FOUND, **kwargs)


# --- batches ----------------------------------------------------------------------------


# Fields that apps above exams add to a batch (support: ``staffed_periods``), registered in their
# AppConfig.ready(): name -> (field factory, related name to prefetch).
_batch_fields: dict[str, tuple[Callable[[], serializers.Field], str | None]] = {}


def batch_field_add(name: str, field: Callable[[], serializers.Field], *, prefetch: str | None = None) -> None:
    _batch_fields[name] = (field, prefetch)


def batch_prefetches() -> list[str]:
    return [prefetch for _field, prefetch in _batch_fields.values() if prefetch]


class BatchSerializer(serializers.ModelSerializer):
    notice_url = serializers.SerializerMethodField()

    class Meta:
        model = ExamBatch
        fields = [
            "id",
            "name",
            "slug",
            "time_zone",
            "notice",
            "evidence_retention_until",
            "login_requires_admission_ticket",
            "notice_url",
            "created_at",
        ]

    def get_fields(self) -> dict[str, serializers.Field]:
        own = super().get_fields()
        fields = {}
        for name, field in own.items():
            if name == "notice_url":  # the added fields go before the links, as they always have
                fields.update({added: factory() for added, (factory, _prefetch) in _batch_fields.items()})
            fields[name] = field
        return fields

    def get_notice_url(self, batch: ExamBatch) -> str:
        return f"/notice/{batch.slug}/"


class BatchInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.CharField(
        max_length=64, help_text="letters, digits, - and _; the notice is /notice/<slug>/"
    )
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text="IANA name, default Asia/Shanghai"
    )
    notice = serializers.CharField(allow_blank=True, required=False)
    evidence_retention_until = serializers.DateField(allow_null=True, required=False)
    login_requires_admission_ticket = serializers.BooleanField(
        required=False, help_text="candidates also enter their admission ticket number (准考证号)"
    )


# --- sessions ---------------------------------------------------------------------------


RULE_FIELDS_DOC = (
    "Rule fields not given take the defaults of the session kind "
    "(device_check: no late cutoff, no minimum time, no lock screen)."
)


class SessionSerializer(serializers.ModelSerializer):
    login_opens_before_minutes = MinutesField(source="login_opens_before", read_only=True)
    late_after_minutes = MinutesField(source="late_after", read_only=True, allow_null=True)
    min_answer_minutes = MinutesField(source="min_answer_time", read_only=True, allow_null=True)
    exam_day_gate = serializers.TimeField(format="%H:%M", read_only=True, allow_null=True)
    login_opens_at = serializers.SerializerMethodField()
    late_cutoff = serializers.SerializerMethodField()
    submit_opens_at = serializers.SerializerMethodField()

    class Meta:
        model = ExamSession
        fields = [
            "id",
            "batch",
            "key",
            "kind",
            "name",
            "subject",
            "paper",
            "password",
            "starts_at",
            "ends_at",
            "login_opens_before_minutes",
            "late_after_minutes",
            "min_answer_minutes",
            "exam_day_gate",
            "password_published_at",
            "max_screen_leaves",
            "lock_screen",
            "requires_login_photo",
            "requires_phone_monitor",
            "requires_scratch_paper",
            "snapshot_interval_seconds",
            "recording",
            "login_opens_at",
            "late_cutoff",
            "submit_opens_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_login_opens_at(self, session: ExamSession):
        return rules.login_opens_at(session.rules())

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_late_cutoff(self, session: ExamSession):
        return rules.late_cutoff(session.rules())

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_submit_opens_at(self, session: ExamSession):
        return rules.submit_opens_at(session.rules())


class SessionInSerializer(serializers.Serializer):
    batch = pk_field(ExamBatch.objects.all())
    kind = serializers.ChoiceField(choices=ExamSession.KINDS)
    name = serializers.CharField(max_length=200)
    subject = serializers.CharField(max_length=200, allow_blank=True, required=False)
    paper = pk_field(Paper.objects.all(), allow_null=True, required=False)
    password = serializers.CharField(
        allow_blank=True,
        required=False,
        trim_whitespace=True,
        help_text="6 digits, unique among sessions not yet ended; blank or omitted: generated",
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    login_opens_before_minutes = MinutesField(source="login_opens_before", required=False)
    late_after_minutes = MinutesField(source="late_after", required=False, allow_null=True)
    min_answer_minutes = MinutesField(source="min_answer_time", required=False, allow_null=True)
    exam_day_gate = serializers.TimeField(
        format="%H:%M",
        input_formats=["%H:%M", "iso-8601"],
        required=False,
        allow_null=True,
        help_text="formal sessions: before this local time on the exam day only device check works",
    )
    password_published_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="formal: default one week before starts_at; other kinds: public at once",
    )
    max_screen_leaves = serializers.IntegerField(min_value=1, max_value=1000, required=False, allow_null=True)
    lock_screen = serializers.BooleanField(required=False)
    requires_login_photo = serializers.BooleanField(required=False)
    requires_phone_monitor = serializers.BooleanField(required=False)
    requires_scratch_paper = serializers.BooleanField(required=False)
    snapshot_interval_seconds = serializers.IntegerField(min_value=5, max_value=3600, required=False)
    recording = serializers.ChoiceField(
        choices=ExamSession.RECORDING_MODES, required=False,
        help_text="off | snapshots | video (default: video for formal and mock, off for device_check)",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        """Cross-field checks on the values the session will have: given, else current, else kind default."""
        current = self.instance
        kind = data.get("kind") or getattr(current, "kind", None)

        def value(name: str) -> Any:
            if name in data:
                return data[name]
            if current is not None:
                return getattr(current, name)
            return rules.KIND_DEFAULTS.get(kind, {}).get(name) if kind else None

        errors: dict[str, StrOrPromise] = {}
        batch, paper = value("batch"), value("paper")
        if (
            paper is not None
            and paper.batch_id is not None
            and batch is not None
            and paper.batch_id != batch.pk
        ):
            errors["paper"] = _("试卷不属于该场次的批次。")
        starts_at, ends_at = value("starts_at"), value("ends_at")
        if starts_at and ends_at and ends_at > starts_at and batch is not None and kind in rules.KIND_DEFAULTS:
            proposed = rules.SessionRules(
                kind=kind, starts_at=starts_at, ends_at=ends_at, time_zone=batch.time_zone,
                login_opens_before=value("login_opens_before"), late_after=value("late_after"),
                min_answer_time=value("min_answer_time"), exam_day_gate=value("exam_day_gate"),
            )
            api_names = {"late_after": "late_after_minutes", "min_answer_time": "min_answer_minutes"}
            for field, message in session_problem_messages(proposed).items():
                errors[api_names.get(field, field)] = message
        if (
            kind == ExamSession.DEVICE_CHECK
            and value("lock_screen")
            and value("max_screen_leaves") is not None
        ):
            errors["lock_screen"] = _(
                "设备调试场次不锁屏：请把 lock_screen 设为 false 或 max_screen_leaves 设为 null。"
            )
        if errors:
            raise serializers.ValidationError(errors)
        return data


# --- papers -----------------------------------------------------------------------------


class ChoiceSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=10)
    text = serializers.CharField(max_length=2000)


class QuestionSerializer(serializers.ModelSerializer):
    choices = ChoiceSerializer(many=True, read_only=True)
    correct = serializers.JSONField(read_only=True, help_text="never sent to candidates")

    class Meta:
        model = Question
        fields = ["id", "position", "kind", "text", "choices", "points", "correct"]
        read_only_fields = fields


class QuestionInSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=0, required=False, help_text="default: order in the list")
    kind = serializers.ChoiceField(choices=Question.KINDS)
    text = serializers.CharField(max_length=20_000, allow_blank=True)  # blank: the service says so
    choices = ChoiceSerializer(many=True, required=False, help_text="choice questions only")
    points = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        default=Decimal("1"),
    )
    correct = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='single_choice "A"; multiple_choice ["A","C"]; true_false true/false; '
        'fill_in ["accepted", ...]; essay null',
    )


class PaperSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)
    total_points = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)

    class Meta:
        model = Paper
        fields = ["id", "batch", "key", "name", "subject", "total_points", "questions", "created_at"]
        read_only_fields = fields


class PaperInSerializer(serializers.Serializer):
    batch = pk_field(ExamBatch.objects.all(), allow_null=True, required=False)
    name = serializers.CharField(max_length=200)
    subject = serializers.CharField(max_length=200, allow_blank=True, required=False)
    questions = QuestionInSerializer(many=True, help_text="on update: replaces every question")
