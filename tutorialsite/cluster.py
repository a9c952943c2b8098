"""Several daphne processes behind the real nginx on one machine, as in production.

``manage.py serve --processes N`` and the multi-process tests start it. Each
daphne listens on a unix socket with ``--proxy-headers``, as
deploy/daphne@.service runs it. nginx runs deploy/nginx.conf itself, with only
its upstream ``server unix:...`` lines pointed at those sockets and its
``listen`` lines at HOST:PORT, inside a minimal main configuration. Sockets,
configuration, logs and nginx's temporary files live in a private runtime
folder, removed when the cluster stops.
"""

import grp
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tutorialsite.processes import stop, wait_until_answers

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_CONFIG = ROOT / "deploy" / "nginx.conf"
ASGI_APP = "tutorialsite.asgi:application"

# The lines of the production file replaced for local use; everything else is kept.
UPSTREAM_SERVER = re.compile(
    r"^(?P<indent>[ \t]*)server[ \t]+unix:[^\s;]+(?P<params>[^;]*);[ \t]*$"
)
LISTEN = re.compile(r"^(?P<indent>[ \t]*)listen[ \t]+[^;]+;[ \t]*$")


class ClusterError(RuntimeError):
    """The cluster cannot start: nginx is missing, or its configuration cannot be made."""


def render_site(production: str, sockets: list[Path], host: str, port: int) -> str:
    """The production site configuration, pointed at local ``sockets`` and at ``host:port``.

    Its ``server unix:...`` lines become one per socket (with the production
    line's parameters), its ``listen`` lines one ``listen host:port``.
    Raises ``ClusterError`` if either kind of line is missing, so an edit of
    the production file cannot silently leave the local cluster half made.
    """
    address = host_and_port(host, port)
    rendered: list[str] = []
    servers = listens = 0
    for line in production.splitlines():
        if found := UPSTREAM_SERVER.match(line):
            if not servers:
                rendered += [
                    f"{found['indent']}server unix:{socket}{found['params']};" for socket in sockets
                ]
            servers += 1
        elif found := LISTEN.match(line):
            if not listens:
                rendered.append(f"{found['indent']}listen {address};")
            listens += 1
        else:
            rendered.append(line)
    missing = [
        what
        for what, count in (
            ("upstream `server unix:...;` line", servers),
            ("`listen` line", listens),
        )
        if not count
    ]
    if missing:
        raise ClusterError(
            f"{PRODUCTION_CONFIG.relative_to(ROOT)} has no {' and no '.join(missing)}: the "
            "local cluster runs that file with those lines pointed at its own daphne sockets "
            "and address, and cannot without them (tutorialsite/cluster.py)"
        )
    return "\n".join(rendered) + "\n"


def render_main(site: Path, runtime: Path) -> str:
    """A minimal main configuration around ``site``, keeping every file in ``runtime``."""
    # As root, nginx would run its workers as nobody, who cannot enter the
    # private runtime folder: they run as whoever started the cluster, as the daphnes do.
    user = ""
    if os.geteuid() == 0:
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};\n"
    temp = "\n".join(
        f"    {kind}_temp_path {runtime / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""# The local cluster's nginx (tutorialsite/cluster.py); the site is deploy/nginx.conf.
{user}daemon off;
worker_processes 1;
pid {runtime / "nginx.pid"};
error_log {runtime / "error.log"};

events {{
    worker_connections 1024;  # two for each reader: theirs and the upstream's
}}

http {{
    access_log {runtime / "access.log"};
{temp}
    include {site};
}}
"""


def host_and_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def find_nginx() -> str:
    # Debian puts nginx in /usr/sbin, which is not on every user's PATH.
    found = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if found is None:
        raise ClusterError(
            "nginx is needed for several processes: `make nginx` (or apt-get install nginx)"
        )
    return found


class Cluster:
    """``processes`` daphne processes on unix sockets, behind nginx at ``host:port``.

    ``env`` and ``output`` (the stdout of every process, None to inherit) go
    to each child. ``start()``, then ``stop()``; or use ``with``.
    """

    def __init__(
        self,
        processes: int,
        host: str,
        port: int,
        *,
        env: dict[str, str] | None = None,
        output: int | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.url = f"http://{host_and_port(host, port)}"
        self.env = dict(os.environ if env is None else env)
        self.output = output
        self.runtime = Path(tempfile.mkdtemp(prefix="asyncio-site-"))  # mode 0700
        self.sockets = [self.runtime / f"daphne-{n}.sock" for n in range(1, processes + 1)]
        self.daphnes: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None

    def children(self) -> dict[str, subprocess.Popen]:
        """Every process started, by name."""
        named = {f"daphne {n}": daphne for n, daphne in enumerate(self.daphnes, start=1)}
        if self.nginx is not None:
            named["nginx"] = self.nginx
        return named

    def start(self) -> "Cluster":
        try:
            nginx = find_nginx()
            site = self.runtime / "site.conf"
            site.write_text(
                render_site(PRODUCTION_CONFIG.read_text(), self.sockets, self.host, self.port)
            )
            main = self.runtime / "nginx.conf"
            main.write_text(render_main(site, self.runtime))
            # Every daphne starts before any is waited for: they load side by side.
            self.daphnes = [self._popen(self.daphne_command(socket)) for socket in self.sockets]
            for n, (daphne, socket) in enumerate(zip(self.daphnes, self.sockets, strict=True), 1):
                wait_until_answers(
                    daphne, "http://localhost/", unix_socket=socket, name=f"daphne {n}"
                )
            # -e: where nginx logs before it has read the configuration.
            self.nginx = self._popen(
                [
                    nginx,
                    "-p",
                    str(self.runtime),
                    "-c",
                    str(main),
                    "-e",
                    str(self.runtime / "error.log"),
                ]
            )
            wait_until_answers(self.nginx, f"{self.url}/", name="nginx")
        except BaseException:
            self.stop()
            raise
        return self

    def daphne_command(self, socket: Path) -> list[str]:
        """One daphne process as deploy/daphne@.service runs it."""
        return [
            sys.executable,
            "-m",
            "daphne",
            "--unix-socket",
            str(socket),
            "--proxy-headers",
            ASGI_APP,
        ]

    def stop(self) -> None:
        """Stop every process and wait for them; then remove the runtime folder."""
        # The daphnes first, so their goodbye (come back soon) reaches readers through nginx.
        stop(*self.daphnes)
        if self.nginx is not None:
            stop(self.nginx)
        shutil.rmtree(self.runtime, ignore_errors=True)

    def _popen(self, command: list[str]) -> subprocess.Popen:
        return subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.output)

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
