"""Refusals of the support app; examsite.errors turns them into ``{"code", "detail"}``."""

from django.utils.translation import gettext_lazy as _

from examsite.exceptions import DomainError, InvalidInput
from examsite.images import NotAnImage, UploadTooLarge

__all__ = [
    "AlreadyClaimed",
    "IllegalTicketAction",
    "InvalidInput",
    "NoAttempt",
    "NotAnImage",
    "NotLocked",
    "TicketNotFound",
    "TooManyTickets",
    "UploadTooLarge",
]


class TicketNotFound(DomainError):
    code = "not_found"
    status = 404
    default_detail = _("工单不存在。")


class AlreadyClaimed(DomainError):
    code = "already_claimed"
    status = 409
    default_detail = _("该工单已由其他工作人员认领。")


class IllegalTicketAction(DomainError):
    code = "illegal_ticket_action"
    status = 409
    default_detail = _("工单当前状态不允许该操作。")


class NoAttempt(DomainError):
    code = "no_attempt"
    status = 409
    default_detail = _("该工单没有关联的作答。")


class NotLocked(DomainError):
    code = "not_locked"
    status = 409
    default_detail = _("该作答未被锁定，无需解锁。")


class TooManyTickets(DomainError):
    code = "too_many_tickets"
    status = 429
    default_detail = _("您已有多个未关闭的工单，请在已有工单中继续留言。")
