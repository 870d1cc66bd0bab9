"""Proctoring records: events and evidence (append-only), phone pairings, reviews.

Events and evidence are never edited or deleted: ``save()`` refuses to update a stored
row, ``delete()`` refuses, and their querysets refuse ``update()`` and ``delete()``. The
one way out is ``QuerySet.purge()``, used only by the data-retention service.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from proctoring.exceptions import AppendOnlyViolation


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyViolation(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise AppendOnlyViolation(f"{self.model.__name__} rows are append-only")

    def purge(self) -> int:
        """Remove rows for data retention (proctoring.services.retention.batch_evidence_purge only)."""
        deleted, _by_model = super().delete()
        return deleted


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyViolation(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation(f"{type(self).__name__} rows are append-only")


class ProctorEvent(AppendOnlyModel):
    """Append-only record of what happened during an attempt (监控记录)."""

    LOGIN = "login"
    RELOGIN = "relogin"
    PHOTO = "photo"
    SCREEN_LEAVE = "screen_leave"
    FULLSCREEN_EXIT = "fullscreen_exit"
    FOCUS_LOSS = "focus_loss"
    NETWORK_LOST = "network_lost"
    NETWORK_RESTORED = "network_restored"
    CAMERA_BLACK = "camera_black"
    CAMERA_MISSING = "camera_missing"
    CAMERA_DENIED = "camera_denied"
    CAMERA_LOST = "camera_lost"
    PHONE_CONNECTED = "phone_connected"
    PHONE_LOST = "phone_lost"
    PHONE_CAMERA_PROBLEM = "phone_camera_problem"
    PHONE_NOT_A_PHONE = "phone_not_a_phone"
    PHONE_TAKEOVER = "phone_takeover"
    LOUD_SOUND = "loud_sound"
    SCRATCH_PAPER = "scratch_paper"
    SUBMIT = "submit"
    COLLECT = "collect"
    LOCK = "lock"
    UNLOCK = "unlock"
    DEVICE_CHECK = "device_check"
    # Written by the server for the proctor wall and review (issue 14).
    RELOGIN_ELSEWHERE = "relogin_elsewhere"
    LEAVE_LIMIT_BY_LOGIN = "leave_limit_by_login"
    STEP_WAIVED = "step_waived"
    # The page's recorder lost part of the recording (camera or microphone stopped, recorder
    # failed, the offline queue dropped its oldest chunks): details say which stream and why.
    RECORDING_GAP = "recording_gap"
    KINDS = [
        (LOGIN, _("登录")),
        (RELOGIN, _("重新登录")),
        (PHOTO, _("登录拍照")),
        (SCREEN_LEAVE, _("离屏")),
        (FULLSCREEN_EXIT, _("退出全屏")),
        (FOCUS_LOSS, _("失去焦点")),
        (NETWORK_LOST, _("网络断开")),
        (NETWORK_RESTORED, _("网络恢复")),
        (CAMERA_BLACK, _("摄像头黑屏")),
        (CAMERA_MISSING, _("未检测到摄像头")),
        (CAMERA_DENIED, _("摄像头权限被拒绝")),
        (CAMERA_LOST, _("摄像头中断")),
        (PHONE_CONNECTED, _("手机监控已连接")),
        (PHONE_LOST, _("手机监控断开")),
        (PHONE_CAMERA_PROBLEM, _("手机摄像头画面异常")),
        (PHONE_NOT_A_PHONE, _("非手机设备尝试连接手机监控")),
        (PHONE_TAKEOVER, _("其他设备接管手机监控")),
        (LOUD_SOUND, _("持续声音")),
        (SCRATCH_PAPER, _("展示草稿纸")),
        (SUBMIT, _("交卷")),
        (COLLECT, _("收卷")),
        (LOCK, _("锁定")),
        (UNLOCK, _("解锁")),
        (DEVICE_CHECK, _("设备调试")),
        (RELOGIN_ELSEWHERE, _("在其他设备登录")),
        (LEAVE_LIMIT_BY_LOGIN, _("重复登录达到离屏上限")),
        (STEP_WAIVED, _("免除必需步骤")),
        (RECORDING_GAP, _("录像中断")),
    ]
    # Kinds a candidate's page may report; the others are written by the server.
    CLIENT_KINDS = (
        SCREEN_LEAVE, FULLSCREEN_EXIT, FOCUS_LOSS, NETWORK_LOST, NETWORK_RESTORED,
        CAMERA_BLACK, CAMERA_MISSING, CAMERA_DENIED, CAMERA_LOST, LOUD_SOUND, DEVICE_CHECK,
        RECORDING_GAP,
    )

    attempt = models.ForeignKey(
        "exams.Attempt", on_delete=models.PROTECT, related_name="proctor_events",
        verbose_name=_("作答"),
    )
    kind = models.CharField(_("类型"), max_length=32, choices=KINDS)
    at = models.DateTimeField(_("服务器时间"), db_index=True)
    client_time = models.DateTimeField(_("客户端时间"), null=True, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("监控记录")
        verbose_name_plural = _("监控记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["attempt", "at"], name="event_attempt_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.at:%H:%M:%S}"


class Evidence(AppendOnlyModel):
    """A photo or snapshot, stored privately and served only through an authorizing view."""

    LOGIN_PHOTO = "login_photo"
    SNAPSHOT = "snapshot"
    PHONE_SNAPSHOT = "phone_snapshot"
    SCRATCH_PAPER = "scratch_paper"
    KINDS = [
        (LOGIN_PHOTO, _("登录照片")),
        (SNAPSHOT, _("电脑摄像头抓拍")),
        (PHONE_SNAPSHOT, _("手机监控抓拍")),
        (SCRATCH_PAPER, _("A4 草稿纸")),
    ]

    attempt = models.ForeignKey(
        "exams.Attempt", on_delete=models.PROTECT, related_name="evidence", verbose_name=_("作答")
    )
    kind = models.CharField(_("类型"), max_length=32, choices=KINDS)
    storage_name = models.CharField(max_length=255, unique=True)
    # A ~160 px JPEG beside the file, made at upload (the live wall's tiles); blank for older rows.
    thumb_name = models.CharField(max_length=255, blank=True, default="")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    # The client's id for this capture makes a repeated upload idempotent.
    capture_id = models.CharField(max_length=64)
    captured_at = models.DateTimeField(_("拍摄时间（客户端）"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间（服务器）"), db_index=True)

    class Meta:
        verbose_name = _("监控图片")
        verbose_name_plural = _("监控图片")
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "capture_id"], name="one_file_per_capture"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class RecordingChunk(AppendOnlyModel):
    """One piece of the full-exam recording (全程录像): a complete WebM file of a few seconds
    from the computer's or the phone's camera and microphone, stored privately like evidence.

    ``started_at`` and ``duration_ms`` come from the page (its server-corrected clock), so the
    review can line chunks up with events and show what is missing as gaps. A chunk received
    after the attempt's end plus the grace is kept, flagged ``late``.
    """

    COMPUTER = "computer"
    PHONE = "phone"
    STREAMS = [(COMPUTER, _("电脑摄像头")), (PHONE, _("手机监控"))]

    attempt = models.ForeignKey(
        "exams.Attempt", on_delete=models.PROTECT, related_name="recording_chunks",
        verbose_name=_("作答"),
    )
    stream = models.CharField(_("来源"), max_length=8, choices=STREAMS)
    seq = models.PositiveIntegerField(_("序号"))
    started_at = models.DateTimeField(_("开始时间（客户端校准）"))
    duration_ms = models.PositiveIntegerField(_("时长（毫秒）"))
    received_at = models.DateTimeField(_("接收时间（服务器）"))
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=255, unique=True)
    late = models.BooleanField(_("迟到的录像"), default=False)

    class Meta:
        verbose_name = _("录像片段")
        verbose_name_plural = _("录像片段")
        ordering = ["attempt_id", "stream", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "stream", "seq"], name="one_chunk_per_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stream_display()} #{self.seq}"


class PhonePairing(models.Model):
    """A one-time, attempt-bound, expiring link that binds a phone (鹰眼监控) to an attempt.

    Only hashes are stored: the raw token lives in the QR code, the raw phone key in the
    phone's cookie. A newer claimed pairing of the same attempt replaces the older one.
    """

    attempt = models.ForeignKey(
        "exams.Attempt", on_delete=models.PROTECT, related_name="phone_pairings",
        verbose_name=_("作答"),
    )
    token_hash = models.CharField(max_length=64, unique=True)
    phone_key_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("生成时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("扫码连接时间"), null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    lost_at = models.DateTimeField(_("断开时间"), null=True, blank=True)
    replaced_at = models.DateTimeField(_("被新连接替换"), null=True, blank=True)
    user_agent = models.CharField(_("手机浏览器"), max_length=300, blank=True)
    # Why the phone counts as lost since ``lost_at``: "silent" (no heartbeat), "no_images",
    # or a camera problem of proctoring.image_checks ("black", "uniform", "frozen", "stopped").
    lost_reason = models.CharField(_("断开原因"), max_length=16, blank=True)
    live_since = models.DateTimeField(_("正常监控开始时间"), null=True, blank=True)
    last_good_image_at = models.DateTimeField(_("最近正常画面"), null=True, blank=True)
    last_image_signature = models.BinaryField(null=True, blank=True, editable=False)
    # Coarse device fingerprints (proctoring.phone_rules.fingerprint_hash): the computer's, reported
    # when it showed this QR code, and the phone's, reported when it claimed it. A phone whose
    # fingerprint is one of the attempt's computer fingerprints is refused (not_a_phone).
    computer_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    phone_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("手机监控连接")
        verbose_name_plural = _("手机监控连接")
        ordering = ["created_at", "id"]
        indexes = [
            # The sweep looks only at connected phones that are not yet flagged.
            models.Index(
                fields=["last_heartbeat_at"],
                condition=models.Q(
                    used_at__isnull=False, lost_at__isnull=True, replaced_at__isnull=True
                ),
                name="phone_watch",
            ),
        ]

    def __str__(self) -> str:
        return f"phone #{self.pk} / attempt {self.attempt_id}"


class ReviewDecision(models.Model):
    """A reviewer's conclusion on an attempt. A void waits for a second, different reviewer."""

    CLEAR = "clear"
    WARNING = "warning"
    VOID = "void"
    DECISIONS = [
        (CLEAR, _("无异常")),
        (WARNING, _("警告")),
        (VOID, _("取消成绩")),
    ]
    PENDING = "pending"
    EFFECTIVE = "effective"
    WITHDRAWN = "withdrawn"
    STATUSES = [
        (PENDING, _("待第二人确认")),
        (EFFECTIVE, _("已生效")),
        (WITHDRAWN, _("已撤回")),
    ]

    attempt = models.ForeignKey(
        "exams.Attempt", on_delete=models.PROTECT, related_name="review_decisions",
        verbose_name=_("作答"),
    )
    decision = models.CharField(_("审核结论"), max_length=20, choices=DECISIONS)
    reason = models.TextField(_("理由"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("审核人"),
    )
    at = models.DateTimeField(_("审核时间"))
    status = models.CharField(_("状态"), max_length=20, choices=STATUSES)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
        blank=True, verbose_name=_("确认人"),
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审核结论")
        verbose_name_plural = _("审核结论")
        ordering = ["at", "id"]
        permissions = [
            ("decide_attempt", _("可以审核作答、记录和确认结论")),
            ("unlock_attempt", _("可以在审核页解锁作答")),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.get_status_display()})"


class RegisteredPhoto(models.Model):
    """The candidate's registration photo, imported by organizers; stored like evidence."""

    candidate = models.OneToOneField(
        "candidates.Candidate", on_delete=models.PROTECT, related_name="registered_photo",
        verbose_name=_("考生"),
    )
    storage_name = models.CharField(max_length=255, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    source_name = models.CharField(_("导入文件名"), max_length=255, blank=True)
    uploaded_at = models.DateTimeField(_("导入时间"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
        blank=True, verbose_name=_("导入人"),
    )

    class Meta:
        verbose_name = _("报名照片")
        verbose_name_plural = _("报名照片")
        ordering = ["candidate_id"]

    def __str__(self) -> str:
        return f"{self.candidate}"
