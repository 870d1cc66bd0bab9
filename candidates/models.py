from django.db import models
from django.utils.translation import gettext_lazy as _

from candidates import idnumbers


class Candidate(models.Model):
    name = models.CharField(_("姓名"), max_length=100)
    document_type = models.CharField(
        _("证件类型"), max_length=32, choices=idnumbers.DOCUMENT_TYPES,
        default=idnumbers.RESIDENT_ID,
    )
    # Stored normalized (uppercase, checksum verified); logins look it up directly.
    id_number = models.CharField(_("证件号"), max_length=32, unique=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("考生")
        verbose_name_plural = _("考生")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({idnumbers.mask(self.id_number)})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            self.id_number = idnumbers.normalize(self.id_number, self.document_type)
        except idnumbers.InvalidIdNumber as error:
            raise ValidationError({"id_number": error.message}) from None


class Registration(models.Model):
    """A candidate's seat in one session (报名 / 准考证)."""

    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, related_name="registrations",
        verbose_name=_("考生"),
    )
    session = models.ForeignKey(
        "exams.ExamSession", on_delete=models.PROTECT, related_name="registrations",
        verbose_name=_("场次"),
    )
    admission_ticket = models.CharField(_("准考证号"), max_length=40, blank=True)
    subject = models.CharField(_("科目"), max_length=200, blank=True)
    # What the device check found (camera, photo, browser, round trip); organizers read it.
    device_check = models.JSONField(_("设备调试结果"), default=dict, blank=True)
    device_checked_at = models.DateTimeField(_("设备调试时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        constraints = [
            models.UniqueConstraint(fields=["session", "candidate"], name="one_seat_per_session"),
        ]
        ordering = ["session_id", "id"]

    def __str__(self) -> str:
        return f"{self.candidate} @ {self.session}"


class DeviceCheckRun(models.Model):
    """One run of the device check (设备调试); the registration keeps the latest for organizers."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="device_check_runs", verbose_name=_("报名"),
    )
    result = models.JSONField(_("设备调试结果"), default=dict, blank=True)
    checked_at = models.DateTimeField(_("设备调试时间"))

    class Meta:
        verbose_name = _("设备调试记录")
        verbose_name_plural = _("设备调试记录")
        ordering = ["registration_id", "-checked_at", "-id"]
        indexes = [models.Index(fields=["registration", "checked_at"], name="device_check_run_latest")]

    def __str__(self) -> str:
        return f"{self.registration_id} @ {self.checked_at.isoformat()}"
