"""Lesson Markdown to safe HTML, once per edit.

CommonMark plus tables (markdown-it-py), server-side highlighting (Pygments),
heading anchors (a body's h1 becomes an h2: the page's title is its h1),
demo placeholders, claims (lessons.claims), and then nh3 as the last word: whatever
the Markdown or raw HTML held, no script, event handler or ``javascript:``
URL reaches a reader, even from staff.
"""

import html
import itertools
import json
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.table import table as gfm_table
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.anchors.index import slugify
from pygments import format as format_tokens
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name

from lessons import block_kinds, body_limits
from lessons.body_limits import BodyError
from lessons.claims import Claim, claim_rule, render_claim
from lessons.demo_blocks import DemoBlock, DemoBlockError, parse_demo_block
from lessons.quiz_blocks import MAX_QUIZZES, QuizBlock, QuizBlockError, parse_quiz_block
from lessons.quiz_html import quiz_html

WORDS_PER_MINUTE = 200
# Bump when a change here alters the HTML: stored lessons are then rendered
# again by load_lessons (which `make run` calls), without touching their text.
RENDERER_VERSION = 8

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s",
    "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    # No data-demo here: demo placeholders are added after cleaning, from
    # validated blocks only, so raw HTML cannot smuggle in an unchecked demo.
    "div": {"class"},
    "pre": {"class"},
    "code": {"class"},
    "span": {"class", "title"},  # title: what a claim measures (lessons.claims)
    "p": {"class"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "td": {"class"},
    "th": {"class", "scope"},
    "ol": {"start"},
}


@dataclass(frozen=True)
class Rendered:
    html: str
    toc: list[dict[str, Any]] = field(default_factory=list)
    words: int = 0
    demos: list[str] = field(default_factory=list)
    quizzes: int = 0
    # What each registered kind of block (lessons.block_kinds) keeps of its blocks, by
    # kind: an exercise's title and goals, which the server grades runs with.
    stored: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def exercises(self) -> list[Any]:
        return self.stored.get("exercise", [])

    # The claims in the body (lessons.claims), in order; not stored: check_claims reads bodies.
    claims: list[Claim] = field(default_factory=list)
    # The first line of the block each claim is in (1 for the text's first line).
    claim_lines: list[int] = field(default_factory=list)

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.words / WORDS_PER_MINUTE))


# The languages highlighted on the server; code in any other is shown as plain text.
# Many Pygments lexers backtrack on crafted input (3 KB of tabs cost the AutoHotkey
# lexer 9 s, unclosed /* comments the CSS and JavaScript ones quadratic time);
# these stay linear on lines of up to MAX_HIGHLIGHTED_LINE characters.
HIGHLIGHTED_LANGUAGES = (
    "python", "pycon", "pytb", "console", "bash", "json", "yaml", "toml", "ini", "sql", "diff",
)  # fmt: skip
# A block with a longer line is shown plain: a lexer's regexes may try each position of it.
MAX_HIGHLIGHTED_LINE = 200
# Tokens highlighted per lesson, in order; later code is shown plain. The longest bundled
# lesson has 1,300. A token costs up to 20 microseconds (a line of punctuation is all tokens).
MAX_HIGHLIGHTED_TOKENS = 10_000
# Made once: a formatter builds its style table when made (a millisecond per code block).
_FORMATTER = HtmlFormatter(nowrap=True)
_PLAIN = get_lexer_by_name("text")


def _lexers() -> dict[str, Lexer]:
    lexers = {}
    for name in HIGHLIGHTED_LANGUAGES:
        lexer = get_lexer_by_name(name)  # reusable: a lexer keeps no state between calls
        lexers.update(dict.fromkeys(lexer.aliases, lexer))
    return lexers


_LEXERS = _lexers()


