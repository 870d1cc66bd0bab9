from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "技术支持"

    def ready(self) -> None:
        from exams.api.organizer_serializers import batch_field_add
        from exams.services.batch_sections import batch_section_register
        from support import receivers
        from support.api.organizer_serializers import StaffedPeriodSerializer
        from support.staffed_hours import SUPPORT_HOURS

        receivers.connect()
        batch_section_register(SUPPORT_HOURS)
        batch_field_add(
            "staffed_periods",
            lambda: StaffedPeriodSerializer(many=True, read_only=True),
            prefetch="staffed_periods",
        )
