"""Start every process the site needs on one machine and stop them all together.

The weather simulator, daphne and a sandbox runner for readers' programs run
as child processes (the runner, and a private Redis to reach it when
REDIS_URL is not set, come from tutorialsite.sandbox_runner). With ``--processes N``
(N > 1), N daphne processes on unix sockets sit behind the real nginx at the
one address, run with deploy/nginx.conf as production runs them
(tutorialsite.cluster). Ctrl-C (SIGINT) or SIGTERM stops them all and waits
for them, so nothing is left running.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tutorialsite.cluster import ASGI_APP, Cluster, ClusterError
from tutorialsite.processes import StartFailed, start, stop
from tutorialsite.sandbox_runner import PrivateRedis, missing_tools, start_runner

# How a child ends when someone stops it: cleanly, or by the signal before it had
# its handlers in place.
STOPPED_ON_PURPOSE = (0, -signal.SIGTERM, -signal.SIGINT)


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
            "--no-runner",
            action="store_true",
            help="Do not start a sandbox runner (runners run elsewhere, fed by REDIS_URL).",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="Daphne processes behind nginx at the one address (more than 1 needs REDIS_URL).",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        weather_port: int,
        no_simulator: bool,
        no_runner: bool,
        processes: int,
        **kw,
    ):
        self._check_processes(processes)
        children: dict[str, subprocess.Popen] = {}
        cluster = None
        private_redis: PrivateRedis | None = None
        daphne_env = dict(os.environ)
        stopping = False

        def ask_to_stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, ask_to_stop)
        signal.signal(signal.SIGTERM, ask_to_stop)
        try:
            if not no_simulator:
                children["the weather simulator"] = self._start_simulator(weather_port)
            if not no_runner:
                private_redis = self._start_runner(children, daphne_env)
            if processes == 1:
                children["daphne"] = subprocess.Popen(
                    [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), ASGI_APP],
                    env=daphne_env,
                )
            else:
                cluster = Cluster(processes, host, port).start()
                children.update(cluster.children())
                self.stdout.write(
                    f"{processes} daphne processes on unix sockets in {cluster.runtime}, "
                    "behind nginx (its configuration and logs are there too)"
                )
            self.stdout.write(
                self.style.SUCCESS(f"Serving on http://{host}:{port}/ (Ctrl-C stops)")
            )
            while not stopping:
                for name, child in children.items():
                    code = child.poll()
                    # Ctrl-C reaches every child too: one that ends then is stopping, not failing.
                    if code is None or stopping:
                        continue
                    if code not in STOPPED_ON_PURPOSE:
                        raise CommandError(f"{name} exited with code {code}")
                    # Stopped by someone (a SIGTERM to it alone): the rest stop with it.
                    self.stdout.write(f"{name} stopped; stopping the rest.")
                    stopping = True
                time.sleep(0.2)
        except (StartFailed, ClusterError) as failed:
            raise CommandError(str(failed)) from failed
        finally:
            if cluster is not None:
                cluster.stop()
            stop(*children.values())
            if private_redis is not None:
                private_redis.stop()
            self.stdout.write("Stopped.")

    def _start_runner(
        self, children: dict[str, subprocess.Popen], daphne_env: dict[str, str]
    ) -> PrivateRedis | None:
        """Start a sandbox runner, and a private Redis for it without REDIS_URL.

        The private Redis also becomes daphne's channel layer (its REDIS_URL),
        the only way the two processes can reach each other. Returns it, to stop.
        """
        missing = missing_tools()
        if missing:
            self.stderr.write(
                self.style.WARNING(
                    f"Readers' own programs cannot run: {' and '.join(missing)} "
                    "missing (make run installs them)."
                )
            )
            return None
        private = None
        redis_url = settings.REDIS_URL
        if not redis_url:
            private = PrivateRedis().start()
            redis_url = daphne_env["REDIS_URL"] = private.url
            self.stdout.write(f"A private Redis on {private.socket} feeds the sandbox runner")
        try:
            children["the sandbox runner"] = start_runner(redis_url)
        except StartFailed:
            if private is not None:
                private.stop()
            raise
        return private

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

    def _start_simulator(self, port: int) -> subprocess.Popen:
        return start(
            [sys.executable, "-m", "weathersim", "--host", "127.0.0.1", "--port", str(port)],
            f"http://127.0.0.1:{port}/health",
            name="the weather simulator",
        )
