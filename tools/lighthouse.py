"""Audit three lesson pages with Lighthouse and fail below the scores the site keeps.

``make lighthouse`` runs this. It installs Lighthouse 12 with npm into
``.lighthouse/`` (once), starts the site as ``make run`` would on a fresh
SQLite database with the bundled lessons and the weather simulator, and
audits each page with Lighthouse's default settings: a mobile device on a
throttled connection. Chromium is Debian's (``CHROMIUM_PATH`` to change it).

The targets: performance at least 0.98, cumulative layout shift at most 0.02,
accessibility, best practices and SEO 1.0. The scores are printed as a table
and written to ``bench/results/lighthouse.json``.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import HOST, free_port  # noqa: E402
from tutorialsite.processes import start, stop  # noqa: E402

LIGHTHOUSE_VERSION = "12"
PREFIX = ROOT / ".lighthouse"
BINARY = PREFIX / "node_modules" / ".bin" / "lighthouse"
RESULTS = ROOT / "bench" / "results" / "lighthouse.json"
# Lessons with a live demo and questions, each of another kind of demo.
PAGES = (
    "/courses/asyncio/blocking-vs-non-blocking/",
    "/courses/asyncio/the-event-loop/",
    "/courses/asyncio/concurrent-http-requests/",
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
MINIMUM = {"performance": 0.98, "accessibility": 1.0, "best-practices": 1.0, "seo": 1.0}
MAX_LAYOUT_SHIFT = 0.02


def install() -> None:
    if BINARY.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is needed to install Lighthouse (apt-get install npm)")
    print(f"Installing Lighthouse {LIGHTHOUSE_VERSION} into {PREFIX.name}/ ...", flush=True)
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(PREFIX),
         f"lighthouse@{LIGHTHOUSE_VERSION}"],
        check=True,
    )  # fmt: skip


def serve(folder: Path):
    """The site in daphne beside its weather simulator, as ``make run`` serves it."""
    weather_port, port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="tutorialsite.settings",
        DATABASE_URL=f"sqlite:///{folder / 'site.sqlite3'}",
        WEATHER_API_URL=f"http://{HOST}:{weather_port}/services/json/",
    )
    for command in (["migrate", "--noinput"], ["load_lessons"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
            capture_output=True,
        )  # fmt: skip
    simulator = start(
        [sys.executable, "-m", "weathersim", "--host", HOST, "--port", str(weather_port)],
        f"http://{HOST}:{weather_port}/health",
        name="the weather simulator", cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    daphne = start(
        [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port),
         "tutorialsite.asgi:application"],
        f"http://{HOST}:{port}/",
        name="daphne", cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return f"http://{HOST}:{port}", (daphne, simulator)


def audit(url: str, folder: Path) -> dict:
    report = folder / "report.json"
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    subprocess.run(
        [str(BINARY), url, "--quiet", "--output=json", f"--output-path={report}",
         f"--only-categories={','.join(CATEGORIES)}",
         "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
        check=True, env={**os.environ, "CHROME_PATH": chromium},
    )  # fmt: skip
    data = json.loads(report.read_text())
    scores = {name: data["categories"][name]["score"] for name in CATEGORIES}
    shift = data["audits"]["cumulative-layout-shift"]["numericValue"]
    failing = [
        f"{audit_id}: {entry['title']}"
        for audit_id, entry in data["audits"].items()
        if entry.get("score") is not None and entry["score"] < 1
        and entry.get("scoreDisplayMode") == "binary"
    ]  # fmt: skip
    return {"scores": scores, "cumulative_layout_shift": round(shift, 4), "failing": failing}


def main() -> int:
    install()
    results, problems = {}, []
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        folder = Path(tmp)
        site, processes = serve(folder)
        try:
            for path in PAGES:
                result = results[path] = audit(site + path, folder)
                for name, least in MINIMUM.items():
                    if result["scores"][name] is None or result["scores"][name] < least:
                        problems.append(f"{path}: {name} {result['scores'][name]} < {least}")
                if result["cumulative_layout_shift"] > MAX_LAYOUT_SHIFT:
                    problems.append(
                        f"{path}: layout shift {result['cumulative_layout_shift']} > "
                        f"{MAX_LAYOUT_SHIFT}"
                    )
        finally:
            for process in processes:
                stop(process)
    print(f"{'page':48} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5} {'CLS':>7}")
    for path, result in results.items():
        scores = result["scores"]
        print(
            f"{path:48} {scores['performance']:5.2f} {scores['accessibility']:5.2f} "
            f"{scores['best-practices']:5.2f} {scores['seo']:5.2f} "
            f"{result['cumulative_layout_shift']:7.4f}"
        )
        for line in result["failing"]:
            print(f"    not passed: {line}")
    RESULTS.write_text(json.dumps({"lighthouse": LIGHTHOUSE_VERSION, "pages": results}, indent=2))
    for problem in problems:
        print(f"BELOW TARGET: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
