from __future__ import annotations

import zoneinfo
from datetime import time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from exams import answer_rules, rules, statuses
from exams.audit import audit_action_choices

TIME_ZONES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class ExamBatch(models.Model):
    """Sessions announced together in one notice (批次)."""

    name = models.CharField(_("批次名称"), max_length=200)
    slug = models.SlugField(_("网址标识"), max_length=64, unique=True)
    time_zone = models.CharField(
        _("时区"), max_length=64, choices=TIME_ZONES, default="Asia/Shanghai"
    )
    notice = models.TextField(_("须知补充说明"), blank=True)
    evidence_retention_until = models.DateField(_("监控资料保留至"), null=True, blank=True)
    # A third login factor (准考证号), off by default as in the notice.
    login_requires_admission_ticket = models.BooleanField(_("登录需填写准考证号"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("批次")
        verbose_name_plural = _("批次")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Paper(models.Model):
    batch = models.ForeignKey(
        ExamBatch, on_delete=models.PROTECT, related_name="papers", null=True, blank=True,
        verbose_name=_("批次"),
    )
    # The paper's name in a batch definition file (load_batch); blank for papers made in admin.
    key = models.CharField(_("文件标识"), max_length=64, blank=True, default="")
    name = models.CharField(_("试卷名称"), max_length=200)
    subject = models.CharField(_("科目"), max_length=200, blank=True)
    pass_mark = models.DecimalField(
        _("合格分数线"), max_digits=8, decimal_places=2, null=True, blank=True,
        help_text=_("总分达到此分数为合格；留空表示不判定合格与否。"),
    )
    MARKING_SINGLE = "single"
    MARKING_DOUBLE = "double"
    MARKING_MODES = [(MARKING_SINGLE, _("单评")), (MARKING_DOUBLE, _("双评"))]
    marking = models.CharField(_("阅卷方式"), max_length=10, choices=MARKING_MODES, default=MARKING_SINGLE)
    marking_tolerance = models.DecimalField(
        _("双评允许分差"), max_digits=6, decimal_places=2, default=0,
        help_text=_("双评时两位阅卷人给分相差不超过此值取平均分，否则由第三位阅卷人评定。"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("试卷")
        verbose_name_plural = _("试卷")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "key"], condition=~models.Q(key=""), name="paper_key_per_batch"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def total_points(self):
        return sum(q.points for q in self.questions.all())


class Question(models.Model):
    SINGLE = "single_choice"
    MULTIPLE = "multiple_choice"
    TRUE_FALSE = "true_false"
    FILL_IN = "fill_in"
    ESSAY = "essay"
    KINDS = [
        (SINGLE, _("单选题")),
        (MULTIPLE, _("多选题")),
        (TRUE_FALSE, _("判断题")),
        (FILL_IN, _("填空题")),
        (ESSAY, _("简答题")),
    ]
    OBJECTIVE = (SINGLE, MULTIPLE, TRUE_FALSE, FILL_IN)

    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="questions", verbose_name=_("试卷")
    )
    position = models.PositiveIntegerField(_("序号"), default=0)
    kind = models.CharField(_("题型"), max_length=20, choices=KINDS)
    text = models.TextField(_("题干"))
    # [{"key": "A", "text": "..."}] for choice questions; empty otherwise.
    choices = models.JSONField(_("选项"), default=list, blank=True)
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2, default=1)
    # Never sent to candidates. single: "A"; multiple: ["A","C"]; true_false: true/false;
    # fill_in: ["accepted answer", ...]; essay: null (marked by hand).
    correct = models.JSONField(_("标准答案"), null=True, blank=True)
    # Shown to markers beside an essay answer; never sent to candidates.
    rubric = models.TextField(_("评分标准"), blank=True)

    class Meta:
        verbose_name = _("试题")
        verbose_name_plural = _("试题")
        ordering = ["paper_id", "position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.text[:40]}"

    def clean(self) -> None:
        errors = answer_rules.question_errors(kind=self.kind, choices=self.choices, correct=self.correct)
        if errors:
            raise ValidationError(errors)


password_validator = RegexValidator(r"^\d{6}$", _("考试口令必须是 6 位数字。"))


class ExamSession(models.Model):
    """One sitting with its own password and window (场次)."""

    DEVICE_CHECK = "device_check"
    MOCK = "mock"
    FORMAL = "formal"
    KINDS = [
        (DEVICE_CHECK, _("设备调试")),
        (MOCK, _("集中模拟测试")),
        (FORMAL, _("正式考试")),
    ]

    batch = models.ForeignKey(
        ExamBatch, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("批次")
    )
    # The session's name in a batch definition file (load_batch); blank for sessions made in admin.
    key = models.CharField(_("文件标识"), max_length=64, blank=True, default="")
    kind = models.CharField(_("类型"), max_length=20, choices=KINDS, default=FORMAL)
    name = models.CharField(_("场次名称"), max_length=200)
    subject = models.CharField(_("科目"), max_length=200, blank=True)
    paper = models.ForeignKey(
        Paper, on_delete=models.PROTECT, related_name="sessions", null=True, blank=True,
        verbose_name=_("试卷"),
    )
    password = models.CharField(
        _("考试口令"), max_length=6, validators=[password_validator], db_index=True
    )
    starts_at = models.DateTimeField(_("开考时间"))
    ends_at = models.DateTimeField(_("结束时间"))

    # Rule fields (SPEC.md "Session windows and passwords"); defaults by kind in
    # exams.rules.KIND_DEFAULTS, applied by services when a field is not given.
    login_opens_before = models.DurationField(_("提前登录时长"), default=timedelta(minutes=30))
    late_after = models.DurationField(
        _("迟到截止（开考后）"), null=True, blank=True, default=timedelta(minutes=30),
        help_text=_("留空表示不限制迟到（设备调试）。"),
    )
    min_answer_time = models.DurationField(
        _("最小答题时长"), null=True, blank=True, default=timedelta(minutes=60),
        help_text=_("开考后经过该时长才可交卷；留空表示随时可交卷。"),
    )
    exam_day_gate = models.TimeField(
        _("考试当天开放登录时间"), null=True, blank=True, default=time(8, 0),
        help_text=_("正式考试当天此时刻（批次时区）之前口令不可用，仅可调试设备。"),
    )
    password_published_at = models.DateTimeField(
        _("口令公布时间"), null=True, blank=True,
        help_text=_("留空：正式考试默认开考前一周公布，其他场次立即公布。"),
    )
    max_screen_leaves = models.PositiveSmallIntegerField(
        _("离屏次数上限"), null=True, blank=True, default=5,
        help_text=_("达到上限锁定作答；留空表示不锁定。"),
    )
    lock_screen = models.BooleanField(_("锁屏"), default=True)
    # Required steps (SPEC.md "Proctoring"): the server refuses to start answering until each
    # is done or waived. Defaults by kind in exams.rules.KIND_DEFAULTS.
    requires_login_photo = models.BooleanField(_("需登录拍照"), default=True)
    requires_phone_monitor = models.BooleanField(_("需手机监控（鹰眼）"), default=False)
    requires_scratch_paper = models.BooleanField(_("需展示 A4 草稿纸"), default=False)
    snapshot_interval_seconds = models.PositiveIntegerField(_("抓拍间隔（秒）"), default=30)
    # Full-exam recording (全程视频及音频监控): off, snapshots only, or camera video and microphone
    # audio in chunks (settings RECORDING_*). Defaults by kind in exams.rules.KIND_DEFAULTS.
    RECORDING_OFF = "off"
    RECORDING_SNAPSHOTS = "snapshots"
    RECORDING_VIDEO = "video"
    RECORDING_MODES = [
        (RECORDING_OFF, _("不录制")),
        (RECORDING_SNAPSHOTS, _("仅定时抓拍")),
        (RECORDING_VIDEO, _("全程录像录音")),
    ]
    recording = models.CharField(
        _("全程录制"), max_length=12, choices=RECORDING_MODES, default=RECORDING_VIDEO,
        help_text=_("全程录像录音：电脑（及需手机监控时的手机）摄像头和麦克风分段上传；设备调试场次默认不录制。"),
    )
    # Set by the sweep, for the record (the rules derive everything from the clock).
    password_announced_at = models.DateTimeField(_("口令已公布"), null=True, blank=True)
    expired_at = models.DateTimeField(_("已过期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("场次")
        verbose_name_plural = _("场次")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["password", "ends_at"], name="session_password_open")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["batch", "key"], condition=~models.Q(key=""), name="session_key_per_batch"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def rules(self) -> rules.SessionRules:
        return rules.SessionRules(
            kind=self.kind,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            time_zone=self.batch.time_zone,
            login_opens_before=self.login_opens_before,
            late_after=self.late_after,
            min_answer_time=self.min_answer_time,
            exam_day_gate=self.exam_day_gate,
            password_published_at=self.password_published_at,
            max_screen_leaves=self.max_screen_leaves,
            lock_screen=self.lock_screen,
        )

    def clean(self) -> None:
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("结束时间必须晚于开考时间。")
        if self.kind == self.DEVICE_CHECK and self.max_screen_leaves is not None and self.lock_screen:
            errors["lock_screen"] = _("设备调试场次不锁屏。")
        if errors:
            raise ValidationError(errors)


class Attempt(models.Model):
    """One candidate's sitting of one session (作答)."""

    STATES = [
        (statuses.REGISTERED, _("未登录")),
        (statuses.CHECKED_IN, _("已登录")),
        (statuses.IN_PROGRESS, _("作答中")),
        (statuses.SUBMITTED, _("已交卷")),
        (statuses.COLLECTED, _("已收卷")),
        (statuses.LATE, _("迟到")),
        (statuses.ABSENT, _("缺考")),
    ]
    DECISIONS = [
        (statuses.DECISION_NONE, _("未审核")),
        (statuses.DECISION_CLEAR, _("无异常")),
        (statuses.DECISION_WARNING, _("警告")),
        (statuses.DECISION_VOIDED, _("取消成绩")),
    ]

    registration = models.OneToOneField(
        "candidates.Registration", on_delete=models.PROTECT, related_name="attempt",
        verbose_name=_("报名"),
    )
    # Denormalized from the registration: the sweep updates attempts by session.
    session = models.ForeignKey(
        ExamSession, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("场次")
    )
    state = models.CharField(_("状态"), max_length=20, choices=STATES, default=statuses.REGISTERED)
    prior_state = models.CharField(max_length=20, blank=True, editable=False)
    deadline = models.DateTimeField(_("截止时间"))
    extra_minutes = models.PositiveIntegerField(_("延长分钟"), default=0)
    locked = models.BooleanField(_("已锁定"), default=False)
    leaves_used = models.PositiveIntegerField(_("离屏次数"), default=0)
    # Granted by an unlock: the limit for this attempt is the session's plus these.
    extra_leaves = models.PositiveIntegerField(_("解锁追加离屏次数"), default=0)
    # Set by a re-admit (exams.services.recovery): this candidate may log in after the late cutoff.
    readmitted_at = models.DateTimeField(_("准予补录登录"), null=True, blank=True)
    login_count = models.PositiveIntegerField(_("登录次数"), default=0)
    # The one live client: a new login replaces it and the old page can no longer write.
    client_id = models.CharField(max_length=32, blank=True, editable=False)
    last_seq = models.BigIntegerField(_("最大已确认序号"), default=0)
    current_question = models.BigIntegerField(null=True, blank=True, editable=False)
    # Required steps, stored here so that a login anywhere knows what is already done
    # (exams.services.steps). ``waived_steps``: step names waived by support staff.
    login_photo_at = models.DateTimeField(_("登录拍照完成"), null=True, blank=True)
    phone_paired_at = models.DateTimeField(_("手机监控已连接"), null=True, blank=True)
    scratch_paper_at = models.DateTimeField(_("A4 草稿纸已展示"), null=True, blank=True)
    waived_steps = models.JSONField(_("已免除的步骤"), default=list, blank=True)
    checked_in_at = models.DateTimeField(_("首次登录"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始作答"), null=True, blank=True)
    finished_at = models.DateTimeField(_("交卷/收卷时间"), null=True, blank=True)
    receipt = models.CharField(_("回执"), max_length=64, blank=True)
    score = models.DecimalField(_("客观题得分"), max_digits=8, decimal_places=2, null=True, blank=True)
    needs_marking = models.BooleanField(_("待人工阅卷"), default=False)
    decision = models.CharField(
        _("审核结论"), max_length=20, choices=DECISIONS, default=statuses.DECISION_NONE, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("作答")
        verbose_name_plural = _("作答")
        ordering = ["session_id", "id"]
        permissions = [
            ("grant_extra_time", _("可为考生延长考试时间")),
            ("unlock_attempt", _("可解锁被锁定的作答")),
            ("message_attempt", _("可向考生页面发送消息")),
            ("monitor_session", _("可查看实时监控")),
            ("waive_step", _("可为考生免除一项必需步骤")),
            ("recover_attempt", _("可补录、重开作答，采纳截止后收到的答案")),
        ]
        indexes = [
            models.Index(fields=["session", "state", "deadline"], name="attempt_session_state"),
        ]

    def __str__(self) -> str:
        return f"{self.registration.candidate.name} / {self.session.name}"

    @property
    def is_open(self) -> bool:
        return self.state in statuses.OPEN

    def is_superseded_for(self, client_id: str) -> bool:
        """One live page per attempt: while open, only the latest login's page may act on it."""
        return self.is_open and (not client_id or self.client_id != client_id)

    @property
    def is_finished(self) -> bool:
        return self.state in statuses.FINISHED


class Answer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    value = models.JSONField(null=True)
    seq = models.BigIntegerField()
    saved_at = models.DateTimeField()

    class Meta:
        verbose_name = _("答案")
        verbose_name_plural = _("答案")
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="one_answer_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}/{self.question_id} #{self.seq}"


class LateAnswer(models.Model):
    """Entries that arrived after the deadline and its grace: kept as evidence, never counted
    unless an organizer accepts them (``exams.services.late_answers``)."""

    NETWORK = "network"
    BACKUP = "backup"
    SOURCES = [(NETWORK, _("网络迟到")), (BACKUP, _("作答备份文件"))]

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="late_answers")
    question_id_sent = models.BigIntegerField(_("试题编号"))
    value = models.JSONField(_("作答内容"), null=True)
    seq = models.BigIntegerField(_("序号"))
    received_at = models.DateTimeField(_("收到时间"))
    source = models.CharField(_("来源"), max_length=10, choices=SOURCES, default=NETWORK)
    # Backup entries: when the page recorded it, by its clock corrected to the server's.
    recorded_at = models.DateTimeField(_("作答时间（已校正）"), null=True, blank=True)
    applied_at = models.DateTimeField(_("已采纳"), null=True, blank=True)

    class Meta:
        verbose_name = _("截止后收到的答案")
        verbose_name_plural = _("截止后收到的答案")
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.attempt_id}/{self.question_id_sent} #{self.seq} (late, {self.source})"


class BackupKey(models.Model):
    """A batch's key pair for candidates' emergency answer backups (exams.services.backups).

    The public key is handed to the exam page; the private key never leaves the server: it is
    stored encrypted with a key derived from SECRET_KEY, and no admin page or API shows it.
    """

    batch = models.OneToOneField(ExamBatch, on_delete=models.CASCADE, related_name="backup_key")
    key_id = models.CharField(max_length=32, unique=True)
    public_key = models.TextField()  # SubjectPublicKeyInfo, base64 DER
    private_key_sealed = models.TextField(editable=False)  # PKCS#8 PEM, encrypted
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"backup key {self.key_id}"


class AttemptAudit(models.Model):
    """Append-only history of every state change and organizer action on an attempt."""

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="audit")
    action = models.CharField(max_length=40, choices=audit_action_choices)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("作答审计")
        verbose_name_plural = _("作答审计")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.action} {self.from_state}->{self.to_state}"
