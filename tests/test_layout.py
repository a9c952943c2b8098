"""The tree keeps its shape: each package imports only what lies below it.

From the bottom up: ``demos`` and ``weathersim`` (no Django, no other package
of the site), ``sandbox`` (on ``demos`` alone), ``lessons``, then ``live`` and
``search`` (each on ``lessons``, neither on the other; ``exercises``, on
``lessons``, sits between it and ``live``), ``rooms`` (on ``live``),
and ``tutorialsite``,
which wires them all. Every import statement counts, at
module level or inside a function.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE_PACKAGES = (
    "demos", "weathersim", "sandbox", "lessons", "exercises", "live", "rooms", "search",
    "tutorialsite",
)  # fmt: skip
DJANGO = ("django", "channels", "daphne", "asgiref")

# What each package may never import.
FORBIDDEN = {
    "demos": (
        *DJANGO,
        "weathersim",
        "sandbox",
        "lessons",
        "live",
        "rooms",
        "search",
        "tutorialsite",
    ),
    "weathersim": (
        *DJANGO,
        "demos",
        "sandbox",
        "lessons",
        "live",
        "rooms",
        "search",
        "tutorialsite",
    ),
    # A runner host holds no secret: no Django, no settings (channels_redis alone).
    "sandbox": (*DJANGO, "weathersim", "lessons", "live", "rooms", "search", "tutorialsite"),
    "lessons": ("weathersim", "sandbox", "exercises", "live", "rooms", "search", "tutorialsite"),
    "exercises": ("weathersim", "sandbox", "live", "rooms", "search", "tutorialsite"),
    "live": ("weathersim", "rooms", "search", "tutorialsite"),
    # Rooms extend the demo socket (live) for a lesson's readers.
    "rooms": ("weathersim", "sandbox", "search", "tutorialsite"),
    "search": ("weathersim", "sandbox", "exercises", "live", "rooms", "tutorialsite"),
    "tutorialsite": (),
}


def imported_modules(path: Path, package_root: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved against its package."""
    # The package a module sits in, which its relative imports start from.
    here = path.relative_to(package_root.parent).parts[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1])
                names.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                names.add(node.module)
    return names


def breaches(package_root: Path, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted(package_root.rglob("*.py")):
        for name in sorted(imported_modules(path, package_root)):
            top = name.split(".")[0]
            if top in forbidden:
                found.append(f"{path.relative_to(package_root.parent)} imports {name}")
    return found


@pytest.mark.parametrize("package", SITE_PACKAGES)
def test_a_package_imports_nothing_above_it(package):
    assert breaches(ROOT / package, FORBIDDEN[package]) == []


@pytest.mark.parametrize("package", SITE_PACKAGES)
def test_a_package_says_what_lives_there_and_what_it_may_import(package):
    docstring = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text()))
    assert docstring, f"{package}/__init__.py has no docstring"
    assert "May import" in docstring


def test_the_check_finds_an_import_upward_wherever_it_is_written(tmp_path):
    package = tmp_path / "lessons"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text('"""Lessons."""\n')
    (package / "sub" / "__init__.py").write_text("")
    (package / "fine.py").write_text("import json\nfrom django.db import models\n")
    (package / "top.py").write_text("from live.models import DemoRun\n")
    (package / "lazy.py").write_text("def later():\n    import tutorialsite.settings\n")
    (package / "sub" / "relative.py").write_text("from ..fine import models\n")

    assert breaches(package, FORBIDDEN["lessons"]) == [
        "lessons/lazy.py imports tutorialsite.settings",
        "lessons/top.py imports live.models",
    ]


def test_the_check_finds_django_in_the_demos(tmp_path):
    package = tmp_path / "demos"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "leak.py").write_text("from django.conf import settings\nimport channels.layers\n")

    assert breaches(package, FORBIDDEN["demos"]) == [
        "demos/leak.py imports channels.layers",
        "demos/leak.py imports django.conf",
    ]


def test_relative_imports_are_read_as_the_modules_they_name(tmp_path):
    package = tmp_path / "lessons"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text("from . import selectors\nfrom .models import Lesson\n")

    assert imported_modules(package / "views.py", package) == {"lessons", "lessons.models"}
