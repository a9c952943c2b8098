from django.apps import AppConfig


class TutorialSiteConfig(AppConfig):
    name = "tutorialsite"
    verbose_name = "Site"

    def ready(self) -> None:
        from tutorialsite import checks  # noqa: F401 (registers on import)
