"""Regenerates static/vendor/: CodeMirror 6 and its dependencies as plain ES modules.

The site has no bundler and its Content-Security-Policy allows scripts from
itself only, so the code editor's packages are served from static/vendor/,
one ``index.js`` per package. Each is the package's own ES module build,
taken unchanged from the npm registry except for its imports: bare names
(``@codemirror/state``) become relative paths (``../state/index.js``) that a
browser can load without an import map. Each package's LICENSE goes beside it.

Versions are pinned below with the registry's sha512 integrity, so a
regenerated tree is byte for byte the one committed, or the script stops.
To upgrade, change a pin (``npm view <name>@<version> dist.integrity`` gives
the integrity), run ``python tools/vendor_codemirror.py`` and update the
versions in static/vendor/README.md; tests/test_vendor.py checks they agree.

Needs only the standard library and network access to registry.npmjs.org.
"""

from __future__ import annotations

import base64
import hashlib
import io
import posixpath
import re
import shutil
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's "sha512-<base64>" of the tarball

    @property
    def folder(self) -> str:
        """Where it goes under static/vendor/: its npm name without the "@"."""
        return self.name.removeprefix("@")

    @property
    def tarball_url(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        return f"{REGISTRY}/{self.name}/-/{base}-{self.version}.tgz"


# The editors' packages and everything they import, nothing more
# (@codemirror/streamparser is imported by @codemirror/language; lang-markdown
# imports lang-html, which imports the CSS and JavaScript languages and lint):
# name, version, the registry's integrity of its tarball.
PINS = """
@codemirror/autocomplete    6.20.4  sha512-yF8RhOf2SXlg00+qtupzLhrglcas61boqaONiNcbPIebHCpJocpqTBA6dyrtUrQO47hqyTdeob/3XnYilT7TaQ==
@codemirror/commands        6.11.2  sha512-NbH6Q9lmcXvf9s5/mMJIwL2Hjl2NEdsN/dDlezGnaFOQgNZ59dT7ndKUf21/PIjJacD/Ti2Ifi4TsBkO6WHvsg==
@codemirror/lang-css        6.3.1   sha512-kr5fwBGiGtmz6l0LSJIbno9QrifNMUusivHbnA1H6Dmqy4HZFte3UAICix1VuKo0lMPKQr2rqB+0BkKi/S3Ejg==
@codemirror/lang-html       6.4.12  sha512-pw2ReWKUqSkbvh76RAT4NYxiogRu+PWkR2ukAwO9uOgrm8uipkzjtKKtNpyeAQwHOqxEeSvAXZ6vr3AfyB9y/w==
@codemirror/lang-javascript 6.2.5   sha512-zD4e5mS+50htS7F+TYjBPsiIFGanfVqg4HyUz6WNFikgOPf2BgKlx+TQedI1w6n/IqRBVBbBWmGFdLB/7uxO4A==
@codemirror/lang-markdown   6.5.2   sha512-AwBOdkWYuA//WcM0xO5PfHPUcmz/O2i5o0Nsg1U69SII/loCJlFI1Romd9xp2HYb1kYJRGZotyqRghuHH5n8Kw==
@codemirror/lang-python     6.2.1   sha512-IRjC8RUBhn9mGR9ywecNhB51yePWCGgvHfY1lWN/Mrp3cKuHr0isDKia+9HnvhiWNnMpbGhWrkhuWOc09exRyw==
@codemirror/language        6.13.1  sha512-zfvU2r3TyylQLMj/te+5CnQ0rSqZi8B1oTCBbQkagcLW4Xc6imab6qN+pEJhsuNOLaJqiRyBXp9UhWA1DhVvDw==
@codemirror/lint            6.9.8   sha512-qNvtcE73xUto/D1RvtgSRI4A1Hg8ekxlvtZpjHpdpisLBnhyu82EUEJMEgaxkjuQCA8vqnrylENWKOsEDCOHcw==
@codemirror/state           6.7.6   sha512-kAz+AncRtKuIknedxT1bq4XwXv4UowhbkHU1myPrtVb/jZtImWuV5BXzv5vK6i3kYACsdiZiQKFQQ5Mq7elW8w==
@codemirror/streamparser    6.0.0   sha512-JTFPF6xrfjt0mnfGPgzcLiMwYmvIyNaoizp8BYzv8FE8KrT6GBGDZ190rtt+O7Wke3gG/MFHyiY9YGNeimof4w==
@codemirror/view            6.44.2  sha512-7yxTh7+iCbxIV9QCJAVlkYjWV/TCHD0zmLIaIR3NOb47YpCWwVUuFUnHwkRC3z+8cXNgeJzrCy4QtlR3fVt5kg==
@lezer/common               1.5.7   sha512-3+3PN+M/3xSjrlQz8/wBPOl+JYGJ+G37ZszHfnhphFwj41qPUPxsz4WEic3ZyVpL23rX1qefaGqz0lA7jGUqwg==
@lezer/css                  1.3.9   sha512-ZmzgvTOBdJWGIsY/ItAfN7UW8DV802oZG+jeG6E508SwEzz5YhuAajptpWPICvIyqYAD2+VjMdOS40GgGkyEOQ==
@lezer/highlight            1.2.5   sha512-O1GMVKgtf5YspFaRzpmqkVgMtIk2HG9uMAbH6wdAIdNh3TVzCsch/+cRi+6l2//UGDKe6NB9BW3cvuR5ezMQ0w==
@lezer/html                 1.3.13  sha512-oI7n6NJml729m7pjm9lvLvmXbdoMoi2f+1pwSDJkl9d68zGr7a9Btz8NdHTGQZtW2DA25ybeuv/SyDb9D5tseg==
@lezer/javascript           1.5.7   sha512-o3Rn+TzKuN25sdILOZFXi8hz4K/ed4OK0I+QrAi7Zzn3tXRBZmfsQrZpLX47ZYK/rZU8Vu4jLkz4SOSYRzBfjw==
@lezer/lr                   1.4.13  sha512-Ez6qF9rXdnR/7hTcA6kHq1uTcPV+17hyUFjiHBVYNi0a81TgbkC0SwiNvxcuUMkvX7phuhTHo+QAXh9L2kjGdg==
@lezer/markdown             1.8.2   sha512-q0kGuKOFrKEMi8d3ExryIOAT5XwjW86x1JO5scQB7gcXr8LobgXP3l6Gq6ArpXUQLeDju9cwRHF2Axjk6VMhLQ==
@lezer/python               1.1.19  sha512-MhQIURHRytsNzP/YXnqpYKW6la6voAH3kyplTOOiCdjyFY6cWWGFVmYVdHIPrElqSDf4iCDktQCockB9FxuhzQ==
@marijn/find-cluster-break  1.0.4   sha512-Wy0V7+SGUjnF9/TkiM1hKVDPj7jKXduPNboMVtHTA8dySMURWqfg/JZ9E2Sq8JgSJmkl7k7Qe9FLeMSrSraWmQ==
crelt                       1.0.7   sha512-aK6BbWfhf4U/wCcLHKPJl/xa6VkVstRaPywWtMKGwuOLc/wZTyQYuoxgvZnNsBvv7Kg3YTBQYYBCggcviQczuA==
style-mod                   4.1.5   sha512-WQ2llCZa9sZSkJA+aOwpg5DkfbAXFKGh//t3MRTBeruFiSBC+GXUmbBzrw3bXyboCWAbtCW9InDfBsXrRD/rAg==
w3c-keyname                 2.2.8   sha512-dpojBhNsCNN7T82Tm7k26A6G9ML3NkhDsnw9n/eoxSRlVBB4CEtIQ/KTCLI2Fwf3ataSXRhYFkQi3SlnFwPvPQ==
"""
PACKAGES = [Package(*line.split()) for line in PINS.strip().splitlines()]

# The ES module each package's package.json names for "import", inside the
# tarball's "package/" folder. Packages not listed use dist/index.js.
ENTRY = {
    "@marijn/find-cluster-break": "src/index.js",
    "crelt": "index.js",
    "style-mod": "src/style-mod.js",
    "w3c-keyname": "index.js",
}

# import/export statements naming a module, at the start of a line as the
# builds write them (so "from" inside a comment or string is left alone).
STATEMENT = re.compile(
    r"""^(?P<head>(?:import|export)\b[^'"\n]*?\bfrom\s*|import\s*)(?P<q>['"])(?P<spec>[^'"]+)(?P=q)""",
    re.MULTILINE,
)


def fetch(package: Package) -> tarfile.TarFile:
    with urllib.request.urlopen(package.tarball_url, timeout=60) as response:
        data = response.read()
    algorithm, _, expected = package.integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        sys.exit(f"{package.name}@{package.version}: the tarball does not match its integrity")
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


def member_text(archive: tarfile.TarFile, path: str) -> str:
    extracted = archive.extractfile(f"package/{path}")
    if extracted is None:
        raise FileNotFoundError(path)
    return extracted.read().decode("utf-8")


def license_text(archive: tarfile.TarFile, package: Package) -> str:
    for name in ("LICENSE", "LICENSE.md", "LICENSE.txt", "license"):
        try:
            return member_text(archive, name)
        except KeyError:
            continue
    sys.exit(f"{package.name}@{package.version} has no LICENSE file: check its terms by hand")


def relink(source: str, package: Package, folders: dict[str, str]) -> str:
    """The module with its bare imports made relative to where it is served."""

    def replace(match: re.Match[str]) -> str:
        spec = match["spec"]
        if spec.startswith("."):
            # The builds vendored here are single files: a relative import would be missed.
            sys.exit(f"{package.name} imports {spec!r}: the build is not a single file")
        if spec not in folders:
            sys.exit(f"{package.name} imports {spec!r}, which is not pinned here")
        here = package.folder
        target = posixpath.relpath(f"{folders[spec]}/index.js", here)
        if not target.startswith("."):
            target = f"./{target}"
        return f"{match['head']}{match['q']}{target}{match['q']}"

    relinked = STATEMENT.sub(replace, source)
    # A source map comment would name a file that is not served.
    return re.sub(r"^//# sourceMappingURL=.*$\n?", "", relinked, flags=re.MULTILINE)


def main() -> None:
    folders = {package.name: package.folder for package in PACKAGES}
    for package in PACKAGES:
        archive = fetch(package)
        entry = ENTRY.get(package.name, "dist/index.js")
        target = VENDOR / package.folder
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        code = relink(member_text(archive, entry), package, folders)
        (target / "index.js").write_text(code, encoding="utf-8")
        (target / "LICENSE").write_text(license_text(archive, package), encoding="utf-8")
        print(f"{package.name}@{package.version} -> static/vendor/{package.folder}/")


if __name__ == "__main__":
    main()
