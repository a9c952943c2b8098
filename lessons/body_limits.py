"""What a lesson body may cost to render, checked before the costly steps.

Every save renders the body (Markdown, highlighting, nh3). Staff are trusted
to write lessons, not to take the site down by accident or through a stolen
account, and a few kilobytes of the wrong shape used to cost minutes of CPU
and gigabytes: nested tags, formatting tags the HTML parser reopens in every
element after them, tables that fill in empty cells, one long link address
repeated by reference. docs/security.md lists each bound and its test.
"""

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import cache


class BodyError(ValueError):
    """A body a lesson cannot be saved with; the message tells its author why."""

    # The body's claims, when the error came after all of them were read (render_markdown),
    # and the first line of the block each is in.
    claims: list | None = None
    claim_lines: list[int] | None = None


# Two and a half times the longest bundled lesson (12,000). Markdown costs up to 40 us
# a character (a list of 7,500 one-word items renders in 0.5 to 0.75 s).
MAX_BODY_CHARS = 30_000
# Each "[" outside code blocks may start a link or an image, which markdown-it reads
# ahead for: 50 us each, 80 us for an unclosed "![" (15,000 of those took 1.2 s).
MAX_BRACKETS = 2_000
# Markdown alone nests about 40 deep at most (markdown-it stops at 20 levels of blocks).
MAX_HTML_DEPTH = 100
# Formatting elements (<b>, <em>, <a>...) open at once, counting those the HTML parser
# will open again: one left open past the end of its parent is reopened in every
# element after it, so each multiplies the page (2,000 of them: 2.4 s and 550 MB).
MAX_OPEN_FORMATTING = 20
# Tables fill short rows with empty cells: 1.5 KB made 65,000 cells, 1 s and 90 MB.
MAX_TABLE_CELLS = 10_000
# A reference link repeats its address and title wherever it is used.
MAX_LINK_CHARS = 100_000


def check_size(text: str) -> None:
    if len(text) > MAX_BODY_CHARS:
        raise BodyError(
            f"The text holds {len(text):,} characters; a lesson may hold at most "
            f"{MAX_BODY_CHARS:,}. Split it into two lessons."
        )


def check_brackets(inline_texts: Iterable[str]) -> None:
    count = sum(text.count("[") for text in inline_texts)
    if count > MAX_BRACKETS:
        raise BodyError(
            f'The text has {count:,} "[" outside code blocks, each of which may start a link '
            f"or an image; at most {MAX_BRACKETS:,} are allowed."
        )


# ---------------------------------------------------------------------------
# The tags of an HTML text, read as the HTML5 tokenizer reads them: what it
# takes for a comment, an attribute value or the text of a <textarea> holds
# no tags, whatever it looks like.

# Most tags have no attributes (Markdown's <p>, <li>, <em>...): read those in one step.
_PLAIN_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)>")
_SEPARATORS = re.compile(r"[\t\n\f\r /]*")
_SPACES = re.compile(r"[\t\n\f\r ]*")
_TAG_NAME = re.compile(r"[^\t\n\f\r />]*")
_ATTRIBUTE_NAME = re.compile(r"[^\t\n\f\r />=]*")
_UNQUOTED_VALUE = re.compile(r"[^\t\n\f\r >]*")
_COMMENT_END = re.compile(r"--!?>")
# Elements whose content is text up to their own end tag.
_RAW_TEXT = frozenset(
    ["iframe", "noembed", "noframes", "noscript", "style", "textarea", "title", "xmp"]
)
_SCRIPT_MARK = re.compile(r"<!--|-->|</?script(?=[\t\n\f\r />])", re.IGNORECASE)


def _tags(html: str) -> Iterator[tuple[bool, str]]:
    """(is an end tag, lower-case name) for each tag of ``html``, in order."""
    position = 0
    while (start := html.find("<", position)) != -1:
        if plain := _PLAIN_TAG.match(html, start):
            closing, name = plain.group(1) == "/", plain.group(2).lower()
            yield closing, name
            position = plain.end()
            if not closing and (name in _RAW_TEXT or name in {"script", "plaintext"}):
                position = _after_start_tag(html, position, name)
            continue
        after = html[start + 1 : start + 2]
        if html.startswith("<!--", start):
            position = _comment_end(html, start + 4)
            continue
        if after in {"!", "?"}:  # a doctype, CDATA or other bogus comment, up to ">"
            position = _bogus_comment_end(html, start + 2)
            continue
        closing = after == "/"
        name_start = start + 1 + closing
        first = html[name_start : name_start + 1]
        if not (first.isascii() and first.isalpha()):
            if closing and first:  # "</>" is dropped, "</ x>" a bogus comment
                position = name_start + 1 if first == ">" else _bogus_comment_end(html, name_start)
            else:
                position = start + 1  # a "<" of text
            continue
        name_end = _TAG_NAME.match(html, name_start).end()
        name = html[name_start:name_end].lower()
        end = _tag_end(html, name_end)
        if end is None:
            return  # the text ends inside the tag: the tokenizer drops it
        yield closing, name
        position = end if closing else _after_start_tag(html, end, name)


