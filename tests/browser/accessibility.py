"""axe, run inside a page: the serious and critical problems it finds.

axe runs through Playwright's evaluate, which the page's Content-Security-Policy
does not govern, so pages are checked exactly as served.
"""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

SERIOUS = {"serious", "critical"}


# axe reads the stylesheets of shadow roots (the code editor's) by parsing
# their text in a <style> element of its own, which the page's policy refuses;
# only its css-orientation-lock rule needs them, which no page here can break
# (no stylesheet of the site locks the orientation).
WITHOUT_CSSOM = {
    "resultTypes": ["violations"],
    "preload": False,
    "rules": {"css-orientation-lock": {"enabled": False}},
}


def serious_violations(page: Page) -> list[str]:
    """One line per serious or critical rule broken, naming where."""
    results = Axe().run(page, options=WITHOUT_CSSOM)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        where = "; ".join(
            ", ".join(map(_selector, node["target"])) for node in violation["nodes"][:5]
        )
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {where}")
    return found


def _selector(target: str | list[str]) -> str:
    """axe's target of a node inside a shadow root is the path of selectors to it."""
    return target if isinstance(target, str) else " >>> ".join(target)


def in_both_themes(page: Page) -> list[str]:
    """Serious violations in light, then in dark (the system setting the page follows)."""
    found = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        # Colours may fade to the new scheme (the admin's links do): axe must
        # read them once they have arrived, not halfway.
        page.evaluate("() => Promise.all(document.getAnimations().map(a => a.finished))")
        found += [f"[{scheme}] {violation}" for violation in serious_violations(page)]
    return found
