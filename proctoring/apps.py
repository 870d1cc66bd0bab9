from django.apps import AppConfig


class ProctoringConfig(AppConfig):
    name = "proctoring"
    verbose_name = "监控"

    def ready(self) -> None:
        from proctoring import receivers
        from proctoring.api import schema_auth  # noqa: F401  (OpenAPI description of the phone's cookie)

        receivers.connect()
