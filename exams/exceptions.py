from django.utils.translation import gettext_lazy as _

from examsite.exceptions import DomainError, InvalidInput

__all__ = ["DomainError", "InvalidInput"]


class UnknownPassword(DomainError):
    code = "unknown_password"
    status = 404
    default_detail = _("考试口令不存在，请核对准考证或考生须知上的 6 位口令后重新输入。")


class SessionExpired(DomainError):
    code = "session_expired"
    status = 410
    default_detail = _("场次已过期：该口令对应的考试已经结束。请关闭页面重新进入，并输入本场考试的正确口令。")


class ExamDayGate(DomainError):
    code = "exam_day_gate"
    status = 403
    default_detail = _("考试当天 8:00 前仅可调试设备。请使用设备调试口令检查设备，考试当天 8:00 后再输入正式考试口令。")


class NotOpenYet(DomainError):
    code = "not_open_yet"
    status = 403


class NotRegistered(DomainError):
    code = "not_registered"
    status = 403
    default_detail = _(
        "未找到您在本场考试的报名信息。请核对证件号（字母需大写）和考试口令；如确认无误，请联系技术支持。"
    )


class Late(DomainError):
    code = "late"
    status = 403
    default_detail = _("开考已超过 30 分钟，您未进行过本场考试的首次登录，视为迟到，无法参加本场考试。")


class Locked(DomainError):
    code = "locked"
    status = 423
    default_detail = _("离屏或重复登录次数已达上限，作答已锁定。请通过技术支持联系考务人员解锁。")


class NotStarted(DomainError):
    code = "not_started"
    status = 409
    default_detail = _("考试尚未开始，请在开考后作答。")


class Submitted(DomainError):
    code = "submitted"
    status = 409
    default_detail = _("您已交卷，答案不能再修改。")


class Collected(DomainError):
    code = "collected"
    status = 409
    default_detail = _("考试时间已到，系统已统一收卷，账号已失效。收卷前服务器收到的答案均已保存。")


class Superseded(DomainError):
    code = "superseded"
    status = 409
    default_detail = _("您的账号已在其他页面或设备登录，本页面已停止作答。请在最新登录的页面继续。")


class SubmitTooEarly(DomainError):
    code = "submit_too_early"
    status = 409


class InvalidAnswer(DomainError):
    code = "invalid_answer"
    status = 400


class IllegalTransition(DomainError):
    code = "illegal_transition"
    status = 409


class PhotoRequired(DomainError):
    code = "photo_required"
    status = 409
    default_detail = _(
        "本场考试要求先完成登录拍照才能开始答题。请返回登录拍照页面拍照；摄像头无法使用时请点击“技术支持”。"
    )


class PhoneRequired(DomainError):
    code = "phone_required"
    status = 409
    default_detail = _(
        "本场考试要求先连接手机监控（鹰眼）才能开始答题。请在信息确认页用手机扫描二维码；无法连接时请点击“技术支持”。"
    )


class SheetRequired(DomainError):
    code = "sheet_required"
    status = 409
    default_detail = _(
        "本场考试要求先向摄像头展示空白 A4 草稿纸才能开始答题。请点击“拍摄草稿纸”；无法拍摄时请点击“技术支持”。"
    )


class AdmissionTicketRequired(DomainError):
    code = "admission_ticket_required"
    status = 400
    default_detail = _("本场考试登录需要填写准考证号。请输入准考证上的准考证号后重新登录。")


class BackupRefused(DomainError):
    """An emergency backup file that cannot be read for this attempt (tampered, foreign...)."""

    code = "backup_refused"
    status = 400