def _after_start_tag(html: str, position: int, name: str) -> int:
    """Where tags start again after the start tag ``name``, which ends at ``position``."""
    if name in _RAW_TEXT:
        return _raw_text_end(html, position, name)
    if name == "script":
        return _script_end(html, position)
    if name == "plaintext":
        return len(html)  # all the rest is text
    return position


def _comment_end(html: str, position: int) -> int:
    if html.startswith(">", position) or html.startswith("->", position):
        return html.find(">", position) + 1  # <!--> and <!---> are whole comments
    found = _COMMENT_END.search(html, position)
    return found.end() if found else len(html)


def _bogus_comment_end(html: str, position: int) -> int:
    end = html.find(">", position)
    return len(html) if end == -1 else end + 1


def _tag_end(html: str, position: int) -> int | None:
    """Where the tag whose attributes start at ``position`` ends, or None at the text's end."""
    length = len(html)
    while True:
        position = _SEPARATORS.match(html, position).end()
        if position >= length:
            return None
        if html[position] == ">":
            return position + 1
        # An attribute: a name (its first character may be "="), perhaps "=" and a value.
        position = _ATTRIBUTE_NAME.match(html, position + 1).end()
        position = _SPACES.match(html, position).end()
        if html.startswith("=", position):
            position = _SPACES.match(html, position + 1).end()
            quote = html[position : position + 1]
            if quote in {'"', "'"}:
                close = html.find(quote, position + 1)
                if close == -1:
                    return None
                position = close + 1
            else:
                position = _UNQUOTED_VALUE.match(html, position).end()


@cache
def _end_tag_pattern(name: str) -> re.Pattern[str]:
    return re.compile(f"</{re.escape(name)}(?=[\\t\\n\\f\\r />])", re.IGNORECASE)


def _raw_text_end(html: str, position: int, name: str) -> int:
    found = _end_tag_pattern(name).search(html, position)
    return found.start() if found else len(html)


def _script_end(html: str, position: int) -> int:
    # Script text has escapes of its own: inside "<!--", a "<script" makes the
    # next "</script" part of the text, until "-->".
    state = "text"
    while found := _SCRIPT_MARK.search(html, position):
        mark = found.group().lower()
        position = found.end()
        if mark == "<!--" and state == "text":
            state = "escaped"
            position = found.start() + 2  # so that "<!-->" also ends it
        elif mark == "-->":
            state = "text"
        elif mark == "<script" and state == "escaped":
            state = "double escaped"
        elif mark == "</script":
            if state != "double escaped":
                return found.start()
            state = "escaped"
    return len(html)


# ---------------------------------------------------------------------------
# How deep the HTML parser will nest those tags: a model that follows the
# parser's rules where missing one would let a small text build a deep or
# huge tree, and otherwise errs on the deep side (where it is unsure an end
# tag closes something, it keeps it open).

