"""A program run as a reader runs it: written to a file, started with this ``python``.

The listing and exercise tests both run code shown in a lesson this way, in a
process of its own, against a weather simulator whose address the program
reads from ``WEATHER_API_URL``.
"""

import asyncio
import os
import sys
from pathlib import Path


async def run_script(
    source: str, script: Path, weather_url: str, within: float = 30
) -> tuple[int, str, str]:
    """The exit status, output and error output of ``source`` saved as ``script`` and run."""
    await asyncio.to_thread(script.write_text, source, encoding="utf-8")
    # Nothing of the test run's Python settings leaks into the program's.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["WEATHER_API_URL"] = weather_url
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), cwd=script.parent, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"the program ran longer than {within:g} s") from None
    return process.returncode, out.decode(), err.decode()
