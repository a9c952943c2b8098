"""Run the weather simulator: ``python -m weathersim [--host H] [--port P]``.

Flags fall back to the environment variables ``WEATHERSIM_HOST``, ``WEATHERSIM_PORT``
and ``WEATHERSIM_LATENCY_SCALE``, then to 127.0.0.1, 8001 and 1.0.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence

from aiohttp import web

from weathersim.app import make_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001
DEFAULT_LATENCY_SCALE = 1.0
# Pending requests are released on shutdown, so this is only a safety net.
SHUTDOWN_TIMEOUT_SECONDS = 2.0


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer port, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, got {port}")
    return port


def latency_scale(text: str) -> float:
    try:
        scale = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(scale) and scale >= 0):
        raise argparse.ArgumentTypeError(
            f"latency scale must be a finite number >= 0, got {text!r}"
        )
    return scale


def _from_env[T](
    parser: argparse.ArgumentParser, variable: str, convert: Callable[[str], T], default: T
) -> T:
    raw = os.environ.get(variable)
    if raw is None or raw == "":
        return default
    try:
        return convert(raw)
    except argparse.ArgumentTypeError as exc:
        parser.error(f"invalid {variable}: {exc}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m weathersim",
        description="Local simulator of the prevision-meteo.ch JSON weather service.",
    )
    parser.add_argument(
        "--host", help=f"interface to bind (env WEATHERSIM_HOST, default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port", type=port_number, help=f"TCP port (env WEATHERSIM_PORT, default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--latency-scale",
        type=latency_scale,
        help="multiplier for every simulated latency "
        f"(env WEATHERSIM_LATENCY_SCALE, default {DEFAULT_LATENCY_SCALE})",
    )
    args = parser.parse_args(argv)
    # Only consult the environment for flags that were not given, so a bad variable
    # cannot break a command line that overrides it.
    if args.host is None:
        args.host = os.environ.get("WEATHERSIM_HOST") or DEFAULT_HOST
    if args.port is None:
        args.port = _from_env(parser, "WEATHERSIM_PORT", port_number, DEFAULT_PORT)
    if args.latency_scale is None:
        args.latency_scale = _from_env(
            parser, "WEATHERSIM_LATENCY_SCALE", latency_scale, DEFAULT_LATENCY_SCALE
        )
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    def announce(_banner: str) -> None:
        # Replaces aiohttp's two-line banner; flush so a parent process sees it at once.
        print(
            f"weathersim listening on http://{args.host}:{args.port} "
            f"(latency scale {args.latency_scale:g})",
            flush=True,
        )

    try:
        # run_app turns SIGINT and SIGTERM into a graceful shutdown without a traceback.
        web.run_app(
            make_app(latency_scale=args.latency_scale),
            host=args.host,
            port=args.port,
            print=announce,
            access_log=None,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        )
    except OSError as exc:  # typically: the port is already taken
        sys.exit(f"weathersim: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")


if __name__ == "__main__":
    main()
