"""Article HTML to clean, readable Markdown with numbered links. Pure; never raises.

The pipeline, one module a stage: decode and bound the input (`decode`, the decoder the
extractor shares), resolve WordPress shortcodes (`shortcodes`), parse with BeautifulSoup's
`html.parser` builder with bounded error recovery (`htmlparse`), one cleaning pass over the
tree with the site rules (`clean`, `siterules`: clutter, tracking, URLs, lazy images, embeds,
runaway nesting, clutter lines), then Markdown (`markdown`). Links and images get numbers in
reading order and are listed at the end (`[1]: https://...`), each URL once.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import html.parser as htmlparser
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from reader.content.clean import BLOCK, DROP_TAGS, MAX_LINE_CHARS, VOID, Cleaner, hidden
from reader.content.decode import (
    MAX_INPUT_BYTES,
    MAX_INPUT_CHARS,
    SURROGATES,
    bounded,
    decode_html,
)
from reader.content.htmlparse import parse_html
from reader.content.markdown import MARKERS, MarkdownWriter, escape_text
from reader.content.shortcodes import resolve_shortcodes
from reader.content.siterules import Clutter, load_rules
from reader.textutil import strip_control

log = logging.getLogger(__name__)
CONVERTER_VERSION = 2  # 2: bidi override controls dropped (textutil)
"""Bumped whenever the output for the same input changes; part of `cache_key`."""

SUMMARY_NOTE = "*Summary only — the feed carries no full text.*"
"""First line of the Markdown of a summary-only article."""

TRUNCATED_NOTE = "*The article was cut short here: it is too long to convert in full.*"
"""Last line of the body when the input was over `MAX_INPUT_CHARS`."""




@dataclass
class Link:
    """One numbered link of an article."""

    number: int
    """1-based, in reading order; the Markdown refers to it as [text][number]."""
    url: str
    """Absolute URL."""
    kind: str
    """"link", "image" or "embed" (an iframe, video, audio or [embed] shortcode)."""
    text: str
    """The anchor text, image alt text or embed title (plain text)."""


@dataclass
class Converted:
    """The result of `convert`."""

    markdown: str
    """The article as Markdown, ending with the numbered link list."""
    links: list[Link] = field(default_factory=list)
    """The numbered links, images and embeds, in number order."""
    summary_only: bool = False
    """True when this is the feed's summary, not the full text."""




def _tidy(markdown: str) -> str:
    """No trailing spaces, no runs of blank lines (outside code fences), no blank ends."""
    out: list[str] = []
    fence = ""
    blank = True
    for line in markdown.split("\n"):
        line = line.rstrip()
        stripped = line.lstrip()
        if fence:
            out.append(line)
            if stripped.startswith(fence) and not stripped.strip("`"):
                fence = ""
                blank = False
            continue
        if stripped.startswith("```"):
            fence = stripped[: len(stripped) - len(stripped.lstrip("`"))]
        if not line:
            if not blank:
                out.append("")
            blank = True
            continue
        out.append(line)
        blank = False
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _number_links(body: str, targets: list[tuple[str, str, str]]) -> tuple[str, list[Link]]:
    links: list[Link] = []
    by_url: dict[str, int] = {}
    by_key: dict[int, int] = {}

    def claim(key: int) -> int:
        number = by_key.get(key)
        if number is None:
            url, kind, text = targets[key]
            number = by_url.get(url)
            if number is None:
                number = by_url[url] = len(links) + 1
                links.append(Link(number, url, kind, strip_control(text)))
            by_key[key] = number
        return number

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            claim(int(match.group(1)))
            return ""
        return str(claim(int(match.group(2))))

    return MARKERS.sub(replace, body), links


def _link_list(links: list[Link]) -> str:
    lines = []
    for link in links:
        suffix = "" if link.kind == "link" else f" ({link.kind})"
        lines.append(f"[{link.number}]: {link.url}{suffix}")
    return "\n".join(lines)


def _assemble(body: str, links: list[Link], summary_only: bool, truncated: bool) -> str:
    parts = []
    if summary_only:
        parts.append(SUMMARY_NOTE)
    if body:
        parts.append(body)
    if truncated:
        parts.append(TRUNCATED_NOTE)
    if links:
        parts.append(_link_list(links))
    return "\n\n".join(parts) + ("\n" if parts else "")


def _host(base_url: str) -> str:
    try:
        return (urlsplit(base_url).hostname or "").lower()
    except ValueError:
        return ""


def _text_of(html: Any) -> str:
    """The input as text: bytes are cut to MAX_INPUT_BYTES and decoded as browsers do."""
    if isinstance(html, (bytes, bytearray)):
        return decode_html(bytes(html[:MAX_INPUT_BYTES]))
    return str(html or "")


def _convert(html: str | bytes, base_url: str, summary_only: bool,
             extra_rules: list[dict[str, Any]] | None) -> Converted:
    text = _text_of(html)
    text = strip_control(text)
    text = SURROGATES.sub("\ufffd", text)
    text, truncated = bounded(text)
    base = _clean_base(base_url)
    clutter = load_rules(extra_rules).for_host(_host(base))
    text = resolve_shortcodes(text, clutter.shortcodes)
    soup = parse_html(text)
    if "<base" in text[:65536].lower():
        tag = soup.find("base", href=True)
        if tag is not None:
            try:
                base = urljoin(base, str(tag["href"]).strip()) if base else str(tag["href"])
            except ValueError:
                pass
    Cleaner(soup, base, clutter).run()
    converter = MarkdownWriter()
    body = converter.convert_soup(soup)
    body, links = _number_links(body, converter.targets)
    body = _tidy(strip_control(body))
    return Converted(_assemble(body, links, summary_only, truncated), links, summary_only)


