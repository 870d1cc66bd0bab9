from django.db import models
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
        return f"{self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%H:%M}"
