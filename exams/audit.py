"""What an attempt's audit row (``AttemptAudit.action``) can say happened.

The values are stored in the database: never rename or reuse one. To add an action, add a
member here (value: lowercase English, at most 40 characters; label: Chinese, with its English
translation in ``locale/en``) and pass it to ``attempt_audit`` / ``attempt_transition``. The
field's ``choices`` point at ``audit_action_choices``, so a new member needs no migration.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # A candidate's way through the exam (exams).
    REGISTERED = "registered", _("报名")
    LOGIN = "login", _("登录")
    RELOGIN = "relogin", _("重新登录")
    START = "start", _("开始作答")
    SUBMIT = "submit", _("交卷")
    LOCK = "lock", _("锁定")
    # The clock (exams: collection and the sweep).
    COLLECT = "collect", _("统一收卷")
    LATE = "late", _("迟到")
    ABSENT = "absent", _("缺考")
    # Staff on a live attempt (exams' organizer actions, also called by support).
    UNLOCK = "unlock", _("解除作答锁定")
    EXTRA_TIME = "extra_time", _("延长时间")
    MESSAGE = "message", _("向考试页面发送消息")
    # The end of the exam and its repair (exams.services: answering, recovery, late_answers, backups).
    GRACE_ANSWERS = "grace_answers", _("收卷后宽限期内收到的答案计入")
    SESSION_EXTRA_TIME = "session_extra_time", _("全场补时")
    READMIT = "readmit", _("准予补录")
    REOPEN = "reopen", _("重开作答")
    ACCEPT_LATE_ANSWERS = "accept_late_answers", _("采纳截止后收到的答案")
    BACKUP_IMPORT = "backup_import", _("导入作答备份")
    # Review (proctoring).
    DECISION = "decision", _("审核结论生效")
    VOID_PROPOSED = "void_proposed", _("提出取消成绩（待确认）")
    VOID_WITHDRAWN = "void_withdrawn", _("撤回取消成绩")
    RECORDING_PLAYED = "recording_played", _("观看录像")
    # Required steps and identity (exams.services.steps, exams.services.journey).
    STEP_DONE = "step_done", _("完成考前步骤")
    STEP_WAIVED = "step_waived", _("免除考前步骤")
    LEAVE_LIMIT_BY_LOGIN = "leave_limit_by_login", _("重复登录达到离屏上限")
    DEVICE_CHECK_AGAIN = "device_check_again", _("再次进行设备调试")
    # Results (results.services).
    MARK = "mark", _("阅卷评分")
    MARKS_DISCARDED = "marks_discarded", _("答案变更，原评分作废")
    APPEAL = "appeal", _("申请成绩复核")
    APPEAL_RESOLVED = "appeal_resolved", _("成绩复核处理完毕")
    RESULTS_PUBLISH = "results_publish", _("发布成绩")


def audit_action_choices() -> Sequence[tuple[str, str | Promise]]:
    """``AttemptAudit.action``'s choices, read when used (migrations refer to this function)."""
    return AuditAction.choices