# Parsed by rules of their own that the model does not follow; nh3 removes them anyway.
_REFUSED = frozenset(["math", "select", "svg", "template"])
_VOID = frozenset({
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
})  # fmt: skip
# The parser merges these into the page's own element, or drops them.
_IGNORED = frozenset(["body", "frameset", "head", "html"])
_FORMATTING = frozenset({
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
})  # fmt: skip
# Opening one of these hides the formatting opened before it from later end tags.
_MARKERS = frozenset(["applet", "caption", "marquee", "object", "td", "th"])
_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
# An end tag of these closes its element only if none of _SCOPE stands between.
_SCOPE = frozenset(["applet", "caption", "html", "marquee", "object", "table", "td", "th"])
_SCOPED_END = frozenset({
    "address", "applet", "article", "aside", "blockquote", "button", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "header",
    "hgroup", "li", "listing", "main", "marquee", "menu", "nav", "object", "ol", "p", "pre",
    "search", "section", "summary", "ul",
})  # fmt: skip
_TABLE_PARTS = frozenset(
    ["caption", "colgroup", "table", "tbody", "td", "tfoot", "th", "thead", "tr"]
)
# Any other end tag stops at the first of these ("special" elements) that is not its own.
_SPECIAL = _SCOPE | _SCOPED_END | _TABLE_PARTS | _VOID | _HEADINGS | _RAW_TEXT | _IGNORED
_SPECIAL |= {"form", "plaintext", "script", "select"}
# List items end an open item (<li> after <li>) unless a special element stands between.
_ITEM_STOP = _SPECIAL - {"address", "div", "p"}
_CLOSES_ITEM = {"li": {"li"}, "dd": {"dd", "dt"}, "dt": {"dd", "dt"}}
# Elements the parser ends by itself where the text leaves them open.
_IMPLIED_END = frozenset(["dd", "dt", "li", "optgroup", "option", "p", "rb", "rp", "rt", "rtc"])
_RUBY_PARTS = frozenset(["rb", "rp", "rt", "rtc"])
# Start tags that end an open <p> first.
_CLOSES_P = _HEADINGS | _SCOPED_END - _SCOPE - {"button"}
_CLOSES_P |= {"form", "hr", "plaintext", "table", "xmp"}
# Table parts close whatever is open above the part they belong in.
_TABLE_CONTEXT = {
    "caption": {"table"},
    "colgroup": {"table"},
    "tbody": {"table"},
    "thead": {"table"},
    "tfoot": {"table"},
    "tr": {"table", "tbody", "thead", "tfoot"},
    "td": {"table", "tbody", "thead", "tfoot", "tr"},
    "th": {"table", "tbody", "thead", "tfoot", "tr"},
}


class _Formatting:
    """A formatting element the parser remembers, open or to be reopened."""

    __slots__ = ("name", "pending")

    def __init__(self, name: str) -> None:
        self.name = name
        self.pending = False  # closed by the end of its parent: reopened in what comes next


