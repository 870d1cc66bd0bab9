from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = "成绩"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from results import receivers

        receivers.connect()
