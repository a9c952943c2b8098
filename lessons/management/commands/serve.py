"""Start every process the site needs on one machine and stop them all together.

The weather simulator and daphne run as child processes. Ctrl-C (SIGINT) or
SIGTERM stops both and waits for them, so nothing is left running.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from django.core.management.base import BaseCommand, CommandError

STOP_GRACE_SECONDS = 10
ASGI_APP = "tutorialsite.asgi:application"


class Command(BaseCommand):
    help = "Serve the site with daphne, beside the bundled weather simulator."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--weather-port", type=int, default=int(os.environ.get("WEATHERSIM_PORT", "8001"))
        )
        parser.add_argument(
            "--no-simulator",
            action="store_true",
            help="Do not start the weather simulator (WEATHER_API_URL points elsewhere).",
        )

    def handle(self, *args, host: str, port: int, weather_port: int, no_simulator: bool, **kw):
        children: list[subprocess.Popen] = []
        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            if not no_simulator:
                children.append(self._start_simulator(weather_port))
            daphne = [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), ASGI_APP]
            children.append(subprocess.Popen(daphne))
            self.stdout.write(
                self.style.SUCCESS(f"Serving on http://{host}:{port}/ (Ctrl-C stops)")
            )
            while not stopping:
                for child in children:
                    if child.poll() is not None:
                        raise CommandError(f"{child.args[2]} exited with code {child.returncode}")
                time.sleep(0.2)
        finally:
            self._stop(children)

    def _start_simulator(self, port: int) -> subprocess.Popen:
        child = subprocess.Popen(
            [sys.executable, "-m", "lessons.weathersim", "--host", "127.0.0.1", "--port", str(port)]
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise CommandError(f"the weather simulator exited with code {child.returncode}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
                return child
            except OSError:
                time.sleep(0.1)
        child.kill()
        raise CommandError(f"the weather simulator did not answer on port {port}")

    def _stop(self, children: list[subprocess.Popen]) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.stdout.write("Stopped.")
