"""Start every process the site needs on one machine and stop them all together.

The weather simulator and daphne run as child processes; with ``--processes N``
(N > 1), N daphne processes on free local ports sit behind a small round-robin
proxy (tutorialsite.proxy) on the one address, the way nginx does in production.
Ctrl-C (SIGINT) or SIGTERM stops them all and waits for them, so nothing is
left running.
"""

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tutorialsite.processes import StartFailed, start, stop, wait_until_answers

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
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="Daphne processes behind the one address (more than 1 needs REDIS_URL).",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        weather_port: int,
        no_simulator: bool,
        processes: int,
        **kw,
    ):
        self._check_processes(processes)
        children: list[subprocess.Popen] = []
        stopping = False

        def ask_to_stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, ask_to_stop)
        signal.signal(signal.SIGTERM, ask_to_stop)
        try:
            if not no_simulator:
                children.append(self._start_simulator(weather_port))
            if processes == 1:
                children.append(self._start_daphne(host, port))
            else:
                backends = [("127.0.0.1", _free_port()) for _ in range(processes)]
                for backend_host, backend_port in backends:
                    children.append(self._start_daphne(backend_host, backend_port))
                for child, (backend_host, backend_port) in zip(
                    children[-processes:], backends, strict=True
                ):
                    wait_until_answers(
                        child, f"http://{backend_host}:{backend_port}/", name="daphne"
                    )
                children.append(self._start_proxy(host, port, backends))
                listed = ", ".join(str(p) for _, p in backends)
                self.stdout.write(f"{processes} daphne processes on 127.0.0.1 ports {listed}")
            self.stdout.write(
                self.style.SUCCESS(f"Serving on http://{host}:{port}/ (Ctrl-C stops)")
            )
            while not stopping:
                for child in children:
                    if child.poll() is not None:
                        raise CommandError(f"{child.args[2]} exited with code {child.returncode}")
                time.sleep(0.2)
        except StartFailed as failed:
            raise CommandError(str(failed)) from failed
        finally:
            stop(*children)
            self.stdout.write("Stopped.")

    def _check_processes(self, processes: int) -> None:
        if processes < 1:
            raise CommandError("--processes must be 1 or more")
        if processes == 1:
            return
        if not settings.REDIS_URL:
            raise CommandError(
                "Several processes share the rate limit, the cap on running demos and "
                "live lesson updates through Redis: set REDIS_URL, for example "
                "REDIS_URL=redis://127.0.0.1:6379/0"
            )
        if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
            self.stderr.write(
                self.style.WARNING(
                    "Several processes on SQLite work, but their writes wait for one file "
                    "lock; set DATABASE_URL=postgres://... for anything beyond a try."
                )
            )

    def _start_daphne(self, host: str, port: int) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), ASGI_APP]
        )

    def _start_proxy(
        self, host: str, port: int, backends: list[tuple[str, int]]
    ) -> subprocess.Popen:
        command = [sys.executable, "-m", "tutorialsite.proxy", "--listen", f"{host}:{port}"]
        for backend_host, backend_port in backends:
            command += ["--backend", f"{backend_host}:{backend_port}"]
        return start(command, f"http://{host}:{port}/", name="the proxy")

    def _start_simulator(self, port: int) -> subprocess.Popen:
        return start(
            [sys.executable, "-m", "weathersim", "--host", "127.0.0.1", "--port", str(port)],
            f"http://127.0.0.1:{port}/health",
            name="the weather simulator",
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
