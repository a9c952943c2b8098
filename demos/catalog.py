"""The demos as the widget sees them: parameters with bounds, and the code each mode runs."""

from functools import cache
from typing import Any

from demos.registry import DEMOS
from demos.source import highlighted_source_of, source_of


@cache
def catalog() -> dict[str, Any]:
    return {
        "demos": {
            demo.name: {
                "title": demo.title,
                "description": demo.description,
                "params": [param.describe() for param in demo.params],
                "modes": {
                    mode: {
                        "label": variant.label,
                        "source": source_of(variant.program),
                        "source_html": highlighted_source_of(variant.program),
                        "traceable": variant.traceable,
                        "why": variant.why,
                        "first_lines": list(variant.first_lines),
                    }
                    for mode, variant in (("sync", demo.sync), ("async", demo.async_))
                },
            }
            for demo in DEMOS.values()
        }
    }
