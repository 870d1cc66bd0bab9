from django.utils.translation import gettext_lazy as _

from examsite.exceptions import DomainError
from examsite.images import (  # noqa: F401  (image refusals, shared with support)
    InvalidImage,
    NotAnImage,
    UploadTooLarge,
)


class InvalidEvent(DomainError):
    code = "invalid_event"
    status = 400


class InvalidRecording(DomainError):
    """A recording chunk that is not a WebM file of allowed codecs, or too large."""

    code = "invalid_recording"
    status = 400
    default_detail = _("录像片段无法识别（格式不支持或文件过大），页面会继续录制下一段。请继续答题。")


class RecordingOff(DomainError):
    code = "recording_off"
    status = 409
    default_detail = _("本场次不进行全程录像，页面无需上传录像。请继续答题。")


class AppendOnlyViolation(Exception):
    """A programming error: events and evidence are never updated or deleted."""


# --- phone monitor (鹰眼监控) -------------------------------------------------------

class PairingUnknown(DomainError):
    code = "pairing_unknown"
    status = 404
    default_detail = _("二维码无效。请在电脑上重新生成二维码，再用手机扫描。")


class PairingUsed(DomainError):
    code = "pairing_used"
    status = 410
    default_detail = _("该二维码已被使用过，每个二维码只能使用一次。请在电脑上重新生成二维码。")


class PairingExpired(DomainError):
    code = "pairing_expired"
    status = 410
    default_detail = _("该二维码已过期。请在电脑上重新生成二维码。")


class PairingForeign(DomainError):
    code = "pairing_other_attempt"
    status = 403
    default_detail = _("该二维码属于其他考生的作答，不能在此使用。请在您自己的电脑上重新生成二维码。")


class NotAPhone(DomainError):
    code = "not_a_phone"
    status = 403
    default_detail = _(
        "这台设备看起来是考生自己的电脑，不能作为鹰眼监控手机。请用手机的相机或浏览器扫描电脑考试页上的二维码；"
        "在电脑考试页的手机提示条上点击“重新连接手机”可以显示新的二维码（不会离开全屏，不计离屏）。"
    )


class PhoneFactsRequired(DomainError):
    """The phone page claims its link with what it found about its device (a coarse fingerprint,
    touch points); a claim without them (no script ran, a hand-made request) is refused."""

    code = "phone_facts_required"
    status = 400
    default_detail = _(
        "手机页面没有发送设备信息，无法确认这是一部手机。请用手机自带的浏览器或相机扫描二维码，"
        "并允许页面运行脚本，然后点击“开始鹰眼监控”。"
    )


class AttemptNotOpen(DomainError):
    code = "attempt_not_open"
    status = 409
    default_detail = _("本场考试已结束或尚未登录，无需连接手机监控。")


class PhoneNotPaired(DomainError):
    code = "phone_not_paired"
    status = 403
    default_detail = _("手机尚未连接。请在电脑上生成二维码，再用手机扫描。")


class PhoneReplaced(DomainError):
    code = "phone_replaced"
    status = 409
    default_detail = _("已有另一部手机连接到本场作答，本手机的监控已停止。")


# --- review -----------------------------------------------------------------------

class ReviewForbidden(DomainError):
    code = "forbidden"
    status = 403
    default_detail = _("您没有审核作答的权限。")


class SameReviewer(DomainError):
    code = "same_reviewer"
    status = 409
    default_detail = _("取消成绩需要另一位审核人确认，不能由提出人本人确认。")


class DecisionNotPending(DomainError):
    code = "decision_not_pending"
    status = 409
    default_detail = _("该审核结论不是待确认的取消成绩。")


class AlreadyVoided(DomainError):
    code = "already_voided"
    status = 409
    default_detail = _("该作答的成绩已取消，审核结论不能再更改。")


# --- retention --------------------------------------------------------------------

class RetentionNotSet(DomainError):
    code = "retention_not_set"
    status = 409
    default_detail = _("该批次未设置监控资料保留期限，不能清除。")


class RetentionNotDue(DomainError):
    code = "retention_not_due"
    status = 409
    default_detail = _("监控资料保留期限未到，不能清除。")