class _Nesting:
    def __init__(self) -> None:
        self.stack: list[tuple[str, _Formatting | None]] = []
        self.open = Counter[str]()
        self.formatting: list[_Formatting] = []
        # End tags cannot reach formatting opened before the last table cell (and
        # the like). The parser forgets that formatting when the cell closes; the
        # model never does, so it keeps counting it.
        self.reachable_from = 0

    def depth(self) -> int:
        return len(self.stack) + sum(entry.pending for entry in self.formatting)

    def start(self, name: str) -> None:
        self._leave_column_group(name != "col")
        if name == "col" and self.open["table"] and self._table_mode() != "colgroup":
            # A <col> in a table closes what is open in it and opens a <colgroup>.
            while self.stack[-1][0] != "table":
                self._pop()
            self._push("colgroup")
        if name in _IGNORED:
            return
        if name in {"option", "optgroup"} and self.stack and self.stack[-1][0] == "option":
            self._pop()
        elif name == "button":
            self._close_within({"button"}, _SCOPE)  # a button does not nest in a button
        elif name in _RUBY_PARTS and self._in_scope("ruby"):
            implied = _IMPLIED_END - ({"rtc"} if name in {"rp", "rt"} else set())
            while self.stack[-1][0] in implied:
                self._pop()
        if name in _CLOSES_ITEM:
            self._close_within(_CLOSES_ITEM[name], _ITEM_STOP - _CLOSES_ITEM[name])
        if name in _CLOSES_P:
            self._close_within({"p"}, _SCOPE | {"button"})
        if name in _VOID:
            return
        if name in _HEADINGS and self.stack and self.stack[-1][0] in _HEADINGS:
            self._pop()  # a heading does not nest in a heading
        elif name == "table" and self._table_mode() not in {None, "caption", "td", "th"}:
            self._close_within({"table"}, {"html"})  # a table straight in a table ends it
        elif name in _TABLE_CONTEXT:
            if not self.open["table"]:
                return  # outside a table, the parser drops these tags
            while self.stack[-1][0] not in _TABLE_CONTEXT[name]:
                self._pop()
            # Rows and cells written straight into a table get a tbody and a tr.
            if name in {"tr", "td", "th"} and self.stack[-1][0] == "table":
                self._push("tbody")
            if name in {"td", "th"} and self.stack[-1][0] != "tr":
                self._push("tr")
        elif name in {"a", "nobr"}:
            self._end_formatting(name, by_end_tag=False)  # a second <a> ends the first
        if name in _MARKERS:
            self.reachable_from = len(self.formatting)
        self._push(name)

    def end(self, name: str) -> None:
        self._leave_column_group(name not in {"col", "colgroup"})
        if name in _FORMATTING:
            self._end_formatting(name, by_end_tag=True)
        elif name == "form":
            # The parser takes the form off its stack but leaves what it holds inside
            # it, and as deep: only a form with nothing open in it counts as closed.
            if self.stack and self.stack[-1][0] == "form":
                self._pop()
        elif name in _HEADINGS:
            self._close_within(_HEADINGS, _SCOPE)  # any heading
        elif name in _TABLE_PARTS:
            self._close_within({name}, {"html", "table"} - {name})
        elif name == "li":
            self._close_within({name}, _SCOPE | {"ol", "ul"})
        elif name == "p":
            self._close_within({name}, _SCOPE | {"button"})
        elif name in _SCOPED_END:
            self._close_within({name}, _SCOPE)
        elif name not in _IGNORED:
            self._close_within({name}, _SPECIAL)

    def _in_scope(self, name: str) -> bool:
        if not self.open[name]:
            return False
        for element, _ in reversed(self.stack):
            if element == name:
                return True
            if element in _SCOPE:
                return False
        return False

    def _table_mode(self) -> str | None:
        """The table part the parser is in (its "insertion mode"), if any."""
        if not self.open["table"]:
            return None
        for element, _ in reversed(self.stack):
            if element in _TABLE_PARTS:
                return element
        return None

    def _leave_column_group(self, leaves: bool) -> None:
        # In a <colgroup>, anything but <col> and </colgroup> closes it first.
        if leaves and self.stack and self.stack[-1][0] == "colgroup":
            self._pop()

    def _end_formatting(self, name: str, *, by_end_tag: bool) -> None:
        for entry in reversed(self.formatting[self.reachable_from :]):
            if entry.name != name:
                continue
            # Closed past other formatting only: past anything else the parser moves
            # elements around. A pending one the parser may have reopened, deep in
            # the page, and end it there; the model keeps counting it, for good.
            if not entry.pending and self._close_past({name}, _FORMATTING):
                self.formatting.remove(entry)
            return
        if by_end_tag:  # one the formatting list has lost is closed like any element
            self._close_within({name}, _SPECIAL)

    def _close_past(self, names: set[str], passes: frozenset[str]) -> bool:
        """Close the nearest open element named in ``names`` if only elements in
        ``passes`` stand above it."""
        for element, _ in reversed(self.stack):
            if element in names:
                self._pop_through(element)
                return True
            if element not in passes:
                return False
        return False

    def _close_within(self, names: set[str] | frozenset[str], stop: set[str] | frozenset[str]):
        """Close the nearest open element named in ``names`` unless an element in
        ``stop`` stands above it."""
        if not any(self.open[name] for name in names):
            return
        for element, _ in reversed(self.stack):
            if element in names:
                self._pop_through(element)
                return
            if element in stop:
                return

    def _push(self, name: str) -> None:
        entry = None
        if name in _FORMATTING:
            entry = _Formatting(name)
            self.formatting.append(entry)
        self.stack.append((name, entry))
        self.open[name] += 1

    def _pop_through(self, name: str) -> None:
        while self._pop() != name:
            pass

    def _pop(self) -> str:
        name, entry = self.stack.pop()
        self.open[name] -= 1
        if entry is not None:
            entry.pending = True
        return name


def check_html_nesting(html: str) -> None:
    """Refuse HTML that would make too deep or too repetitive a tree, in one pass over its tags."""
    nesting = _Nesting()
    for closing, name in _tags(html):
        if closing:
            nesting.end(name)
            continue
        if name in _REFUSED:
            raise BodyError(
                f"The HTML holds a <{name}> element. Lessons cannot use <svg>, <math>, "
                "<select> or <template>, which would be removed from the page anyway."
            )
        nesting.start(name)
        if len(nesting.formatting) > MAX_OPEN_FORMATTING:
            raise BodyError(
                f"The HTML has more than {MAX_OPEN_FORMATTING} formatting tags (<b>, <em>, "
                "<a>...) open at once, counting those left open past the end of the element "
                "they are in (browsers open those again in every element after). Close each one."
            )
        if nesting.depth() > MAX_HTML_DEPTH:
            shown = name if name.isascii() and name.isalnum() and len(name) <= 20 else "tag"
            raise BodyError(
                f"The HTML nests more than {MAX_HTML_DEPTH} elements deep (the deepest is a "
                f"<{shown}>). Close the tags you open."
            )
