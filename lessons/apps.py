from django.apps import AppConfig


class LessonsConfig(AppConfig):
    name = "lessons"
    verbose_name = "Lessons and demos"

    def ready(self) -> None:
        from lessons import checks, page_freshness  # noqa: F401 (checks registers on import)

        page_freshness.connect_signals()