def _highlight(code: str, lang: str, env: dict[str, Any]) -> str:
    # Trailing spaces are invisible, and Python's lexer backtracks across runs of
    # lines holding only spaces or tabs (12 KB of them took 4.6 s).
    lines = [line.rstrip() for line in code.split("\n")]
    code = "\n".join(lines)
    lexer = _LEXERS.get(lang.lower())
    if lexer is not None and max(map(len, lines)) <= MAX_HIGHLIGHTED_LINE:
        budget = env["tokens_left"]
        tokens = list(itertools.islice(lexer.get_tokens(code), budget + 1))
        if len(tokens) <= budget:
            env["tokens_left"] -= len(tokens)
            return format_tokens(tokens, _FORMATTER)
        env["tokens_left"] = 0  # nor any later block: each would lex up to the budget again
    return highlight(code, _PLAIN, _FORMATTER)


def _fence_lang(token: Token) -> str:
    info = token.info.strip()
    return info.split(maxsplit=1)[0] if info else ""


def _render_fence(self, tokens: list[Token], idx: int, options, env) -> str:
    token = tokens[idx]
    lang = _fence_lang(token)
    other = block_kinds.registered(lang) if lang not in _BLOCKS else None
    if lang in _BLOCKS or other is not None:
        kind, parse = _BLOCKS[lang] if other is None else (f"{lang}_blocks", other.parse)
        try:
            block = parse(token.content)
        except BodyError as exc:  # to the editor, naming the line
            line = token.map[0] + 1 if token.map else None
            raise type(exc)(f"Line {line}: {exc}" if line else str(exc)) from None
        env.setdefault(kind, []).append(block)
        most = MAX_QUIZZES if other is None else other.most
        if kind != "demo_blocks" and len(env[kind]) > most:
            error = QuizBlockError if other is None else other.error
            raise error(f"Line {token.map[0] + 1}: a lesson may hold at most {most} {lang} blocks")
        # A marker only this render can name; swapped for the block's HTML after nh3.
        return f'<div class="{lang}-slot-{env["nonce"]}-{len(env[kind]) - 1}"></div>\n'
    body = _highlight(token.content, lang, env)
    css_lang = html.escape(re.sub(r"[^A-Za-z0-9_+-]", "", lang) or "text")
    return f'<pre class="highlight"><code class="language-{css_lang}">{body}</code></pre>\n'


_BLOCKS = {"demo": ("demo_blocks", parse_demo_block), "quiz": ("quiz_blocks", parse_quiz_block)}


def _demo_placeholder(block: DemoBlock) -> str:
    params = html.escape(json.dumps(block.params), quote=True)
    return (
        f'<div class="demo" data-demo="{html.escape(block.name)}" data-params="{params}">'
        '<p class="demo-fallback">This live demo runs on the server and needs '
        "JavaScript to show its results.</p></div>"
    )


# Ids the page templates use themselves; no element of a body may take one of them.
RESERVED_IDS = frozenset({"main", "content", "top", "toc-title", "stats-title"})


def _heading_slug(title: str) -> str:
    slug = slugify(title) or "section"
    return f"{slug}-section" if slug in RESERVED_IDS else slug


def _heading_title(inline: Token) -> str:
    return "".join(
        child.content for child in inline.children or [] if child.type in {"text", "code_inline"}
    )


def _anchor_headings(state: StateCore) -> None:
    """Give each h2 and h3 a unique id: its slug, then slug-1, slug-2... for repeats.

    mdit_py_plugins' anchors plugin gives the same ids, but finds each repeat's
    number by counting up from 1 again: 10,000 headings of the same title took
    25 s. Here each title resumes counting where its last repeat stopped.
    """
    used: set[str] = set()
    next_number: dict[str, int] = {}
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open" or token.tag not in {"h2", "h3"}:
            continue
        base = _heading_slug(_heading_title(state.tokens[index + 1]))
        slug, number = base, next_number.get(base, 1)
        while slug in used:
            slug, number = f"{base}-{number}", number + 1
        if slug != base:
            next_number[base] = number
        used.add(slug)
        token.attrSet("id", slug)


# An h1 tag opening or closing in raw HTML: <h1>, <H1 class=x>, </h1 >.
_RAW_H1 = re.compile(r"<(/?)h1(?=[\s/>])", re.IGNORECASE)