def _clean_base(base_url: str) -> str:
    """The base URL, cleaned: no control characters or surrounding space; '' if unusable."""
    base = strip_control(base_url or "").strip()
    return base if base and "\n" not in base else ""


def _fallback(html: Any, summary_only: bool) -> Converted:
    """Plain text when conversion failed: tags dropped, entities decoded, text escaped."""
    try:
        text = _text_of(html)
        text = strip_control(text)[:MAX_INPUT_CHARS]
        out = []
        pos = 0
        while True:
            lt = text.find("<", pos)
            if lt < 0:
                out.append(text[pos:])
                break
            out.append(text[pos:lt])
            gt = text.find(">", lt)
            if gt < 0:
                break
            out.append(" ")
            pos = gt + 1
        paragraphs = [" ".join(p.split()) for p in htmllib.unescape("".join(out)).split("\n\n")]
        body = "\n\n".join(escape_text(p) for p in paragraphs if p)
        body = _tidy(strip_control(SURROGATES.sub("\ufffd", body)))
    except Exception:
        body = ""
    return Converted(_assemble(body, [], summary_only, False), [], summary_only)


def convert(
    html: str | bytes,
    *,
    base_url: str = "",
    summary_only: bool = False,
    extra_rules: list[dict[str, Any]] | None = None,
) -> Converted:
    """Article HTML to clean Markdown with numbered links. Never raises.

    `base_url` resolves relative links (the entry's xml:base or link) and picks the site rules;
    `summary_only` marks the text as the feed's summary; `extra_rules` are the user's
    [[site_rules]] tables. On input it cannot convert, the result is its plain text.
    """
    try:
        return _convert(html, base_url, summary_only, extra_rules)
    except Exception:  # RecursionError, MemoryError and bugs alike: best effort, never raise
        log.debug("conversion failed; using plain text", exc_info=True)
        return _fallback(html, summary_only)


def cache_key(html: str | bytes, *, base_url: str = "",
              extra_rules: list[dict[str, Any]] | None = None) -> str:
    """A key for caching the converted Markdown: converter version plus a content hash.

    The storage layer converts again when the key changes. Pass `base_url` and `extra_rules`
    too when they can change for the same content.
    """
    digest = hashlib.sha256()
    data = html if isinstance(html, (bytes, bytearray)) else str(html or "").encode(
        "utf-8", "surrogatepass")
    digest.update(data)
    if base_url or extra_rules:
        digest.update(b"\x00" + strip_control(base_url).encode("utf-8", "replace"))
        digest.update(b"\x00" + json.dumps(extra_rules or [], sort_keys=True,
                                           default=str).encode("utf-8", "replace"))
    return f"v{CONVERTER_VERSION}:{digest.hexdigest()[:40]}"


# ---------------------------------------------------------------------------------------------
# Search text: what the converter would show, as plain words, without building a tree

class _SearchText(htmlparser.HTMLParser):
    """Streams HTML into the words a reader sees: the converter's dropped tags, hidden
    elements and site-rule selectors are skipped whole; site-rule lines are dropped."""

    def __init__(self, clutter: Clutter) -> None:
        super().__init__(convert_charrefs=True)
        self.clutter = clutter
        self.skip: list[str] = []  # tags whose subtree is being skipped (their names)
        self.blocks: list[str] = []
        self.line: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            if tag == "img" and not self.skip:
                alt = dict(attrs).get("alt")
                if alt:
                    self.line.append(f" {alt} ")
            elif tag == "br":
                self.line.append(" ")
            return
        if self.skip:
            self.skip.append(tag)
            return
        values = {k: v or "" for k, v in attrs}
        if tag in DROP_TAGS or hidden(values) or self.clutter.drops(tag, values):
            self.skip.append(tag)
        elif tag in BLOCK:
            self._end_line()

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if tag in self.skip:
                del self.skip[len(self.skip) - 1 - self.skip[::-1].index(tag):]
            return
        if tag in BLOCK:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.line.append(data)

    def _end_line(self) -> None:
        text = " ".join("".join(self.line).split())
        self.line = []
        if not text:
            return
        if len(text) <= MAX_LINE_CHARS and (
                (self.clutter.line is not None and self.clutter.line.fullmatch(text))
                or (self.clutter.line is None and any(p.fullmatch(text)
                                                      for p in self.clutter.lines))):
            return
        self.blocks.append(text)

    def text(self) -> str:
        self._end_line()
        return "\n".join(self.blocks)


def search_text(html: str | bytes, *, base_url: str = "",
                extra_rules: list[dict[str, Any]] | None = None) -> str:
    """The words `convert` would show for this HTML, one block a line, for the search index:
    the same decoding, shortcodes, dropped tags and site rules, without Markdown (about ten
    times faster than converting). Never raises."""
    try:
        text = _text_of(html)
        text, _ = bounded(SURROGATES.sub("\ufffd", strip_control(text)))
        clutter = load_rules(extra_rules).for_host(_host(_clean_base(base_url)))
        parser = _SearchText(clutter)
        parser.feed(resolve_shortcodes(text, clutter.shortcodes))
        parser.close()
        return strip_control(parser.text())
    except Exception:  # noqa: BLE001 - hostile input: search falls back to the bare words
        log.debug("search text failed; using the tag-stripped text", exc_info=True)
        return " ".join(htmllib.unescape(re.sub(r"<[^>]*>", " ", str(html)[:MAX_INPUT_CHARS]))
                        .split())
