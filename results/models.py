"""Marks of essay answers and the publication of a session's results (SPEC.md "After the exam")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from exams.models import ExamSession


class MarkingTask(models.Model):
    """One essay answer waiting for, or holding, its marks (blind: markers never see the candidate).

    ``required`` is how many marks the answer needs: 1 (single marking), 2 (double), 3 when the
    two marks of double marking differ by more than the paper's tolerance. ``final_points`` is
    set once the marks decide (results.marking_rules), and is what the score adds.
    """

    answer = models.OneToOneField(
        "exams.Answer", on_delete=models.CASCADE, related_name="marking", verbose_name=_("答案")
    )
    attempt = models.ForeignKey(
        "exams.Attempt", on_delete=models.CASCADE, related_name="marking_tasks", verbose_name=_("作答")
    )
    question = models.ForeignKey(
        "exams.Question", on_delete=models.PROTECT, related_name="marking_tasks", verbose_name=_("试题")
    )
    required = models.PositiveSmallIntegerField(_("需评次数"), default=1)
    final_points = models.DecimalField(_("最终得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    # A marker who fetched this answer holds it for a while, so two markers do not mark it at once.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimed_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("阅卷任务")
        verbose_name_plural = _("阅卷任务")
        ordering = ["question_id", "id"]
        permissions = [
            ("mark_answers", _("可评阅主观题")),
            ("publish_results", _("可发布成绩")),
        ]
        indexes = [models.Index(fields=["question", "final_points"], name="marking_task_queue")]

    def __str__(self) -> str:
        return f"task {self.pk} (answer {self.answer_id})"


class Mark(models.Model):
    """One marker's points for one answer; append-only (a re-mark is a new row by someone else)."""

    MARKING = "marking"
    APPEAL = "appeal"
    KINDS = [(MARKING, _("评阅")), (APPEAL, _("复核"))]

    task = models.ForeignKey(MarkingTask, on_delete=models.CASCADE, related_name="marks", verbose_name=_("阅卷任务"))
    marker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("阅卷人")
    )
    points = models.DecimalField(_("给分"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("评语"), blank=True)
    kind = models.CharField(_("类型"), max_length=10, choices=KINDS, default=MARKING)
    at = models.DateTimeField(_("评阅时间"))

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        ordering = ["task_id", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "marker"], name="one_mark_per_marker"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.points}"


class ResultPublication(models.Model):
    """A session's results published (from ``publishes_at`` on); the latest row counts."""

    session = models.ForeignKey(
        "exams.ExamSession", on_delete=models.PROTECT, related_name="result_publications",
        verbose_name=_("场次"),
    )
    publishes_at = models.DateTimeField(_("公布时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人")
    )
    override_reason = models.TextField(_("强制发布原因"), blank=True)
    # What was still missing when an organizer overrode the refusal (for the record).
    missing = models.JSONField(_("发布时未完成事项"), default=dict, blank=True)
    # Set on a re-publication after an appeal's outcome (the earlier rows stay: the history).
    appeal = models.ForeignKey(
        "results.Appeal", on_delete=models.PROTECT, null=True, blank=True, related_name="publications",
        verbose_name=_("复核后重新发布"),
    )
    at = models.DateTimeField(_("操作时间"))

    class Meta:
        verbose_name = _("成绩发布")
        verbose_name_plural = _("成绩发布")
        ordering = ["session_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.session_id} @ {self.publishes_at:%Y-%m-%d %H:%M}"



class SessionResult(ExamSession):
    """A session seen from its results: the admin's results console (a proxy, no table)."""

    class Meta:
        proxy = True
        verbose_name = _("场次成绩")
        verbose_name_plural = _("场次成绩")


class Appeal(models.Model):
    """A candidate's request for a re-mark of named questions (复核), within the appeal period."""

    OPEN = "open"
    RESOLVED = "resolved"
    STATUSES = [(OPEN, _("待处理")), (RESOLVED, _("已处理"))]

    attempt = models.ForeignKey(
        "exams.Attempt", on_delete=models.PROTECT, related_name="appeals", verbose_name=_("作答")
    )
    questions = models.JSONField(_("申请复核的试题"), default=list)
    reason = models.TextField(_("申请理由"))
    status = models.CharField(_("状态"), max_length=10, choices=STATUSES, default=OPEN)
    outcome = models.TextField(_("复核结果"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("处理人"),
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"))

    class Meta:
        verbose_name = _("成绩复核")
        verbose_name_plural = _("成绩复核")
        ordering = ["status", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt"], condition=models.Q(status="open"), name="one_open_appeal_per_attempt"
            ),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk}"


class RubricChange(models.Model):
    """An edit of a question's rubric (评分标准): allowed at any time, even after candidates
    answered (it changes no score), and kept here as its audit trail."""

    question = models.ForeignKey(
        "exams.Question", on_delete=models.CASCADE, related_name="rubric_changes", verbose_name=_("试题")
    )
    before = models.TextField(_("修改前"), blank=True)
    after = models.TextField(_("修改后"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("修改人")
    )
    at = models.DateTimeField(_("修改时间"))

    class Meta:
        verbose_name = _("评分标准修改记录")
        verbose_name_plural = _("评分标准修改记录")
        ordering = ["question_id", "-at", "-id"]

    def __str__(self) -> str:
        return f"rubric of {self.question_id} @ {self.at:%Y-%m-%d %H:%M}"
