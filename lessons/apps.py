from django.apps import AppConfig


class LessonsConfig(AppConfig):
    name = "lessons"
    verbose_name = "Courses and lessons"

    def ready(self) -> None:
        from lessons import page_freshness

        page_freshness.connect_signals()
