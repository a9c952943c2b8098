"""Login throttling with django-axes: its backend for async callers, and the lockout page."""

import math

from asgiref.sync import sync_to_async
from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    cooloff = settings.AXES_COOLOFF_TIME.total_seconds()
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": max(1, math.ceil(cooloff / 60)),
    }
    response = render(request, "login_throttled.html", context, status=429)
    response["Retry-After"] = str(math.ceil(cooloff))
    return response


class ThrottleBackend(AxesStandaloneBackend):
    """axes' backend, also for ``aauthenticate``.

    Django's ``aauthenticate`` awaits each backend's ``aauthenticate``, which
    axes does not define: an async login would fail with AttributeError
    instead of being checked against the throttle.
    """

    async def aauthenticate(self, request: HttpRequest, **credentials):
        return await sync_to_async(self.authenticate)(request, **credentials)
