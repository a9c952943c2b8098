"""Demo blocks in lesson Markdown: a fenced block with the info string ``demo``.

    ```demo
    name: sleep
    tasks: 3
    seconds: 2
    ```

The block names a demo from the registry and may set parameter defaults,
checked against the same bounds the websocket uses.
"""

from dataclasses import dataclass
from typing import Any

from demos.params import ParamError, brief_repr, clean_params
from demos.registry import DEMOS
from lessons import plain_yaml
from lessons.body_limits import BodyError

# Ten cities of forty letters fit four times over; a block is parsed on every save.
MAX_DEMO_BLOCK_BYTES = 2_000


class DemoBlockError(BodyError):
    """A demo block a lesson cannot be saved with; the message names the problem."""


@dataclass(frozen=True)
class DemoBlock:
    name: str
    params: dict[str, Any]


def parse_demo_block(text: str) -> DemoBlock:
    data = plain_yaml.load_block(
        text, kind="demo", max_bytes=MAX_DEMO_BLOCK_BYTES, error=DemoBlockError
    )
    if not isinstance(data, dict):
        raise DemoBlockError('demo block must be lines of "key: value", starting with "name: ..."')
    name = data.pop("name", None)
    if name is None:
        raise DemoBlockError(f'demo block needs a "name:" line (one of {_known()})')
    if not isinstance(name, str) or name not in DEMOS:
        raise DemoBlockError(f"unknown demo {brief_repr(name)} (known demos: {_known()})")
    try:
        params = clean_params(DEMOS[name].params, data, fill_defaults=False)
    except ParamError as exc:
        raise DemoBlockError(f"demo {name!r}: {exc}") from None
    return DemoBlock(name=name, params=params)


def _known() -> str:
    return ", ".join(sorted(DEMOS))
