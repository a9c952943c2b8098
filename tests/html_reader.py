"""Reading HTML with the standard library: a page as an ``Element`` tree, a form's fields.

Shared by the fixtures in conftest.py (``html``, ``form_fields``) and by
tests/servers.py, which reads the admin's forms over real HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        """Descendants by tag and attribute values; ``class_`` matches one CSS class."""
        found = []
        for element in self.iter():
            if tag is not None and element.tag != tag:
                continue
            if all(_attr_matches(element, name, value) for name, value in attrs.items()):
                found.append(element)
        return found

    def find(self, tag: str | None = None, **attrs: str) -> Element | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None


def _attr_matches(element: Element, name: str, value: str) -> bool:
    if name == "class_":
        return value in (element.attrs.get("class") or "").split()
    return element.attrs.get(name.replace("_", "-")) == value


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(markup: str | bytes) -> Element:
    if isinstance(markup, bytes):
        markup = markup.decode()
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root


def form_data(form: Element) -> dict[str, str]:
    """What a browser would submit from ``form`` untouched (without a submit button)."""
    data: dict[str, str] = {}
    for element in form.iter():
        name = element.attrs.get("name")
        if not name or "disabled" in element.attrs:
            continue
        if element.tag == "input":
            kind = (element.attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                continue
            if kind in {"checkbox", "radio"} and "checked" not in element.attrs:
                continue
            data[name] = element.attrs.get("value") or ("on" if kind == "checkbox" else "")
        elif element.tag == "textarea":
            # Browsers drop the newline right after <textarea>; html.parser does not.
            data[name] = element.text.removeprefix("\n")
        elif element.tag == "select":
            options = element.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            if chosen:
                data[name] = chosen[0].attrs.get("value") or ""
    return data
