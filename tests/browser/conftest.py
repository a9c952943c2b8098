"""Fixtures for the browser tests: one real site and one Chromium for all of them.

The site is real: a fresh SQLite database with the bundled lessons, the weather
simulator and daphne, each in its own process (tests/servers.py). The browser
is Debian's Chromium driven by Playwright; ``CHROMIUM_PATH`` points elsewhere.
Without a browser these tests skip with the reason, except on CI (``CI`` set),
where they fail, like the tests that need PostgreSQL or Redis (tests/services.py).

Every page a test opens is watched: an uncaught script error, a resource that
fails to load or anything the Content-Security-Policy refuses fails the test,
so each scenario also proves the page works under the site's strict policy.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.servers import Site, manage, running_site
from tests.services import unavailable

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# The system's Chromium, not a browser Playwright downloads; these flags keep it
# quiet and let it run as root in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# The machine may be busy with other test runs: wait long for what must happen.
ACTION_TIMEOUT_MS = 30_000
EXPECT_TIMEOUT_MS = 20_000

# What a reader's browser would report as broken. WebSocket failures are not
# here: the reconnection scenario causes them on purpose, and the widget says so.
PROBLEM_MARKERS = ("Content Security Policy", "Refused to", "Failed to load resource")

expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        unavailable("Chromium", f"there is no browser at {path}")
    return path


@pytest.fixture(scope="package")
def browser(chromium_path: str) -> Iterator[Browser]:
    # For this package only: Playwright's sync API keeps an event loop running
    # in the test thread while it is open, and asyncio tests elsewhere in the
    # suite cannot start their own until it is closed.
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        except Exception as exc:  # a broken install is reported like a missing one
            unavailable("Chromium", f"the browser at {chromium_path} did not start ({exc})")
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    # Many runs start within a minute from one address; the rate limit is not
    # what these tests are about, so it is raised well above their needs.
    with running_site(tmp_path_factory.mktemp("browser-site"), DEMO_RATE_LIMIT="600/m") as running:
        yield running


class PageProblems:
    """What went wrong on the pages of one test, as a reader's browser saw it."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.found.append(f"script error: {error}"))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        url = message.location.get("url", "?")
        # The admin's own templates name no icon, so the browser guesses /favicon.ico.
        if url.endswith("/favicon.ico"):
            return
        if message.type == "error" and any(marker in message.text for marker in PROBLEM_MARKERS):
            self.found.append(f"{message.text} (on {url})")


@contextlib.contextmanager
def _pages(browser: Browser, site: Site) -> Iterator[Callable[..., Page]]:
    """Makes pages in fresh browser contexts on ``site``, watched for problems, and
    fails the test when a page reported one, once its contexts are closed."""
    problems = PageProblems()
    contexts = []

    def make(**options) -> Page:
        context = browser.new_context(base_url=site.url, **options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        context.on("page", problems.watch)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems.found, "the browser reported problems:\n" + "\n".join(problems.found)


@pytest.fixture
def new_page(browser: Browser, site: Site) -> Iterator[Callable[..., Page]]:
    """``new_page(**context_options)``: a page in a fresh browser context on the site.

    Each call is a new reader: no cookies, no saved theme. Options are
    Playwright's (``viewport``, ``color_scheme``, ``reduced_motion``,
    ``java_script_enabled``...).
    """
    with _pages(browser, site) as make:
        yield make


@pytest.fixture(scope="package")
def sandbox_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site whose readers' programs really run: a private Redis and a sandbox runner."""
    folder = tmp_path_factory.mktemp("sandbox-site")
    with running_site(folder, sandboxes=True, DEMO_RATE_LIMIT="600/m") as running:
        yield running


@pytest.fixture
def new_sandbox_page(browser: Browser, sandbox_site: Site) -> Iterator[Callable[..., Page]]:
    """``new_sandbox_page(**context_options)``: as ``new_page``, on ``sandbox_site``."""
    with _pages(browser, sandbox_site) as make:
        yield make


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A reader on a desktop-sized window."""
    return new_page(viewport={"width": 1280, "height": 900})


STAFF_USERNAME = "editor"
STAFF_PASSWORD = "a-test-only-password-4c9e"


@pytest.fixture(scope="package")
def staff(site: Site) -> tuple[str, str]:
    """A superuser in the site's database: (username, password)."""
    manage(
        {
            **site.env,
            "DJANGO_SUPERUSER_USERNAME": STAFF_USERNAME,
            "DJANGO_SUPERUSER_PASSWORD": STAFF_PASSWORD,
            "DJANGO_SUPERUSER_EMAIL": "editor@example.com",
        },
        "createsuperuser",
        "--noinput",
    )
    return STAFF_USERNAME, STAFF_PASSWORD


@pytest.fixture
def staff_page(new_page: Callable[..., Page], staff: tuple[str, str]) -> Page:
    """A member of staff, logged in to the admin through its login form."""
    username, password = staff
    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto("/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    return page
