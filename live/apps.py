from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save

from demos import http
from lessons import page_freshness


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live runs"

    def ready(self) -> None:
        from lessons import preview
        from live import runtime
        from live.models import DemoRun

        # A lesson page shows its runs so far: a run stored or deleted makes it stale.
        for signal in (post_save, post_delete):
            signal.connect(_runs_changed, sender=DemoRun, dispatch_uid="live.runs_changed")
        _configure_demos()
        # The admin's lesson preview is rate-limited by live's limiters (lessons sits below).
        preview.use_admission(runtime.admit_preview)
        setting_changed.connect(_setting_changed, dispatch_uid="live.configure_demos")


def _runs_changed(**kwargs: Any) -> None:
    page_freshness.runs_stored()


def _configure_demos() -> None:
    # demos imports no Django, so it is told where the weather service is.
    http.configure(url=settings.WEATHER_API_URL, timeout=settings.WEATHER_TIMEOUT)


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("WEATHER_API_URL", "WEATHER_TIMEOUT"):
        _configure_demos()
