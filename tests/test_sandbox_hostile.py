"""Hostile programs against a real site: each ends with its message, and the site
keeps serving pages and demo runs to everyone else while it runs.

The site runs as ``make run`` runs it: daphne, the weather simulator, a
private Redis and a sandbox runner, each a process of its own; the secret key
is a marker the programs look for everywhere they can reach. The CPU and
wall-clock limits are made small so the corpus runs quickly; the others keep
their defaults.
"""

import asyncio
import hashlib
import json
import secrets
import time
import urllib.request

import pytest
import websockets

from tests.servers import Site, running_site

SECRET = "secret-" + secrets.token_hex(16)
PAGE_WITHIN = 2.0  # seconds: a page and a short demo run answer well within this


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    with running_site(
        tmp_path_factory.mktemp("hostile-site"),
        sandboxes=True,
        DJANGO_SECRET_KEY=SECRET,
        SANDBOX_CPU_SECONDS="1",
        SANDBOX_WALL_SECONDS="3",
        DEMO_RATE_LIMIT="600/m",
    ) as running:
        yield running


def corpus(site: Site) -> dict[str, tuple[str, list[str]]]:
    """Each program, and what its run's end must say (status, then phrases)."""
    database = site.env["DATABASE_URL"].removeprefix("sqlite:///")
    port = site.url.rsplit(":", 1)[1]
    return {
        "fork bomb": (
            "import os\nwhile True:\n    os.fork()\n",
            ["failed", "Stopped: started more than 64 processes and threads."],
        ),
        "memory bomb": (
            "data = []\nwhile True:\n    data.append(bytearray(50 * 1024 * 1024))\n",
            ["failed", "Stopped: used more than 512 MiB of memory."],
        ),
        "endless loop": (
            "while True:\n    pass\n",
            ["failed", "Stopped: used more than 1 s of CPU."],
        ),
        "endless output": (
            "while True:\n    print('spam ' * 20)\n",
            ["failed", "Stopped: printed more than 64 KiB."],
        ),
        "sleeping forever": (
            "import time\ntime.sleep(10_000)\n",
            ["failed", "Stopped: ran longer than 3 s."],
        ),
        "a thousand threads": (
            "import threading, time\n"
            "threads = [threading.Thread(target=time.sleep, args=(1,)) for _ in range(1000)]\n"
            "for thread in threads:\n    thread.start()\n",
            ["failed", "Stopped: started more than 64 processes and threads."],
        ),
        "reading secrets": (
            READ_SECRETS.replace("DATABASE", repr(database))
            .replace("LENGTH", "{32}")
            .replace("DIGEST", repr(hashlib.sha256(SECRET.encode()).hexdigest())),
            ["ok", "no secret found", "database: FileNotFoundError"],
        ),
        "connecting to host services": (
            CONNECT.replace("SITE_PORT", port),
            [
                "ok",
                "5432 refused",
                "6379 refused",
                f"{port} refused",
                "redis socket unreachable",
                "outside unreachable",
            ],
        ),
        "writing outside its tmpfs": (
            WRITE,
            [
                "failed",
                "/usr/evil: OSError",
                "/opt/site/demos/evil.py: OSError",
                "/etc/hosts: OSError",
                "/tmp/fine: written",
                "Stopped: wrote a file larger than 1 MiB.",
            ],
        ),
        "signalling every process": (
            "import os, signal\n"
            "os.kill(-1, signal.SIGKILL)\n"  # every process it may signal, but itself
            "print('pids seen:', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n",
            ["ok", "pids seen: [1, 2"],
        ),
        # Its parent is the sandbox's own init, which signals from inside cannot kill.
        "killing its parent": (
            "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(0.2)\n"
            "print('still running under', os.getppid())\n",
            ["ok", "still running under 1"],
        ),
        "ctypes tricks": (
            "import ctypes\nlibc = ctypes.CDLL(None)\nprint('setuid(0):', libc.setuid(0))\n"
            "ctypes.string_at(0)\n",
            ["failed", "setuid(0): -1", "Stopped: killed by signal 11 (SIGSEGV)."],
        ),
        "spawning a subprocess": (
            "import subprocess\n"
            "print(subprocess.run(['id'], capture_output=True, text=True).stdout.strip())\n"
            "print(subprocess.run(['ls', '/'], capture_output=True, text=True).stdout.split())\n",
            ["ok", "uid=65534(nobody)", "['bin', 'dev', 'etc', 'lib', 'lib64', 'opt', 'proc'"],
        ),
    }


