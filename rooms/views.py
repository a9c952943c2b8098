"""The join page: a room's code (typed, or its link) leads to the teacher's lesson."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from live.limits import client_key
from rooms import codes, runtime, selectors


@require_safe
async def join_form(request: HttpRequest) -> HttpResponse:
    """Where a reader types a code; ``?code=`` goes on to that room."""
    typed = request.GET.get("code")
    if typed is None:
        return render(request, "rooms/join.html", {})
    code = codes.normalize(typed)
    if code is None:
        return render(
            request,
            "rooms/join.html",
            {"typed": typed[:20], "problem": "That is not a room code: it looks like ABCD-EFGH."},
            status=400,
        )
    return HttpResponseRedirect(f"/rooms/{codes.shown(code)}/")


@require_safe
async def join(request: HttpRequest, code: str) -> HttpResponse:
    """An open room sends the reader to its lesson, following; any other code says why not."""
    wait = await runtime.join_limiter().admit(
        f"join:{client_key(request.META.get('REMOTE_ADDR', ''))}"
    )
    if wait:
        response = render(
            request,
            "rooms/ended.html",
            {"heading": "Too many room codes tried",
             "explanation": f"Try again in {max(1, round(wait))} seconds."},
            status=429,
        )  # fmt: skip
        response["Retry-After"] = str(max(1, round(wait)))
        return response
    checked = codes.normalize(code)
    found = await selectors.room_by_code(code=checked) if checked else selectors.Found("unknown")
    if found.status == "open":
        return HttpResponseRedirect(
            f"{found.lesson_url}?{urlencode({'room': codes.shown(checked)})}"
        )
    shown = codes.shown(checked) if checked else code[:20]
    if found.status == "unknown":
        context = {
            "heading": f"There is no room {shown}",
            "explanation": "Check the code with your teacher: it looks like ABCD-EFGH.",
        }
        return render(request, "rooms/ended.html", context, status=404)
    context = {"heading": f"Room {shown} has ended",
               "explanation": f"{found.teacher} closed it, or it was left idle. "
                              "Ask your teacher for the new code."}  # fmt: skip
    return render(request, "rooms/ended.html", context, status=410)
