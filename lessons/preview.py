"""The admin's live preview of a lesson body: what readers would get, and what a save would say.

The body goes through render_markdown, the function a save uses, so its bounds
(lessons.body_limits) hold here as they do there, and the HTML is the sanitized
HTML readers get. Nothing is written: a preview works for a draft and for a
lesson not saved yet.
"""

import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator

from lessons.claim_checks import format_value
from lessons.claims import MAX_CLAIM_CHARS, OPEN, Claim, ClaimError
from lessons.models import ClaimCheck
from lessons.rendering import BodyError, render_markdown

# Errors about a block name the line it starts on (lessons.rendering), as "Line N: ...".
_LINE = re.compile(r"\ALine (\d+): ")


def preview(text: str) -> dict[str, Any]:
    """``{html, toc, errors, claims}`` for the editor; errors are what a save would refuse."""
    try:
        # The admin form's field refuses NUL before the body is rendered; Markdown would
        # quietly turn it into U+FFFD and the preview would pass a text a save refuses.
        ProhibitNullCharactersValidator()(text)
    except ValidationError as exc:
        return {"html": "", "toc": [], "errors": [error_at(exc.messages[0])], "claims": []}
    try:
        rendered = render_markdown(text)
    except BodyError as exc:
        # A save stops at the first error, so the preview shows that one, at its line.
        error = error_at(str(exc))
        if error["line"] is None and isinstance(exc, ClaimError):
            error["line"] = claim_line(text, str(exc))
        claims = claim_rows(text, exc.claims, exc.claim_lines) if exc.claims is not None else []
        return {"html": "", "toc": [], "errors": [error], "claims": claims}
    return {
        "html": rendered.html,
        "toc": rendered.toc,
        "errors": [],
        "claims": claim_rows(text, rendered.claims, rendered.claim_lines),
    }


def error_at(message: str) -> dict[str, Any]:
    """The message as the save gives it, and the line it names (None for the whole text)."""
    match = _LINE.match(message)
    return {"line": int(match[1]) if match else None, "message": message}


def claim_line(text: str, message: str) -> int | None:
    """The line of the claim a ClaimError quotes: its message names no line, but
    quotes the claim's first characters (lessons.claims.parse_claim)."""
    at = text.find(OPEN)
    while at >= 0:
        candidate = text[at : at + min(77, MAX_CLAIM_CHARS)]
        end = candidate.find("}}")
        quoted = repr(candidate[: end + 2] if end >= 0 else candidate)
        # The quote as the message opens it, without its closing quote mark.
        if quoted[:-1] in message:
            return text.count("\n", 0, at) + 1
        at = text.find(OPEN, at + 1)
    return None


def claim_rows(text: str, claims: list[Claim], block_lines: list[int]) -> list[dict[str, Any]]:
    """Each claim with the line it is on and its last check, or None if never checked.

    block_lines: the first line of the block each claim is in (Rendered.claim_lines)."""
    checks = {
        check.source: check
        for check in ClaimCheck.objects.filter(source__in={claim.source for claim in claims})
    }
    line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
    rows = []
    searched_from = 0
    for claim, block_line in zip(claims, block_lines, strict=True):
        # From its block on: the same text earlier, in code, is not this claim.
        at = text.find(claim.source, max(searched_from, line_starts[block_line - 1]))
        if at >= 0:
            searched_from = at + len(claim.source)
        check = checks.get(claim.source)
        rows.append(
            {
                "source": claim.source,
                "line": text.count("\n", 0, at) + 1 if at >= 0 else None,
                "claimed": f"{claim.shown} {claim.tolerance_text}",
                "run": claim.describe_run(),
                "last_check": _check_row(claim, check) if check else None,
            }
        )
    return rows


def _check_row(claim: Claim, check: ClaimCheck) -> dict[str, Any]:
    measured = check.measured
    if measured is not None and not math.isfinite(measured):
        measured = None  # a ratio over a run that took no time
    return {
        "passed": check.passed,
        "measured": format_value(claim, measured) if measured is not None else None,
        "reason": check.reason,
        "checked_at": check.checked_at.isoformat(),
    }


class PreviewUnavailable(Exception):
    """The rate limit could not be read (its Redis is down): no preview for now."""


# Previews per staff member are counted by the demos' rate limiters (in memory,
# or shared through Redis), which live in ``live``, above this package: live
# hands its admission check over when it starts (live.apps). It returns how
# many seconds to wait, 0 when the preview may go, or raises PreviewUnavailable.
_admit: Callable[[str], Awaitable[float]] | None = None


def use_admission(admit: Callable[[str], Awaitable[float]]) -> None:
    global _admit
    _admit = admit


async def admit(user_id: int) -> float:
    if _admit is None:
        raise PreviewUnavailable("no rate limit was handed over (is live installed?)")
    return await _admit(f"lesson-preview:{user_id}")