# The program knows the secret's length and digest only: it finds it without being told it.
READ_SECRETS = """\
import hashlib, os, re, sys

found = []
try:
    open(DATABASE, "rb").read(16)
    print("database: read")
except OSError as error:
    print("database:", type(error).__name__)
print("environment:", sorted(os.environ))
for pid in os.listdir("/proc"):
    for name in ("environ", "cmdline"):
        try:
            found.append(open(f"/proc/{pid}/{name}", "rb").read())
        except OSError:
            pass
skip = ("/usr", "/proc", "/sys", "/dev", "/opt/site-packages", sys.base_prefix)
for folder, dirs, files in os.walk("/"):
    if folder.startswith(skip):
        dirs[:] = []
        continue
    for name in files:
        try:
            with open(os.path.join(folder, name), "rb") as file:
                found.append(file.read(1_000_000))
        except OSError:
            pass
text = b"\\n".join(found)
candidates = re.findall(rb"secret-[0-9a-f]{LENGTH}", text)
hit = any(hashlib.sha256(c).hexdigest() == DIGEST for c in candidates)
print("secret found" if hit else "no secret found")
"""

CONNECT = """\
import socket

for port in (5432, 6379, SITE_PORT):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        print(port, "connected")
    except OSError:
        print(port, "refused")
try:
    client = socket.socket(socket.AF_UNIX)
    client.connect("/var/run/redis/redis-server.sock")
    print("redis socket reached")
except OSError:
    print("redis socket unreachable")
try:
    socket.create_connection(("10.0.0.1", 80), timeout=1).close()
    print("outside reached")
except OSError:
    print("outside unreachable")
"""

WRITE = """\
for path in ("/usr/evil", "/opt/site/demos/evil.py", "/etc/hosts", "/tmp/fine"):
    try:
        with open(path, "w") as file:
            file.write("x")
        print(path + ": written")
    except OSError as error:
        print(path + ": " + type(error).__name__)
with open("/tmp/big", "wb") as file:
    file.write(b"x" * (2 * 1024 * 1024))
"""

HOSTILE = [
    "fork bomb", "memory bomb", "endless loop", "endless output", "sleeping forever",
    "a thousand threads", "reading secrets", "connecting to host services",
    "writing outside its tmpfs", "signalling every process", "killing its parent",
    "ctypes tricks", "spawning a subprocess",
]  # fmt: skip


async def run(socket, frame: dict) -> list[dict]:
    await socket.send(json.dumps(frame))
    events = []
    while True:
        event = json.loads(await asyncio.wait_for(socket.recv(), 30))
        if event.get("id") == frame["id"]:
            events.append(event)
            if event["type"] in ("finished", "error"):
                return events


def page_load_seconds(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
        assert response.status == 200
    return time.perf_counter() - started


@pytest.mark.parametrize("name", HOSTILE)
async def test_a_hostile_program_ends_with_its_message_and_the_site_serves_everyone_else(
    site, name
):
    code, expected = corpus(site)[name]
    async with (
        websockets.connect(site.ws_url, origin=site.url) as attacker,
        websockets.connect(site.ws_url, origin=site.url, local_addr=("127.0.0.2", 0)) as reader,
    ):
        hostile = asyncio.create_task(
            run(
                attacker, {"type": "run", "id": "h", "demo": "sleep", "mode": "async", "code": code}
            )
        )
        await asyncio.sleep(0.5)  # the program is under way
        page = await asyncio.to_thread(page_load_seconds, site.url + "/")
        started = time.perf_counter()
        demo = await run(reader, {"type": "run", "id": "d", "demo": "sleep", "mode": "async",
                                  "params": {"tasks": 1, "seconds": 0.05}})  # fmt: skip
        demo_seconds = time.perf_counter() - started
        events = await hostile
    finished = events[-1]
    assert finished["type"] == "finished", finished
    shown = "\n".join(
        [e["text"] for e in events if e["type"] == "output"]
        + [finished.get("summary", ""), finished.get("reason", "")]
    )
    status, *phrases = expected
    assert finished["status"] == status, shown
    for phrase in phrases:
        assert phrase in shown, shown
    assert SECRET not in json.dumps(events)
    assert page < PAGE_WITHIN
    assert demo[-1]["status"] == "ok"
    assert demo_seconds < PAGE_WITHIN
