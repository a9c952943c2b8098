"""The admin's lesson editor: the body's widget and its live preview endpoint.

The widget is a plain textarea that static/js/lesson-editor.js turns into a
Markdown editor with a preview beside it; without JavaScript the textarea is
the form field, as before. The endpoint answers lessons.preview.preview as JSON.
"""

import json
import math

from asgiref.sync import sync_to_async
from django import forms
from django.http import HttpRequest, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lessons import preview

# What the preview frame loads to look like a lesson page (templates/base.html, lesson_detail).
PREVIEW_STYLESHEETS = (
    "css/site.css",
    "css/highlight.css",
    "css/demo.css",
    "css/code-editor.css",
    "css/updates.css",
    "css/lesson-editor.css",  # what the preview adds: which demo goes where
)


class MarkdownEditor(forms.Textarea):
    """The lesson body's textarea, marked for the editor script and told where to preview."""

    def __init__(self, attrs=None) -> None:
        super().__init__({"rows": 30, "spellcheck": "true", **(attrs or {})})

    @property
    def media(self) -> forms.Media:
        return forms.Media(
            css={"all": ["css/lesson-editor.css"]},
            js=[forms.Script("js/lesson-editor.js", type="module")],
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # Set when rendered: the admin's URLs and the static files' names are known by then.
        context["widget"]["attrs"].update(
            {
                "data-lesson-editor": "",
                "data-preview-url": reverse("admin:lessons_lesson_preview"),
                "data-preview-styles": json.dumps([static(path) for path in PREVIEW_STYLESHEETS]),
            }
        )
        return context


@never_cache
@require_POST
async def lesson_preview(request: HttpRequest) -> JsonResponse:
    """POST body=<Markdown>: {html, errors: [{line, message}], claims: [...]}; saves nothing."""
    user = await request.auser()
    if not (user.is_active and user.is_staff and await user.ahas_perm("lessons.change_lesson")):
        return JsonResponse(
            {"error": "Only staff who may change lessons can preview them."}, status=403
        )
    try:
        wait = await preview.admit(user.pk)
    except preview.PreviewUnavailable:
        return JsonResponse({"error": "The preview is unavailable for a moment."}, status=503)
    if wait:
        seconds = math.ceil(wait)
        response = JsonResponse(
            {
                "error": f"Too many previews in a short while: the next one in {seconds} s.",
                "retry_after": seconds,
            },
            status=429,
        )
        response["Retry-After"] = str(seconds)
        return response
    # On the thread a save renders on: a preview costs the server what a save costs.
    answer = await sync_to_async(preview.preview)(request.POST.get("body", ""))
    return JsonResponse(answer)
