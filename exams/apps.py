from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = "考试"

    def ready(self) -> None:
        from exams import paper_cache  # noqa: F401  (cache invalidation receivers)
        from exams.api import schema_auth  # noqa: F401  (OpenAPI descriptions of candidate auth)
