"""Sharing a run: a reader runs a demo and shares it; someone else opens the link
in a browser of their own and replays it, step by step and at real speed."""

import json
import re
import secrets
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.servers import Site, manage

from .accessibility import in_both_themes
from .test_keyboard import tab_to
from .widget import SLEEP_LESSON, DemoWidget

DRAFT_KEY = "code-draft:v1:sleep:async"
READERS_PROGRAM = """import asyncio


async def main():
    print("my own version")
    await asyncio.sleep(0.3)


asyncio.run(main())
"""

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def share_run(page: Page, mode: str = "async", *, traced: bool = False, **values) -> str:
    """Runs the sleep demo's ``mode`` with ``values``, shares it; the link it got."""
    widget = DemoWidget.open(page, SLEEP_LESSON)
    widget.fill(**values)
    if traced:
        widget.root.get_by_label("Trace the event loop").check()
    widget.run(f"Run {mode}")
    share = widget.root.locator(f".demo-share[data-mode='{mode}']")
    share.get_by_role("button", name=f"Share the {mode} run").click()
    link = share.get_by_role("textbox", name=f"Link to the {mode} run")
    expect(link).to_have_value(re.compile(r"^http://[^/]+/runs/[A-Za-z0-9_-]{32,}/$"))
    # The address takes the button's place.
    expect(share.get_by_role("button", name=f"Share the {mode} run")).to_be_hidden()
    return link.input_value()


class Player:
    def __init__(self, page: Page) -> None:
        self.root = page.locator(".replay-widget")
        self.live = self.root.locator(".replay-live")

    def button(self, name: str) -> Locator:
        return self.root.get_by_role("button", name=name, exact=True)

    def console_lines(self) -> Locator:
        return self.root.locator(".console-lines li[data-kind='output']")


@pytest.fixture
def shared_link(new_page: Callable[..., Page]) -> str:
    sharer = new_page(viewport=DESKTOP)
    return share_run(sharer, Tasks=2, Seconds_per_task=0.4)


