"""Claims: numbers in a lesson that a demo measures, written so the site can check them.

A lesson that says a run takes "about 6 s" writes the number as a claim:

    about {{claim sleep sync tasks=3 seconds=2 -> 6 s ±10%}}

which the page shows as "6 s". The parts, in order:

- ``claim`` and the name of a demo (as in a ```demo block);
- the mode: ``sync`` or ``async`` for a run's elapsed time in seconds, or
  ``sync/async`` for how many times faster the async run is (sync elapsed
  divided by async elapsed);
- the demo's parameters as ``name=value``, checked against the demo's declared
  bounds; those left out take the demo's defaults;
- ``->`` (or ``→``) and the claimed value with its unit: ``s`` for seconds,
  ``x`` for a ratio (``3x``);
- the tolerance: ``±10%`` (or ``+-10%``) of the claimed value, or an absolute
  ``±0.2 s`` / ``±0.5x``.

``manage.py check_claims`` runs each claimed demo for real and fails when a
measurement is off by more than the claim's tolerance.
"""

import html
import re
from dataclasses import dataclass
from typing import Any

from demos.params import ParamError, clean_params
from demos.registry import DEMOS
from lessons.body_limits import BodyError

OPEN = "{{claim"
CLOSE = "}}"
# A claim is one short line; longer text between the braces is a mistake.
MAX_CLAIM_CHARS = 300
MODES = ("sync", "async", "sync/async")
RATIO = "sync/async"

_NUMBER = r"\d+(?:\.\d+)?"
_CLAIM = re.compile(
    r"\A\s*(?P<demo>\S+)\s+(?P<mode>\S+)(?P<params>(?:\s+[^\s=]+=\S+)*)\s*"
    rf"(?:->|→)\s*(?P<value>{_NUMBER})\s*(?P<unit>s|x)\s*"
    rf"(?:±|\+-|\+/-)\s*(?P<tolerance>{_NUMBER})\s*(?P<tolerance_unit>%|s|x)\s*\Z"
)
_SHAPE = "{{claim <demo> <sync|async|sync/async> [name=value ...] -> <number> <s|x> ±<number>%}}"


class ClaimError(BodyError):
    """A claim a lesson cannot be saved with; the message quotes the claim."""


