from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = "考试"

    def ready(self) -> None:
        from exams import papers  # noqa: F401  (cache invalidation receivers)
