"""The vendored browser modules: loadable as they are served, licensed, and documented."""

import re
from pathlib import Path

import pytest

from tools.vendor_codemirror import PACKAGES, STATEMENT, VENDOR

README = (VENDOR / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package.name)
def test_each_pinned_package_is_vendored_with_its_license(package):
    folder = VENDOR / package.folder
    assert (folder / "index.js").is_file()
    assert "Permission is hereby granted, free of charge" in (folder / "LICENSE").read_text()


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package.name)
def test_every_import_is_a_relative_path_to_a_vendored_file(package):
    module = VENDOR / package.folder / "index.js"
    source = module.read_text(encoding="utf-8")
    for match in STATEMENT.finditer(source):
        spec = match["spec"]
        # A bare name would need an import map, which the site does not have.
        assert spec.startswith(("./", "../")), f"{package.name} imports {spec!r}"
        assert (module.parent / spec).resolve().is_file(), f"{package.name}: {spec} is missing"
    assert "sourceMappingURL" not in source


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package.name)
def test_the_readme_lists_the_pinned_version(package):
    row = re.compile(
        rf"^\| {re.escape(package.name)} \| {re.escape(package.version)} \| MIT \|", re.M
    )
    assert row.search(README), (
        f"static/vendor/README.md does not list {package.name} {package.version}"
    )


def test_nothing_is_vendored_that_is_not_pinned():
    vendored = {
        path.parent.relative_to(VENDOR).as_posix() for path in Path(VENDOR).rglob("index.js")
    }
    assert vendored == {package.folder for package in PACKAGES}


@pytest.mark.parametrize(
    "script", sorted((VENDOR.parent / "js").glob("*.js")), ids=lambda path: path.name
)
def test_the_site_scripts_import_only_vendored_modules_that_exist(script):
    source = script.read_text(encoding="utf-8")
    for match in STATEMENT.finditer(source):
        spec = match["spec"]
        assert spec.startswith(("./", "../")), f"{script.name} imports {spec!r}"
        assert (script.parent / spec).resolve().is_file(), f"{script.name}: {spec} is missing"