@dataclass(frozen=True)
class Claim:
    demo: str
    mode: str  # "sync", "async" or "sync/async"
    params: dict[str, Any]  # every declared parameter, the defaults filled in
    value: float
    unit: str  # "s" or "x"
    tolerance: float  # in the claim's unit: how far a measurement may be from value
    tolerance_text: str  # as written, for tables: "±10%"
    source: str  # the claim as written, braces included
    context: str = ""  # the sentence it is in, as written

    @property
    def shown(self) -> str:
        """What the lesson shows: the number and its unit."""
        number = f"{self.value:g}"
        return f"{number}x" if self.unit == "x" else f"{number} s"

    @property
    def runs(self) -> list[tuple[str, str, tuple[tuple[str, Any], ...]]]:
        """The runs the claim needs, as (demo, mode, params) keys: one, or two for a ratio."""
        params = tuple(sorted((name, _hashable(value)) for name, value in self.params.items()))
        modes = ("sync", "async") if self.mode == RATIO else (self.mode,)
        return [(self.demo, mode, params) for mode in modes]

    def describe_run(self) -> str:
        params = ", ".join(f"{name}={_shown_param(value)}" for name, value in self.params.items())
        return f"{self.demo} {self.mode}" + (f" ({params})" if params else "")

    def title(self) -> str:
        what = "how many times faster async is" if self.unit == "x" else "its run time"
        mode = "sync and async" if self.mode == RATIO else self.mode
        return (
            f"Measured: the {self.demo} demo run {mode} with "
            f"{', '.join(f'{k}={_shown_param(v)}' for k, v in self.params.items()) or 'defaults'}; "
            f"{what}, within {self.tolerance_text}, checked by the site's tests."
        )

    def measured_value(self, elapsed: dict[str, float]) -> float:
        """The value to compare with the claim, from the elapsed seconds of its runs by mode."""
        if self.mode == RATIO:
            return elapsed["sync"] / elapsed["async"] if elapsed["async"] > 0 else float("inf")
        return elapsed[self.mode]

    def holds(self, measured: float) -> bool:
        return abs(measured - self.value) <= self.tolerance


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _shown_param(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _param_value(text: str) -> Any:
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d*|-?\d*\.\d+", text):
        return float(text)
    if "," in text:
        return text.split(",")
    return text


def parse_claim(source: str) -> Claim:
    """Parse ``{{claim ...}}`` (the whole text, braces included); raises ClaimError."""
    shown = source if len(source) <= 80 else source[:77] + "..."
    if len(source) > MAX_CLAIM_CHARS:
        raise ClaimError(f"claim {shown!r} is longer than {MAX_CLAIM_CHARS} characters")
    inner = source.removeprefix(OPEN).removesuffix(CLOSE)
    match = _CLAIM.match(inner)
    if match is None:
        raise ClaimError(f"claim {shown!r} is not of the form {_SHAPE}")
    name, mode = match["demo"], match["mode"]
    demo = DEMOS.get(name)
    if demo is None:
        known = ", ".join(sorted(DEMOS))
        raise ClaimError(f"claim {shown!r} names an unknown demo {name!r} (known demos: {known})")
    if mode not in MODES:
        raise ClaimError(f"claim {shown!r}: the mode must be sync, async or sync/async")
    unit = match["unit"]
    if (unit == "x") != (mode == RATIO):
        raise ClaimError(
            f"claim {shown!r}: a sync or async claim is in seconds (s), "
            "a sync/async claim is a ratio (x)"
        )
    given: dict[str, Any] = {}
    for pair in match["params"].split():
        key, _, text = pair.partition("=")
        if key in given:
            raise ClaimError(f"claim {shown!r} sets {key} twice")
        given[key] = _param_value(text)
    try:
        params = clean_params(demo.params, given)
    except ParamError as exc:
        raise ClaimError(f"claim {shown!r}: demo {name!r}: {exc}") from None
    value = float(match["value"])
    if value <= 0:
        raise ClaimError(f"claim {shown!r}: the claimed value must be more than 0")
    tolerance = float(match["tolerance"])
    tolerance_unit = match["tolerance_unit"]
    if tolerance_unit == "%":
        absolute = value * tolerance / 100
    elif tolerance_unit == unit:
        absolute = tolerance
    else:
        raise ClaimError(f"claim {shown!r}: the tolerance must be in % or in {unit}")
    return Claim(
        demo=name,
        mode=mode,
        params=params,
        value=value,
        unit=unit,
        tolerance=absolute,
        tolerance_text=f"±{match['tolerance']}{'' if tolerance_unit == '%' else ' '}"
        f"{tolerance_unit}",
        source=source,
    )


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence (or table cell's line) of ``text`` that holds ``text[start:end]``."""
    boundary = re.compile(r"(?<=[.!?:])\s+(?=[A-Z*`(])|\n")
    begin = 0
    for found in boundary.finditer(text, 0, start):
        begin = found.end()
    after = boundary.search(text, end)
    stop = after.start() if after else len(text)
    return " ".join(text[begin:stop].split())


# ---------------------------------------------------------------------------
# markdown-it: an inline rule, so claims in code spans and code blocks stay text.


def claim_rule(state, silent: bool) -> bool:
    if not state.src.startswith(OPEN, state.pos):
        return False
    after = state.src[state.pos + len(OPEN) : state.pos + len(OPEN) + 1]
    if after and not after.isspace():
        return False  # "{{claimed}}" is text
    end = state.src.find(CLOSE, state.pos, state.pos + MAX_CLAIM_CHARS)
    if end == -1:
        shown = state.src[state.pos : state.pos + 60]
        raise ClaimError(
            f'claim "{shown}..." has no closing "}}}}" within {MAX_CLAIM_CHARS} characters'
        )
    end += len(CLOSE)
    source = state.src[state.pos : end]
    claim = parse_claim(source)
    if not silent:
        claim = Claim(**{**claim.__dict__, "context": sentence_around(state.src, state.pos, end)})
        token = state.push("claim", "span", 0)
        token.meta = {"claim": claim}
        state.env.setdefault("claims", []).append(claim)
    state.pos = end
    return True


def render_claim(self, tokens, idx: int, options, env) -> str:
    claim: Claim = tokens[idx].meta["claim"]
    title = html.escape(claim.title(), quote=True)
    return f'<span class="claim" title="{title}">{html.escape(claim.shown)}</span>'