def _h1_to_h2(state: StateCore) -> None:
    """Make every h1 of the body an h2: the page's title is its one h1, and nh3
    would strip a second one to bare text. Runs before the anchors, so a former
    h1 gets an id and a table-of-contents entry like any ## heading."""
    for token in state.tokens:
        if token.type in {"heading_open", "heading_close"} and token.tag == "h1":
            token.tag = "h2"
        elif token.type == "html_block":
            token.content = _RAW_H1.sub(r"<\1h2", token.content)
        elif token.type == "inline":
            for child in token.children or []:
                if child.type == "html_inline":
                    child.content = _RAW_H1.sub(r"<\1h2", child.content)


def _bounded_table(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """markdown-it's table rule, refusing a body whose tables hold too many cells.

    A row shorter than its header is filled with empty cells, so a table of 256
    columns and 255 rows of "|" took 1.5 KB to make 65,000 cells. The row limit
    is passed to the rule, so no table is ever built past the body's budget.
    """
    if silent or not gfm_table(state, start, end, True):
        return gfm_table(state, start, end, silent)
    line = start + 1  # the delimiter row, |---|---|: one part per column
    delimiter = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
    columns = sum(1 for part in delimiter.split("|") if part.strip())
    cells_left = state.env["cells_left"]
    rows_allowed = cells_left // columns - 1  # the header row is cells too
    if rows_allowed >= 0:
        # One row more than allowed, to tell a table that stops there from a longer one.
        gfm_table(state, start, min(end, start + 2 + rows_allowed + 1), False)
        rows = state.line - (start + 2)
        if rows <= rows_allowed:
            state.env["cells_left"] -= columns * (1 + rows)
            return True
    raise BodyError(
        f"The tables hold more than {body_limits.MAX_TABLE_CELLS:,} cells, counting the empty "
        "cells that fill rows shorter than their header. Make them smaller, or fewer."
    )


def _check_links(tokens: list[Token]) -> None:
    # A reference link repeats its definition's address and title where it is used:
    # 8 KB of them used 10,000 times made 80 MB of HTML (3.5 s and 400 MB).
    total = 0
    for token in tokens:
        for child in token.children or []:
            if child.type in {"link_open", "image"}:
                total += sum(
                    len(str(child.attrs.get(name, ""))) for name in ("href", "src", "title")
                )
    if total > body_limits.MAX_LINK_CHARS:
        raise BodyError(
            f"The addresses and titles of the links and images add up to {total:,} characters, "
            f"counting each use of a reference link; at most {body_limits.MAX_LINK_CHARS:,} "
            "are allowed."
        )


def _count_brackets(state: StateCore) -> None:
    # Before the inline rules run: the text they would read ahead in is all there.
    body_limits.check_brackets(token.content for token in state.tokens if token.type == "inline")


def _render_heading_open(self, tokens: list[Token], idx: int, options, env) -> str:
    # A heading anchor goes through nh3 marked with this render's nonce, which raw
    # HTML cannot know: the id filter tells it from an id written by hand.
    token = tokens[idx]
    slug = token.attrGet("id")
    if slug is None:
        return self.renderToken(tokens, idx, options, env)
    token.attrSet("id", f"{env['nonce']}-{slug}")
    try:
        return self.renderToken(tokens, idx, options, env)
    finally:
        token.attrSet("id", slug)


def _id_filter(nonce: str, anchors: set[str]) -> Callable[[str, str, str], str | None]:
    """nh3's attribute filter: heading anchors lose their mark; an id from raw HTML is
    kept unless the page, a heading anchor or an earlier raw id already uses it."""
    mark = f"{nonce}-"
    taken = set(RESERVED_IDS) | anchors

    def keep(_element: str, attribute: str, value: str) -> str | None:
        if attribute != "id":
            return value
        if value.startswith(mark):
            return value.removeprefix(mark)
        if value in taken:
            return None
        taken.add(value)
        return value

    return keep


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.block.ruler.at("table", _bounded_table, {"alt": ["paragraph", "reference"]})
    md.core.ruler.before("inline", "count_brackets", _count_brackets)
    md.core.ruler.push("h1_to_h2", _h1_to_h2)
    md.core.ruler.push("anchor", _anchor_headings)
    md.inline.ruler.before("text", "claim", claim_rule)
    md.add_render_rule("claim", render_claim)
    md.add_render_rule("heading_open", _render_heading_open)
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("code_block", _render_fence)
    return md


_MD = _markdown()


def render_markdown(text: str) -> Rendered:
    """Render lesson Markdown; raises BodyError (DemoBlockError for a bad demo block)
    for a body that cannot be saved, or that would cost too much to render."""
    body_limits.check_size(text)
    env: dict[str, Any] = {
        "nonce": secrets.token_hex(8),
        "demo_blocks": [],
        "quiz_blocks": [],
        "tokens_left": MAX_HIGHLIGHTED_TOKENS,
        "cells_left": body_limits.MAX_TABLE_CELLS,
    }
    tokens = _MD.parse(text, env)
    try:
        _check_links(tokens)
        raw = _MD.renderer.render(tokens, _MD.options, env)
        body_limits.check_html_nesting(raw)  # nh3's parser slows with the square of the depth
        anchors = {str(token.attrs["id"]) for token in tokens if "id" in token.attrs}
        safe = nh3.clean(
            raw,
            tags=_ALLOWED_TAGS,
            attributes=_ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
            strip_comments=True,
            attribute_filter=_id_filter(env["nonce"], anchors),
        )
        blocks: list[DemoBlock] = env["demo_blocks"]
        for index, block in enumerate(blocks):
            slot = f'<div class="demo-slot-{env["nonce"]}-{index}"></div>'
            safe = safe.replace(slot, _demo_placeholder(block), 1)
        quizzes: list[QuizBlock] = env["quiz_blocks"]
        for index, quiz in enumerate(quizzes):
            slot = f'<div class="quiz-slot-{env["nonce"]}-{index}"></div>'
            safe = safe.replace(slot, quiz_html(quiz, index + 1), 1)
        stored: dict[str, list[Any]] = {}
        for key, parsed in env.items():
            other = (
                block_kinds.registered(key.removesuffix("_blocks"))
                if key.endswith("_blocks")
                else None
            )
            if other is None:
                continue
            for index, block in enumerate(parsed):
                slot = f'<div class="{other.info}-slot-{env["nonce"]}-{index}"></div>'
                safe = safe.replace(slot, other.html(block, index), 1)
            stored[other.info] = [other.stored(block) for block in parsed]
    except BodyError as exc:
        # Parsed, so every claim is known: the editor lists them beside a block's error.
        exc.claims = env.get("claims", [])
        exc.claim_lines = _claim_lines(tokens)
        raise
    return Rendered(
        html=safe,
        toc=_toc(tokens),
        words=_count_words(tokens),
        demos=[block.name for block in blocks],
        quizzes=len(quizzes),
        stored=stored,
        claims=env.get("claims", []),
        claim_lines=_claim_lines(tokens),
    )


def _claim_lines(tokens: list[Token]) -> list[int]:
    """Where each claim is, so that the editor lists it at its line and not at the same
    text shown in code: claims are read from inline tokens, in the order of the text."""
    return [
        token.map[0] + 1
        for token in tokens
        if token.type == "inline" and token.map
        for child in token.children or []
        if child.type == "claim"
    ]


def _toc(tokens: list[Token]) -> list[dict[str, Any]]:
    entries = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in {"h2", "h3"}:
            title = _heading_title(tokens[index + 1])
            entries.append({"id": token.attrGet("id"), "title": title, "level": int(token.tag[1])})
    return entries


def _count_words(tokens: list[Token]) -> int:
    words = 0
    for token in tokens:
        if token.type == "inline":
            words += len(token.content.split())
        elif token.type in {"fence", "code_block"} and _fence_lang(token) == "quiz":
            words += len(token.content.split())  # a question is read, and thought over
        elif token.type in {"fence", "code_block"} and _fence_lang(token) != "demo":
            words += len(token.content.split()) // 2  # code is skimmed, not read word by word
    return words


__all__ = ["BodyError", "DemoBlockError", "QuizBlockError", "Rendered", "render_markdown"]
