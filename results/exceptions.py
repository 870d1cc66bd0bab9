from django.utils.translation import gettext_lazy as _

from examsite.exceptions import DomainError


class NotMarkable(DomainError):
    code = "not_markable"
    status = 404
    default_detail = _("该答案不需要人工阅卷（不是已交卷的简答题答案）。请从阅卷队列领取下一份答案。")


class AlreadyMarked(DomainError):
    code = "already_marked"
    status = 409
    default_detail = _("您已评阅过这份答案，不能再次给分。请领取下一份答案。")


class MarkingComplete(DomainError):
    code = "marking_complete"
    status = 409
    default_detail = _("这份答案的评阅已经完成，无需再给分。请领取下一份答案。")


class ClaimedByOther(DomainError):
    code = "claimed_by_other"
    status = 409
    default_detail = _("这份答案正由另一位阅卷人评阅。请领取下一份答案。")


class InvalidPoints(DomainError):
    code = "invalid_points"
    status = 400


class ResultsNotReady(DomainError):
    code = "results_not_ready"
    status = 409


class UnknownReceipt(DomainError):
    code = "unknown_receipt"
    status = 404
    default_detail = _("未找到该回执码。请核对交卷页面上显示的回执码（64 位字母和数字）后重试。")


class NoResult(DomainError):
    code = "no_result"
    status = 404
    default_detail = _("未找到您在该场次的成绩记录。请核对考试口令和证件号；如确认无误，请联系技术支持。")


class ResultTicketRequired(DomainError):
    code = "admission_ticket_required"
    status = 400
    default_detail = _("本场考试查询成绩需要填写准考证号。请输入准考证上的准考证号后重新查询。")


class AppealClosed(DomainError):
    code = "appeal_closed"
    status = 409


class AppealExists(DomainError):
    code = "appeal_exists"
    status = 409
    default_detail = _("您已提交过复核申请，正在处理中，请等待处理结果（在成绩查询页面查看）。")