def test_a_reader_shares_a_run_and_copies_its_link(new_page: Callable[..., Page]) -> None:
    page = new_page(viewport=DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    link = share_run(page, Tasks=2, Seconds_per_task=0.2)
    share = page.locator(".demo-share[data-mode='async']")
    share.get_by_role("button", name="Copy link").click()
    expect(share.get_by_role("status")).to_have_text("Link copied")
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert not in_both_themes(page)


def test_someone_else_replays_it_step_by_step(new_page, shared_link) -> None:
    page = new_page(viewport=DESKTOP)  # a fresh context: another person
    page.goto(shared_link)
    expect(page).to_have_title(re.compile(r"^Sleeping tasks, async: 0\.\d\d s"))
    player = Player(page)
    expect(player.root).to_have_attribute("data-position", "1")
    expect(player.console_lines()).to_have_count(0)
    # accepted, two starts, then the first task's Hello.
    player.button("Next event").click()
    expect(player.live).to_have_text(re.compile(r"^0\.00 s: task 0 started\.$"))
    player.button("Next event").click()
    player.button("Next event").click()
    expect(player.live).to_have_text(re.compile(r"^0\.\d\d s: task \d printed “Hello”\.$"))
    expect(player.console_lines()).to_have_count(1)
    player.button("Previous event").click()
    expect(player.console_lines()).to_have_count(0)
    expect(player.root).to_have_attribute("data-position", "3")
    # Through to the end: the summary, as on the lesson.
    for _ in range(5):
        player.button("Next event").click()
    expect(player.root).to_have_attribute("data-state", "ended")
    expect(player.root.locator(".console-line.is-summary")).to_contain_text("Program executed in")
    expect(player.root.locator(".tl-lane[data-state='ok']")).to_have_count(2)


def test_it_replays_at_real_speed(new_page, shared_link) -> None:
    page = new_page(viewport=DESKTOP)
    page.goto(shared_link)
    player = Player(page)
    elapsed = float(page.locator("[data-fact='elapsed']").inner_text().removesuffix(" s"))
    started = time.monotonic()
    player.button("Play").click()
    expect(player.root).to_have_attribute("data-state", "playing")
    expect(player.root).to_have_attribute("data-state", "ended", timeout=30_000)
    took = time.monotonic() - started
    # Never faster than the run; a busy machine may make it slower.
    assert took >= elapsed * 0.9, (took, elapsed)
    expect(player.console_lines()).to_have_count(2)
    player.button("Restart").click()
    expect(player.root).to_have_attribute("data-position", "1")
    expect(player.console_lines()).to_have_count(0)


def test_a_traced_run_is_inspected_turn_by_turn(new_page) -> None:
    sharer = new_page(viewport=DESKTOP)
    link = share_run(sharer, traced=True, Tasks=2, Seconds_per_task=0.2)
    page = new_page(viewport=DESKTOP)
    page.goto(link)
    player = Player(page)
    while player.root.get_attribute("data-state") != "ended":
        player.button("Next event").click()
    player.root.get_by_role("button", name="Inspect the async run").click()
    position = player.root.locator(".inspector-position")
    expect(position).to_have_text(re.compile(r"^Turn 1 of \d+"))
    player.root.get_by_role("button", name="Next turn").click()
    expect(position).to_have_text(re.compile(r"^Turn 2 of \d+"))
    expect(page.locator(".source-panel .code-line.is-marked").first).to_be_attached()


def test_the_link_back_sets_up_the_same_run_on_the_lesson(new_page, shared_link) -> None:
    page = new_page(viewport=DESKTOP)
    page.goto(shared_link)
    page.get_by_role("link", name=re.compile("^Run it again live")).click()
    widget = DemoWidget(page, page.locator(".demo-widget").first)
    widget.wait_until_connected()
    expect(widget.field("Tasks")).to_have_value("2")
    expect(widget.field("Seconds per task")).to_have_value("0.4")


def test_the_page_reads_without_javascript(new_page, shared_link) -> None:
    page = new_page(viewport=DESKTOP, java_script_enabled=False)
    page.goto(shared_link)
    expect(page.locator(".replay-fallback")).to_be_visible()
    expect(page.locator("table.replay-tasks tbody tr")).to_have_count(2)
    expect(page.locator(".replay-code pre")).to_contain_text("async def main")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_replay_fits_a_phone_and_axe_finds_nothing(new_page, shared_link, scheme) -> None:
    page = new_page(viewport=PHONE, color_scheme=scheme)
    page.goto(shared_link)
    player = Player(page)
    player.button("Play").click()
    expect(player.root).to_have_attribute("data-state", "ended", timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not in_both_themes(page)


def test_the_share_box_fits_a_phone(new_page) -> None:
    page = new_page(viewport=PHONE)
    share_run(page, Tasks=1, Seconds_per_task=0.1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_replay_works_from_the_keyboard(new_page, shared_link) -> None:
    page = new_page(viewport=DESKTOP)
    page.goto(shared_link)
    player = Player(page)
    tab_to(page, player.button("Next event"))
    page.keyboard.press("Enter")
    expect(player.root).to_have_attribute("data-position", "2")
    page.keyboard.press("Space")
    expect(player.root).to_have_attribute("data-position", "3")
    tab_to(page, player.button("Previous event"), key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(player.root).to_have_attribute("data-position", "2")


def shared_readers_program(site: Site, output: tuple[str, ...] = ("my own version",)) -> str:
    """A reader's program run and shared from the sleep lesson, stored as the site would."""
    token = secrets.token_urlsafe(24)
    lines = [[0.0004 * (n + 1), text, "stdout"] for n, text in enumerate(output)]
    run = {
        "demo": "sleep", "mode": "async", "params": {}, "status": "ok", "elapsed": 0.3021,
        "timeline": [], "code": READERS_PROGRAM, "output": lines, "share_token": token,
    }  # fmt: skip
    script = (
        "import json; from live.models import DemoRun; from lessons.models import Lesson; "
        f"DemoRun.objects.create(**json.loads({json.dumps(json.dumps(run))}), "
        f"lesson=Lesson.objects.get(slug={SLEEP_LESSON.split('/')[-2]!r}))"
    )
    manage(site.env, "shell", "-c", script)
    return f"/runs/{token}/"


def test_a_readers_program_opens_in_the_editor_and_leaves_their_draft(new_page, site) -> None:
    link = shared_readers_program(site)
    page = new_page(viewport=DESKTOP)
    page.goto(SLEEP_LESSON)
    mine = json.dumps({"code": "print('mine')\n", "base": "x", "saved": 1})
    page.evaluate(f"localStorage.setItem({json.dumps(DRAFT_KEY)}, {json.dumps(mine)})")
    page.goto(link)
    title = re.compile("^A reader\u2019s version of Sleeping tasks, async: 0.30 s")
    expect(page).to_have_title(title)
    expect(page.locator(".replay-code")).to_contain_text('print("my own version")')
    Player(page).button("Play").click()
    expect(Player(page).console_lines()).to_have_text([re.compile("my own version")])
    page.get_by_role("link", name=re.compile("^Open this program in the editor")).click()
    editor = page.locator(".demo-widget").first.locator(".program-editor[data-mode='async']")
    expect(editor.locator(".cm-content")).to_contain_text('print("my own version")')
    expect(editor.locator(".editor-message")).to_contain_text("Your own draft is kept")
    page.wait_for_timeout(600)  # past the editor's save delay
    assert page.evaluate(f"localStorage.getItem({json.dumps(DRAFT_KEY)})") == mine


HOSTILE_OUTPUT = (
    "</script><script>alert(1)</script>",
    "<!--<script>alert(2)",
    "one\u2028two\u2029three",
    "<img src=x onerror=alert(3)>",
)


def test_a_programs_hostile_output_is_replayed_as_plain_text(new_page, site) -> None:
    link = shared_readers_program(site, HOSTILE_OUTPUT)
    page = new_page(viewport=DESKTOP)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(link)
    player = Player(page)
    for _ in HOSTILE_OUTPUT:
        player.button("Next event").click()
    expect(player.console_lines()).to_have_count(len(HOSTILE_OUTPUT))
    shown = [line.text_content() for line in player.console_lines().all()]
    for text, line in zip(HOSTILE_OUTPUT, shown, strict=True):
        assert text in line, (text, line)
    assert page.locator("article img").count() == 0
    assert dialogs == []
