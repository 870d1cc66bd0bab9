from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StaffedPeriod(models.Model):
    """When support staff answer tickets (人工支持时间), per batch."""

    batch = models.ForeignKey(
        "exams.ExamBatch", on_delete=models.CASCADE, related_name="staffed_periods",
        verbose_name=_("批次"),
    )
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))

    class Meta:
        verbose_name = _("人工支持时段")
        verbose_name_plural = _("人工支持时段")
        ordering = ["starts_at"]

    def __str__(self) -> str:
        """In the batch's time zone, named: what an organizer typed into the form."""
        zone = self.batch.tz
        starts, ends = timezone.localtime(self.starts_at, zone), timezone.localtime(self.ends_at, zone)
        return f"{starts:%Y-%m-%d %H:%M} – {ends:%H:%M} ({self.batch.time_zone})"


class FaqEntry(models.Model):
    """A self-help question and answer (常见问题), for one batch or for all (batch empty)."""

    batch = models.ForeignKey(
        "exams.ExamBatch", on_delete=models.CASCADE, related_name="faq_entries", null=True, blank=True,
        verbose_name=_("批次"), help_text=_("留空表示适用于所有批次。"),
    )
    question = models.CharField(_("问题"), max_length=300)
    answer = models.TextField(_("解答"))
    keywords = models.CharField(
        _("关键词"), max_length=500, blank=True,
        help_text=_("考生可能使用的其他说法，用逗号或空格分隔，例如：断网，掉线，没网。"),
    )
    position = models.PositiveIntegerField(_("排序"), default=0)
    published = models.BooleanField(_("已发布"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("常见问题")
        verbose_name_plural = _("常见问题")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.question


class Ticket(models.Model):
    """A candidate's request for help (工单), with the attempt's context captured when it was made."""

    LOGIN = "login"
    CAMERA = "camera"
    PHONE_MONITOR = "phone_monitor"
    NETWORK = "network"
    SUBMISSION = "submission"
    OTHER = "other"
    CATEGORIES = [
        (LOGIN, _("登录问题")),
        (CAMERA, _("摄像头/拍照")),
        (PHONE_MONITOR, _("手机监控")),
        (NETWORK, _("网络问题")),
        (SUBMISSION, _("答题/交卷")),
        (OTHER, _("其他")),
    ]

    # open: waiting for staff; claimed: a staff member has it, still waiting for a reply;
    # answered: staff replied, waiting for the candidate; closed. A new candidate message or a
    # staff "reopen" brings an answered or closed ticket back to open/claimed.
    OPEN = "open"
    CLAIMED = "claimed"
    ANSWERED = "answered"
    CLOSED = "closed"
    STATUSES = [
        (OPEN, _("待处理")),
        (CLAIMED, _("处理中")),
        (ANSWERED, _("已回复")),
        (CLOSED, _("已关闭")),
    ]
    WAITING = (OPEN, CLAIMED)

    batch = models.ForeignKey(
        "exams.ExamBatch", on_delete=models.PROTECT, related_name="tickets", null=True, blank=True,
        verbose_name=_("批次"),
    )
    session = models.ForeignKey(
        "exams.ExamSession", on_delete=models.PROTECT, related_name="tickets", null=True, blank=True,
        verbose_name=_("场次"),
    )
    attempt = models.ForeignKey(
        "exams.Attempt", on_delete=models.PROTECT, related_name="tickets", null=True, blank=True,
        verbose_name=_("作答"),
    )
    # True when the attempt was found from an ID number typed on a public page (not logged in).
    attempt_unverified = models.BooleanField(_("作答未经登录确认"), default=False)
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    id_number = models.CharField(_("证件号"), max_length=32, blank=True)
    category = models.CharField(_("问题类型"), max_length=20, choices=CATEGORIES, default=OTHER)
    text = models.TextField(_("问题描述"))
    # Private storage (examsite.storage), never a public URL.
    screenshot_name = models.CharField(_("截图"), max_length=255, blank=True)
    screenshot_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=STATUSES, default=OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("处理人"),
    )
    context = models.JSONField(_("提交时的作答情况"), default=dict, blank=True)
    # Lets an anonymous owner (public pages) follow the ticket; kept in their Django session.
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("提交时间"))
    # Since when the candidate has been waiting for staff; empty while nobody is waiting.
    waiting_since = models.DateTimeField(_("等待开始"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("首次人工回复"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("最后更新"))

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "waiting_since"], name="ticket_queue"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()}"


class TicketMessage(models.Model):
    CANDIDATE = "candidate"
    STAFF = "staff"
    SYSTEM = "system"
    AUTHORS = [
        (CANDIDATE, _("考生")),
        (STAFF, _("技术支持")),
        (SYSTEM, _("系统")),
    ]

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("工单")
    )
    author_kind = models.CharField(_("发送方"), max_length=20, choices=AUTHORS)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("工作人员"),
    )
    text = models.TextField(_("内容"))
    # For system answers: the FAQ entries offered, [{"id", "question"}].
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("工单消息")
        verbose_name_plural = _("工单消息")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.get_author_kind_display()} {self.at:%H:%M}"


class TicketAction(models.Model):
    """Append-only audit of what staff did with a ticket, including actions on the attempt."""

    CLAIM = "claim"
    ASSIGN = "assign"
    CLOSE = "close"
    REOPEN = "reopen"
    UNLOCK = "unlock"
    MESSAGE = "message"
    WAIVE_STEP = "waive_step"
    ACTIONS = [
        (CLAIM, _("认领")),
        (ASSIGN, _("指派")),
        (CLOSE, _("关闭")),
        (REOPEN, _("重新打开")),
        (UNLOCK, _("解除作答锁定")),
        (MESSAGE, _("向考试页面发送消息")),
        (WAIVE_STEP, _("免除必需步骤")),
    ]

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="actions", verbose_name=_("工单")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("操作人"),
    )
    action = models.CharField(_("操作"), max_length=20, choices=ACTIONS)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("工单操作记录")
        verbose_name_plural = _("工单操作记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.get_action_display()}"
