"""Article HTML to clean, readable Markdown with numbered links. Pure; never raises.

The pipeline: decode and bound the input, resolve WordPress shortcodes, parse with BeautifulSoup's
`html.parser` builder (with bounded error recovery), one cleaning pass over the tree (clutter,
tracking, URLs, lazy images, embeds, flattening of runaway nesting), an optional pass that drops
clutter lines, then markdownify with a tuned converter. Links and images get numbers in reading
order and are listed at the end (`[1]: https://...`), each URL once.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import html as htmllib
import html.parser as htmlparser
import json
import logging
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.builder import ParserRejectedMarkup
from bs4.builder._htmlparser import BeautifulSoupHTMLParser, HTMLParserTreeBuilder
from bs4.element import PreformattedString
from markdownify import ATX, BACKSLASH, MarkdownConverter, chomp

from reader.textutil import strip_control

log = logging.getLogger(__name__)

CONVERTER_VERSION = 2  # 2: bidi override controls dropped (textutil)
"""Bumped whenever the output for the same input changes; part of `cache_key`."""

SUMMARY_NOTE = "*Summary only — the feed carries no full text.*"
"""First line of the Markdown of a summary-only article."""

TRUNCATED_NOTE = "*The article was cut short here: it is too long to convert in full.*"
"""Last line of the body when the input was over `MAX_INPUT_CHARS`."""

MAX_INPUT_BYTES = 16 * 1024 * 1024
"""Bytes input is cut here before decoding."""
MAX_INPUT_CHARS = 1024 * 1024
"""HTML longer than this (after dropping scripts, styles and inline data) is cut."""
MAX_TAGS = 50_000
"""HTML with more tags than this is cut (the work is linear in tags: ~40 us each here)."""
MAX_DEPTH = 64
"""Elements nested deeper than this are flattened to their text (markdownify recurses)."""
MAX_RECOVERIES = 8
"""Unterminated tags the parser may re-scan past before the rest is taken as text."""
MAX_LINE_CHARS = 400
"""Longer runs of text are never clutter lines (and are not matched)."""

_ALLOWED_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "ftps", "tel", "sms", "gemini",
                              "gopher", "magnet", "xmpp", "irc", "ircs", "news", "nntp", "geo"})


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


# ---------------------------------------------------------------------------------------------
# Site rules


@dataclass(frozen=True)
class SiteRule:
    """One validated [[site_rules]] table."""

    name: str
    hosts: tuple[str, ...]
    drop_selectors: tuple[str, ...] = ()
    drop_lines: tuple[re.Pattern[str], ...] = ()
    drop_shortcodes: frozenset[str] = frozenset()

    def applies_to(self, host: str) -> bool:
        """True when this rule is for `host` ("*" rules are for every host)."""
        for pattern in self.hosts:
            if pattern == "*" or host == pattern or host.endswith("." + pattern):
                return True
        return False


@dataclass
class Rules:
    """The shipped rules merged with the user's; `problems` lists what was skipped and why."""

    rules: tuple[SiteRule, ...]
    problems: tuple[str, ...] = ()
    _by_host: dict[str, _Clutter] = field(default_factory=dict, repr=False, compare=False)

    def for_host(self, host: str) -> _Clutter:
        """The compiled clutter matcher for one host (cached)."""
        clutter = self._by_host.get(host)
        if clutter is None:
            if len(self._by_host) > 512:
                self._by_host.clear()
            clutter = _Clutter([r for r in self.rules if r.applies_to(host)])
            self._by_host[host] = clutter
        return clutter


_RULE_KEYS = ("name", "hosts", "drop_selectors", "drop_lines", "drop_shortcodes")


def _strings(value: Any, key: str, where: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        problems.append(f"{where}: {key} must be a list of strings")
        return []
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(item)
        else:
            problems.append(f"{where}: {key}: {item!r} is not a string")
    return out


def _site_rule(data: Any, where: str, problems: list[str]) -> SiteRule | None:
    if not isinstance(data, dict):
        problems.append(f"{where}: a rule must be a table")
        return None
    for key in data:
        if key not in _RULE_KEYS:
            problems.append(f"{where}: unknown key {key!r} ignored")
    name = data.get("name") if isinstance(data.get("name"), str) else where
    hosts = tuple(h.strip().lower().lstrip(".") for h in
                  _strings(data.get("hosts"), "hosts", where, problems) if h.strip())
    if not hosts:
        problems.append(f"{where}: no hosts, rule skipped")
        return None
    selectors = []
    for sel in _strings(data.get("drop_selectors"), "drop_selectors", where, problems):
        if _selector_problem(sel):
            problems.append(f"{where}: bad selector {sel!r} skipped")
        else:
            selectors.append(sel.strip())
    lines = []
    for text in _strings(data.get("drop_lines"), "drop_lines", where, problems):
        try:
            lines.append(re.compile(text, re.IGNORECASE | re.DOTALL))
        except re.error as exc:
            problems.append(f"{where}: bad pattern {text!r} skipped ({exc})")
    codes = frozenset(c.strip().lower() for c in
                      _strings(data.get("drop_shortcodes"), "drop_shortcodes", where, problems)
                      if c.strip())
    return SiteRule(name, hosts, tuple(selectors), tuple(lines), codes)


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[SiteRule, ...], tuple[str, ...]]:
    problems: list[str] = []
    try:
        text = resources.files("reader").joinpath("site_rules.toml").read_text("utf-8")
        tables = tomllib.loads(text).get("site_rules", [])
    except (OSError, ValueError) as exc:  # tomllib.TOMLDecodeError is a ValueError
        return (), (f"site_rules.toml: {exc}",)
    rules = [_site_rule(t, f"site_rules.toml #{i + 1}", problems) for i, t in enumerate(tables)]
    return tuple(r for r in rules if r), tuple(problems)


@functools.lru_cache(maxsize=32)
def _load(extra_json: str) -> Rules:
    rules, problems = _shipped()
    extra = json.loads(extra_json)
    if isinstance(extra, dict):  # a whole table {"site_rules": [...]} is accepted too
        extra = extra.get("site_rules", [extra])
    if not isinstance(extra, list):
        return Rules(rules, problems + ("extra rules: expected a list of tables",))
    more: list[str] = []
    users = [_site_rule(t, f"site_rules #{i + 1}", more) for i, t in enumerate(extra)]
    return Rules(rules + tuple(r for r in users if r), problems + tuple(more))


def load_rules(extra_rules: Iterable[dict[str, Any]] | None = None) -> Rules:
    """The shipped site rules (reader/site_rules.toml) followed by `extra_rules`.

    `extra_rules` has the shape of the TOML's [[site_rules]] tables (a list of dicts). Invalid
    entries are skipped and described in `Rules.problems`; this never raises.
    """
    try:
        key = json.dumps(list(extra_rules or []), sort_keys=True, default=str)
    except (TypeError, ValueError):
        key = "[]"
    return _load(key)


# -- selectors: simple ones are matched in the cleaning pass; the rest go to soupsieve ---------

_SIMPLE_SELECTOR = re.compile(
    r"""(?P<tag>[a-zA-Z][a-zA-Z0-9-]*|\*)?
        (?P<rest>(?:\.[\w-]+|\#[\w-]+
                   |\[\s*[\w:-]+\s*(?:[~^$*]?=\s*(?:"[^"]*"|'[^']*'|[^\]\s"']+)\s*)?\])*)""",
    re.VERBOSE,
)
_SELECTOR_PART = re.compile(
    r"""\.(?P<cls>[\w-]+)|\#(?P<id>[\w-]+)
        |\[\s*(?P<attr>[\w:-]+)\s*(?:(?P<op>[~^$*]?=)\s*(?:"(?P<v1>[^"]*)"|'(?P<v2>[^']*)'|(?P<v3>[^\]\s"']+))\s*)?\]""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Compound:
    """A compound simple selector such as a.share[href*="x"]."""

    tag: str | None
    id: str | None
    classes: frozenset[str]
    attrs: tuple[tuple[str, str | None, str], ...]

    def matches(self, name: str, attrs: dict[str, Any]) -> bool:
        if self.tag is not None and self.tag != name:
            return False
        if self.id is not None and attrs.get("id") != self.id:
            return False
        if self.classes:
            have = attrs.get("class")
            if not have:
                return False
            if isinstance(have, str):
                have = have.split()
            if not self.classes.issubset(have):
                return False
        for attr, op, want in self.attrs:
            value = attrs.get(attr)
            if value is None:
                return False
            if op is None:
                continue
            if not isinstance(value, str):
                value = " ".join(value)
            if op == "=":
                ok = value == want
            elif op == "*=":
                ok = want in value
            elif op == "^=":
                ok = value.startswith(want)
            elif op == "$=":
                ok = value.endswith(want)
            else:  # "~="
                ok = want in value.split()
            if not ok:
                return False
        return True


def _parse_simple(selector: str) -> _Compound | None:
    m = _SIMPLE_SELECTOR.fullmatch(selector.strip())
    if not m or not (m.group("tag") or m.group("rest")):
        return None
    tag = (m.group("tag") or "").lower()
    ident = None
    classes: list[str] = []
    attrs: list[tuple[str, str | None, str]] = []
    for part in _SELECTOR_PART.finditer(m.group("rest")):
        if part.group("cls"):
            classes.append(part.group("cls"))
        elif part.group("id"):
            if ident is not None and ident != part.group("id"):
                return None
            ident = part.group("id")
        else:
            value = part.group("v1") or part.group("v2") or part.group("v3") or ""
            attrs.append((part.group("attr").lower(), part.group("op"), value))
    return _Compound(tag if tag not in ("", "*") else None, ident, frozenset(classes),
                     tuple(attrs))


def _selector_problem(selector: str) -> bool:
    """True when `selector` is neither simple nor accepted by soupsieve."""
    if not selector.strip():
        return True
    if all(_parse_simple(s) for s in selector.split(",")):
        return False
    try:
        import soupsieve

        soupsieve.compile(selector)
    except Exception:
        return True
    return False


class _Clutter:
    """The rules for one host, compiled for the cleaning pass."""

    def __init__(self, rules: list[SiteRule]) -> None:
        self.tags: set[str] = set()
        self.classes: set[str] = set()
        self.contains: dict[tuple[str | None, str], list[str]] = {}  # a[href*="x"] and the like
        self.by_id: dict[str, list[_Compound]] = {}
        self.by_class: dict[str, list[_Compound]] = {}
        self.by_attr: dict[str, list[_Compound]] = {}
        complex_selectors: list[str] = []
        lines: list[re.Pattern[str]] = []
        codes: set[str] = set()
        for rule in rules:
            lines.extend(rule.drop_lines)
            codes.update(rule.drop_shortcodes)
            for selector in rule.drop_selectors:
                parts = [_parse_simple(s) for s in selector.split(",")]
                if not all(parts):
                    complex_selectors.append(selector)
                    continue
                for comp in parts:
                    assert comp is not None
                    self._index(comp)
        self.lines = tuple(lines)
        self.line = _one_pattern(self.lines)
        self.contains_re = {key: re.compile("|".join(re.escape(v) for v in values))
                            for key, values in self.contains.items()}
        self.shortcodes = frozenset(codes)
        self.complex = None
        if complex_selectors:
            try:
                import soupsieve

                self.complex = soupsieve.compile(", ".join(complex_selectors))
            except Exception:  # validated one by one already; a join can still fail
                log.debug("site rule selectors rejected: %r", complex_selectors)

    def _index(self, comp: _Compound) -> None:
        if comp.tag is None and not comp.attrs and len(comp.classes) == 1 and comp.id is None:
            self.classes.add(next(iter(comp.classes)))  # ".name": a set lookup
        elif (not comp.classes and comp.id is None and len(comp.attrs) == 1
              and comp.attrs[0][1] == "*=" and comp.attrs[0][2]):
            attr, _, value = comp.attrs[0]  # one regex search per attribute value
            self.contains.setdefault((comp.tag, attr), []).append(value)
        elif comp.id is not None:
            self.by_id.setdefault(comp.id, []).append(comp)
        elif comp.classes:
            self.by_class.setdefault(next(iter(comp.classes)), []).append(comp)
        elif comp.attrs:
            self.by_attr.setdefault(comp.attrs[0][0], []).append(comp)
        elif comp.tag is not None:
            self.tags.add(comp.tag)

    def drops(self, name: str, attrs: dict[str, Any]) -> bool:
        """True when a rule selector matches this element."""
        if name in self.tags:
            return True
        if not attrs:
            return False
        ident = attrs.get("id")
        if ident and ident in self.by_id:
            if any(c.matches(name, attrs) for c in self.by_id[ident]):
                return True
        classes = attrs.get("class")
        if classes and isinstance(classes, str):
            classes = classes.split()
        if classes and not self.classes.isdisjoint(classes):
            return True
        if classes and self.by_class:
            for cls in classes:
                comps = self.by_class.get(cls)
                if comps and any(c.matches(name, attrs) for c in comps):
                    return True
        if self.contains_re:
            for attr, value in attrs.items():
                for key in ((name, attr), (None, attr)):
                    pattern = self.contains_re.get(key)
                    if pattern is None:
                        continue
                    if not isinstance(value, str):
                        value = " ".join(value)
                    if pattern.search(value):
                        return True
        if self.by_attr:
            for attr in attrs:
                comps = self.by_attr.get(attr)
                if comps and any(c.matches(name, attrs) for c in comps):
                    return True
        return False


# ---------------------------------------------------------------------------------------------
# Input: decoding, bounding, shortcodes

_CHARSET = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_SURROGATES = re.compile("[\ud800-\udfff]")
_LEGACY_LATIN = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "ascii",
                           "us-ascii", "iso_8859-1", "cp819", "ibm819"})


def _decode(data: bytes) -> str:
    """Bytes to text: BOM, else a declared charset, else UTF-8; bad bytes become U+FFFD."""
    data = data[:MAX_INPUT_BYTES]
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    declared = _CHARSET.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        name = "cp1252" if name in _LEGACY_LATIN else name
        try:
            info = codecs.lookup(name)
        except LookupError:
            info = None
        if info is not None and info.name not in ("utf-8", "utf-8-sig") and getattr(
                info, "_is_text_encoding", True):
            try:  # a legacy declaration over bytes that are valid, non-ASCII UTF-8 is wrong
                text = data.decode("utf-8")
                if not data.isascii():
                    return text
            except UnicodeDecodeError:
                pass
            try:
                return data.decode(info.name, "replace")
            except (UnicodeError, LookupError, TypeError):
                pass
    return data.decode("utf-8", "replace")


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def _ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, so indices match `text` (str.lower turns "İ" into 2)."""
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def _without_heavy_parts(text: str) -> str:
    """Drop <script>/<style> blocks and inline data: URIs (used only on oversized input)."""
    low = _ascii_lower(text)
    keep: list[str] = []
    pos = 0
    for tag in ("<script", "<style"):
        if tag not in low:
            continue
        closer = "</" + tag[1:]
        out, start, i = [], 0, 0
        while True:
            i = low.find(tag, i)
            if i < 0:
                break
            end = low.find(closer, i)
            if end < 0:
                end = len(low)
            else:
                gt = low.find(">", end)
                end = len(low) if gt < 0 else gt + 1
            out.append(text[start:i])
            start = i = end
        out.append(text[start:])
        text = "".join(out)
        low = _ascii_lower(text)
    i = 0
    while True:
        i = low.find("data:", i)
        if i < 0:
            break
        quote = text[i - 1] if i > 0 else ""
        if quote not in ("'", '"'):
            i += 5
            continue
        end = low.find(quote, i)
        end = len(low) if end < 0 else end
        if end - i > 512:  # only big payloads; short data: URIs cost nothing
            keep.append(text[pos:i])
            pos = end
        i = end
    keep.append(text[pos:])
    return "".join(keep)


def _bounded(text: str) -> tuple[str, bool]:
    """Cap the input: MAX_INPUT_CHARS characters and MAX_TAGS tags; returns (text, was_cut)."""
    many_tags = len(text) > 3 * MAX_TAGS and text.count("<") > MAX_TAGS
    if len(text) <= MAX_INPUT_CHARS and not many_tags:
        return text, False
    text = _without_heavy_parts(text)
    cut = False
    if len(text) > MAX_INPUT_CHARS:
        end = text.rfind("<", MAX_INPUT_CHARS - 4096, MAX_INPUT_CHARS)
        text, cut = text[:end if end > 0 else MAX_INPUT_CHARS], True
    if len(text) > 3 * MAX_TAGS and text.count("<") > MAX_TAGS:
        pos = -1
        for _ in range(MAX_TAGS):
            pos = text.find("<", pos + 1)
        text, cut = text[:pos], True
    return text, cut


_SHORTCODE = re.compile(r"\[(/?)([a-z][a-z0-9_-]{0,40})((?:\s|=)[^\[\]]{0,2000}?)?(/?)\]")
_SHORTCODE_ATTR = re.compile(r"(?:^|\s)[\w-]+\s*=|://")
_SHORTCODE_LIKE_AD = re.compile(r"[a-z]{2,}\d+")
_EMBED_SHORTCODES = frozenset({"embed", "youtube", "vimeo", "video", "audio", "tweet",
                               "soundcloud", "wpvideo", "dailymotion", "instagram", "ted",
                               "slideshare", "spotify"})
_KEEP_CONTENT_SHORTCODES = frozenset({"caption", "wp_caption"})
_CLOSING_LINK = re.compile(r"\s*</a\s*>", re.IGNORECASE)
_URL_IN_TEXT = re.compile(r"""(?:https?:)?//[^\s"'<>\[\]]+""")


def _protected_ranges(text: str) -> list[tuple[int, int]]:
    """Spans of <pre> and <code> elements, where shortcodes are left alone."""
    low = _ascii_lower(text)
    a, b = low.find("<pre"), low.find("<code")
    ranges = []
    while a >= 0 or b >= 0:
        start, closer = (a, "</pre") if b < 0 or 0 <= a < b else (b, "</code")
        end = low.find(closer, start)
        end = len(low) if end < 0 else end
        ranges.append((start, end))
        if 0 <= a <= end:  # each search goes forward only: linear however they interleave
            a = low.find("<pre", end)
        if 0 <= b <= end:
            b = low.find("<code", end)
    return ranges


def _embed_html(url: str) -> str:
    url = htmllib.unescape(url.strip())
    return f'<a href="{htmllib.escape(url)}" {_EMBED_ATTR}="1"></a>'


_ANY_TAG = re.compile(r"<[^>]*>")
_CAPTION_ATTR = re.compile(r"""\bcaption\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _caption_html(inner: str, attrs: str = "") -> str:
    """[caption]<img ...> Text[/caption] as a figure with its caption; the old form keeps the
    caption in an attribute: [caption ... caption="Text"]<img ...>[/caption]."""
    old_style = _CAPTION_ATTR.search(attrs)
    if old_style and not _ANY_TAG.sub("", inner).strip():
        text = htmllib.escape(htmllib.unescape(old_style.group(1) or old_style.group(2) or ""))
        inner = f"{inner}{text}" if text.strip() else inner
    low = _ascii_lower(inner)
    start = low.find("<img")
    end = low.find(">", start) if start >= 0 else -1
    if end < 0:
        return inner
    end += 1
    closing_link = _CLOSING_LINK.match(inner, end)
    if closing_link:
        end = closing_link.end()
    caption = inner[end:].strip()
    if not caption:
        return inner
    return f"<figure>{inner[:end]}<figcaption>{caption}</figcaption></figure>"


def _resolve_shortcodes(text: str, known: frozenset[str]) -> str:
    """Remove or resolve WordPress shortcodes left in the text; keep [sic], [1], [Reuters].

    [embed]url[/embed], [youtube url] and the like become links; [caption]...[/caption] keeps
    its image and caption text; other shortcodes go, keeping what they enclose.
    """
    if "[" not in text:
        return text
    matches = list(_SHORTCODE.finditer(text))
    if not matches:
        return text
    closers = {m.group(2) for m in matches if m.group(1)}
    ranges = _protected_ranges(text)
    r = 0
    out: list[str] = []
    pos = 0
    capture, capture_from = "", -1  # inside [embed]...[/embed] or [caption]...[/caption]
    capture_attrs = ""
    for m in matches:
        while r < len(ranges) and ranges[r][1] <= m.start():
            r += 1
        if r < len(ranges) and ranges[r][0] <= m.start():
            continue
        closing, name, attrs, selfclose = m.group(1), m.group(2), m.group(3) or "", m.group(4)
        if not (name in known or closing or selfclose or name in closers
                or name in _KEEP_CONTENT_SHORTCODES or name in _EMBED_SHORTCODES
                or (attrs and _SHORTCODE_ATTR.search(attrs))
                or "_" in name or _SHORTCODE_LIKE_AD.fullmatch(name)):
            continue
        if capture:
            if closing and name == capture:
                inner = text[capture_from:m.start()]
                if capture == "embed":
                    url = _URL_IN_TEXT.search(inner)
                    out.append(_embed_html(url.group()) if url else inner)
                else:
                    out.append(_caption_html(inner, capture_attrs))
                capture, pos = "", m.end()
            continue
        out.append(text[pos:m.start()])
        pos = m.end()
        if closing or selfclose:
            continue
        if name in _EMBED_SHORTCODES:
            url = _URL_IN_TEXT.search(attrs)
            if url:
                out.append(_embed_html(url.group()))
            elif name == "embed":
                capture, capture_from = name, pos
        elif name in _KEEP_CONTENT_SHORTCODES:
            capture, capture_from, capture_attrs = name, pos, attrs
    if capture:
        pos = min(pos, capture_from)
    out.append(text[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Parsing with bounded error recovery


_CLOSES_P = frozenset({
    "address", "article", "aside", "blockquote", "details", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "hr", "li", "main", "menu", "nav", "ol", "p", "pre", "section", "table",
    "ul",
})
_P_SCOPE = frozenset({"button", "table", "td", "th", "caption", "html", "object", "template",
                      "applet", "marquee"})
# start tag -> (open tags it closes, tags that stop the search)
_IMPLIED_END = {
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "menu", "table"})),
    "dt": (frozenset({"dt", "dd"}), frozenset({"dl", "table"})),
    "dd": (frozenset({"dt", "dd"}), frozenset({"dl", "table"})),
    "tr": (frozenset({"tr"}), frozenset({"table", "tbody", "thead", "tfoot"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
}
_IMPLIED_SEARCH = 48
"""How far down the open-element stack implied end tags are looked for (keeps it linear)."""


_BAD_CHARREF = re.compile(r"&#(?![0-9]|[xX][0-9a-fA-F])")


class _Parser(BeautifulSoupHTMLParser):
    """html.parser with the implied end tags HTML needs most: <p>, <li>, <dt>/<dd>, <tr>, <td>."""

    @classmethod
    def _warn(cls, stacklevel: int = 5) -> None:
        """No "XML parsed as HTML" warning: feed content is HTML whatever it starts with."""

    def handle_starttag(self, name: str, attrs: Any, handle_empty_element: bool = True) -> None:
        if name in _CLOSES_P:
            self._close_open(frozenset({"p"}), _P_SCOPE)
        rule = _IMPLIED_END.get(name)
        if rule is not None:
            self._close_open(*rule)
        super().handle_starttag(name, attrs, handle_empty_element)

    def _close_open(self, names: frozenset[str], boundary: frozenset[str]) -> None:
        soup = self.soup
        stack = soup.tagStack
        for i in range(len(stack) - 1, max(0, len(stack) - _IMPLIED_SEARCH), -1):
            tag_name = stack[i].name
            if tag_name in names:
                soup.endData()  # pending text belongs to the element being closed
                soup._popToTag(tag_name)
                return
            if tag_name in boundary:
                return


class _BoundedTreeBuilder(HTMLParserTreeBuilder):
    """html.parser with bounded recovery from unterminated constructs.

    `HTMLParser.close()` recovers from an unterminated tag or comment by re-scanning from the
    next character, which is quadratic (`'<!--' * 50_000` took 32 s). Here the parser stops at
    the first unterminated construct; we let it re-scan past at most MAX_RECOVERIES of them and
    then take the rest as text. A construct with no '>' after it at all is a truncated tag and
    is dropped, as browsers do.
    """

    def feed(self, markup: Any, _parser_class: Any = _Parser) -> None:
        args, kwargs = self.parser_args
        parser = _parser_class(self.soup, *args, **kwargs)
        try:
            parser.feed(markup)
            for attempt in range(MAX_RECOVERIES + 1):
                rest = parser.rawdata
                if not rest or parser.cdata_elem or rest[0] not in "<&":
                    break
                parser.rawdata = ""
                if rest[0] == "<" and ">" not in rest:
                    break
                if attempt == MAX_RECOVERIES:
                    parser.feed(htmllib.escape(rest, quote=False))
                else:
                    parser.feed(("&lt;" if rest[0] == "<" else "&amp;") + rest[1:])
            parser.close()
        except AssertionError as exc:
            raise ParserRejectedMarkup(exc) from exc
        parser.already_closed_empty_element = []


def _parse(text: str) -> BeautifulSoup:
    if "&#" in text:  # html.parser takes everything after a bad "&#" as text; escape those
        text = _BAD_CHARREF.sub("&amp;#", text)
    if "<" not in text:  # same tree; keeps bs4 from warning that the text "looks like a URL"
        text = f"<div>{text}</div>"
    return BeautifulSoup(text, builder=_BoundedTreeBuilder())


# ---------------------------------------------------------------------------------------------
# The cleaning pass

_EMBED_ATTR = "data-reader-embed"
_FN_REF = "data-reader-fnref"
_FN_BODY = "data-reader-fnbody"

_DROP_TAGS = frozenset({
    "script", "style", "noscript", "template", "head", "title", "meta", "link", "base",
    "form", "button", "input", "select", "textarea", "option", "optgroup", "datalist", "output",
    "fieldset", "nav", "svg", "canvas", "dialog", "frameset", "frame", "applet", "map", "area",
    "param", "track", "source", "slot",
})
_EMBED_TAGS = frozenset({"iframe", "video", "audio", "object", "embed"})
_BLOCK = frozenset({
    "[document]", "html", "body", "address", "article", "aside", "blockquote", "caption",
    "center", "dd", "details", "div", "dl", "dt", "figcaption", "figure", "footer", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "menu", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
_VOID = frozenset({"br", "hr", "img", "wbr", "col"})
_LAZY_SRC = ("data-lazy-src", "data-src", "data-original", "data-orig-src")
_LAZY_SRCSET = ("data-lazy-srcset", "data-srcset", "srcset")
_LAYOUT_TABLE_TAGS = frozenset({"table", "tbody", "thead", "tfoot", "tr", "td", "th"})
_SRCSET_SPLIT = re.compile(r"(?<=\d[wx]),\s*|,\s+")
_STRAY_SCHEME_CHARS = re.compile(r"[\s\x00-\x1f]+")


def _px(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    digits = ""
    for ch in value:
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits and len(digits) < 7 else None


def _largest_srcset(srcset: str) -> str:
    best, best_size = "", -1.0
    for candidate in _SRCSET_SPLIT.split(srcset.strip().rstrip(",")):
        parts = candidate.split()
        if not parts:
            continue
        size = 1.0
        if len(parts) > 1:
            try:
                size = float(parts[1][:-1])
            except ValueError:
                size = 1.0
        if size > best_size:
            best, best_size = parts[0].rstrip(","), size
    return best


def _hidden(attrs: dict[str, Any]) -> bool:
    if "hidden" in attrs:
        return True
    style = attrs.get("style")
    if style and isinstance(style, str):
        style = style.replace(" ", "").lower()
        return "display:none" in style or "visibility:hidden" in style
    return False


class _Cleaner:
    """One pass over the parsed tree: drops clutter, resolves URLs, prepares embeds."""

    def __init__(self, soup: BeautifulSoup, base: str, clutter: _Clutter) -> None:
        self.soup = soup
        self.base = base
        self.base_page = base.split("#", 1)[0]
        self.origin = ""  # scheme://host of an http(s) base, for "/path" links
        try:
            parts = urlsplit(base)
            if parts.scheme.lower() in ("http", "https") and parts.netloc:
                self.origin = f"{parts.scheme.lower()}://{parts.netloc}"
        except ValueError:
            self.origin = ""
        self.clutter = clutter
        self.containers: list[Tag] = []
        self.fragment_links: list[tuple[Tag, str]] = []
        self.ids: dict[str, Tag] = {}

    # -- URLs --
    def url(self, raw: Any) -> str | None:
        """An absolute URL with an allowed scheme, or None."""
        if not isinstance(raw, str):
            return None
        raw = raw.strip()
        if not raw:
            return None
        if "\n" in raw or "\t" in raw or "\r" in raw:
            raw = raw.replace("\n", "").replace("\t", "").replace("\r", "")
        head = raw[:12].lower()
        if ":" in head:
            scheme = _STRAY_SCHEME_CHARS.sub("", raw.split(":", 1)[0]).lower()
            if scheme not in _ALLOWED_SCHEMES:
                if scheme.isalpha() and len(scheme) > 1:  # javascript:, data:, file: ...
                    return None
        if head.startswith(("https://", "http://")):
            host_at = 8 if head[4] == "s" else 7
            if len(raw) <= host_at or raw[host_at] in "/\\?#":
                return None
            if "[" not in raw:
                return _encode_url(raw)  # the common case, without urljoin's cost
            # a bracket ("http://[::1" is no URL; fuzzing found it): urlsplit checks below
        if self.origin and raw[0] == "/" and raw[1:2] != "/":
            return _encode_url(self.origin + raw)
        try:
            if self.base:
                url = urljoin(self.base, raw)
            elif raw.startswith("//"):
                url = "https:" + raw
            else:
                url = raw
            parts = urlsplit(url)
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        if scheme not in _ALLOWED_SCHEMES:
            return None
        if scheme in ("http", "https", "ftp", "ftps") and not parts.netloc:
            return None
        return _encode_url(url)

    def image_url(self, tag: Tag) -> str | None:
        attrs = tag.attrs
        for name in _LAZY_SRC + ("src",):
            value = attrs.get(name)
            if isinstance(value, str) and value.strip() and not value.strip().lower().startswith(
                    ("data:", "about:")):
                return self.url(value)
        for name in _LAZY_SRCSET:
            value = attrs.get(name)
            if isinstance(value, str) and value.strip():
                return self.url(_largest_srcset(value))
        parent = tag.parent
        if parent is not None and parent.name == "picture":
            for source in parent.find_all("source", recursive=False):
                value = source.get("srcset") or source.get("data-srcset")
                if isinstance(value, str) and value.strip():
                    return self.url(_largest_srcset(value))
        return None

    # -- the walk --
    def run(self) -> None:
        stack: list[tuple[Tag, int, bool]] = [(self.soup, 0, False)]
        while stack:
            node, depth, in_link = stack.pop()
            if node.name in _BLOCK:
                self.containers.append(node)
            contents = node.contents
            drops: list[int] = []
            todo: list[tuple[Tag, int, bool]] = []
            for index, child in enumerate(contents):
                if not isinstance(child, Tag):
                    if isinstance(child, PreformattedString):  # comment, CDATA, doctype, PI
                        drops.append(index)
                    continue
                if depth >= MAX_DEPTH:
                    self.flatten(child)
                    continue
                keep = self.visit(child, in_link)
                if not keep:
                    drops.append(index)
                elif child.contents and child.name not in _VOID:
                    todo.append((child, depth + 1, in_link or child.name == "a"))
            for index in reversed(drops):
                contents[index].extract(_self_index=index)
            stack.extend(reversed(todo))
        if self.clutter.complex is not None:
            for tag in self.clutter.complex.select(self.soup):
                if tag.parent is not None:
                    tag.extract()
        if self.clutter.lines:
            self.drop_lines()
        if self.fragment_links:
            self.footnotes()

    def visit(self, tag: Tag, in_link: bool) -> bool:
        """Clean one element in place; False when it is to be dropped."""
        name = tag.name
        attrs = tag.attrs
        if name in _DROP_TAGS:
            return False
        if attrs:
            if self.clutter.drops(name, attrs) or _hidden(attrs):
                return False
            ident = attrs.get("id")
            if isinstance(ident, str) and ident not in self.ids:
                self.ids[ident] = tag
        elif name in self.clutter.tags:
            return False
        if name == "a":
            if "name" in attrs and isinstance(attrs["name"], str):
                self.ids.setdefault(attrs["name"], tag)
            raw = attrs.get("href")
            if raw is None:
                return True
            url = None if in_link else self.url(raw)
            if url is None:
                del tag["href"]
            else:
                tag["href"] = url
            if isinstance(raw, str):
                raw = raw.strip()
                if raw.startswith("#") and len(raw) > 1:
                    self.fragment_links.append((tag, raw[1:]))
                elif url and self.base_page and url.startswith(self.base_page + "#"):
                    self.fragment_links.append((tag, url[len(self.base_page) + 1:]))
            return True
        if name == "img":
            width, height = _px(attrs.get("width")), _px(attrs.get("height"))
            if (width is not None and width <= 1) or (height is not None and height <= 1):
                return False
            url = self.image_url(tag)
            alt = attrs.get("alt")
            tag.attrs = {"alt": alt if isinstance(alt, str) else ""}
            if url:
                tag["src"] = url
            return True
        if name in _EMBED_TAGS:
            return self.embed(tag)
        if name == "table":
            self.maybe_layout_table(tag)
        return True

    def embed(self, tag: Tag) -> bool:
        """Turn an iframe/video/audio/object/embed into a link to its source."""
        attrs = tag.attrs
        raw = None
        for name in _LAZY_SRC + ("src", "data"):
            if isinstance(attrs.get(name), str) and attrs[name].strip():
                raw = attrs[name]
                break
        if raw is None and tag.name in ("video", "audio"):
            source = tag.find("source", src=True)
            raw = source.get("src") if source is not None else None
        url = self.url(raw)
        if not url:
            return False
        title = attrs.get("title") if isinstance(attrs.get("title"), str) else ""
        tag.clear()
        tag.name = "span"
        tag.attrs = {}
        link = self.soup.new_tag("a", attrs={"href": url, _EMBED_ATTR: "1"})
        if title.strip():
            link.string = title.strip()
        tag.append(link)
        return True

    def maybe_layout_table(self, table: Tag) -> None:
        """A table of one column is layout, not data: turn it into plain blocks."""
        rows = table.find_all("tr")
        if not rows or any(len(r.find_all(("td", "th"), recursive=False)) > 1 for r in rows):
            return
        for tag in [table, *table.find_all(_LAYOUT_TABLE_TAGS)]:
            tag.name = "div"

    def flatten(self, tag: Tag) -> None:
        """Replace a too-deep subtree by its text."""
        text = tag.get_text(" ")
        tag.clear()
        tag.name = "span"
        tag.attrs = {}
        if text.strip():
            tag.append(NavigableString(text))

    # -- clutter lines --
    def drop_lines(self) -> None:
        clutter = self.clutter
        for container in self.containers:
            if container.parent is None and container is not self.soup:
                continue  # dropped with an ancestor
            contents = container.contents
            drops: list[int] = []
            start = 0
            for index, child in enumerate(contents):
                if isinstance(child, Tag) and (child.name in _BLOCK or child.name == "br"):
                    if _is_clutter_line(contents[start:index], clutter):
                        drops.extend(range(start, index + (child.name == "br")))
                    start = index + 1
            if _is_clutter_line(contents[start:], clutter):
                drops.extend(range(start, len(contents)))
            for index in reversed(drops):
                contents[index].extract(_self_index=index)

    # -- footnotes --
    def footnotes(self) -> None:
        labels: dict[str, str] = {}
        links = sorted(self.fragment_links,
                       key=lambda item: (item[0].sourceline or 0, item[0].sourcepos or 0))
        for link, fragment in links:
            if link.parent is None:
                continue
            target = self.ids.get(fragment)
            if target is None or target is link:
                continue
            ancestors = []
            node = link.parent
            while node is not None:
                ancestors.append(node)
                node = node.parent
            if any(a is target or a.has_attr(_FN_BODY) for a in ancestors):
                if target.has_attr(_FN_REF) or target.find(attrs={_FN_REF: True}):
                    link.extract()  # a back-link from the note to its reference
                continue
            if not (link.parent.name == "sup" or _footnote_hint(link) or _footnote_hint(target)):
                continue
            label = labels.setdefault(fragment, str(len(labels) + 1))
            link[_FN_REF] = label
            target[_FN_BODY] = label
        for target in self.ids.values():
            if target.has_attr(_FN_BODY):
                for back in target.find_all("a", class_=re.compile("backref|back-ref")):
                    back.extract()


def _footnote_hint(tag: Tag) -> bool:
    for attr in ("class", "rel", "role", "id"):
        value = tag.get(attr)
        if not value:
            continue
        value = (" ".join(value) if not isinstance(value, str) else value).lower()
        if "footnote" in value or "noteref" in value or "endnote" in value or (
                attr == "id" and value.startswith(("fn", "note"))):
            return True
    return False


def _one_pattern(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """The drop_lines patterns as one alternation (one fullmatch per line), if they combine."""
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns),
                          re.IGNORECASE | re.DOTALL)
    except re.error:  # e.g. the same group name in two patterns
        return None


def _is_clutter_line(nodes: list[Any], clutter: _Clutter) -> bool:
    if not nodes:
        return False
    parts = []
    size = 0
    for node in nodes:
        text = node.get_text() if isinstance(node, Tag) else str(node)
        size += len(text)
        if size > MAX_LINE_CHARS + 200:  # room for white space that collapses
            return False
        parts.append(text)
    text = " ".join("".join(parts).split())
    if not text or len(text) > MAX_LINE_CHARS:
        return False
    if clutter.line is not None:
        return clutter.line.fullmatch(text) is not None
    return any(p.fullmatch(text) for p in clutter.lines)


# ---------------------------------------------------------------------------------------------
# Markdown

_CLAIM = "\x02%d\x03"
_REF = "\x04%d\x05"
_MARKERS = re.compile("\x02(\\d+)\x03|\x04(\\d+)\x05")
_EXTRACT_NEWLINES = re.compile(r"^(\n*)((?:.*[^\n])?)(\n*)$", re.DOTALL)
_WS_BLOCK = frozenset({"p", "blockquote", "article", "div", "section", "ol", "ul", "li", "dl",
                       "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
                       "h1", "h2", "h3", "h4", "h5", "h6"})
_WS_OUTSIDE = _WS_BLOCK | {"pre"}
_INLINE_CONTEXT = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "td", "th"})
_NOFORMAT = frozenset({"pre", "code", "kbd", "samp"})
_INLINE_MARKUP = frozenset({"b", "strong", "em", "i", "del", "s", "strike", "code", "kbd",
                            "samp", "q", "sub", "sup"})
_SPACES = re.compile("[ \t\n\r\f\v\xa0]+")
_ZERO_WIDTH = re.compile("[\u200b\ufeff]")
_DOUBLE_ENTITY = re.compile(
    r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|nbsp|[lr]squo|[lr]dquo|hellip|[nm]dash|[lr]aquo);")
_ESCAPE = re.compile(r"[\\`*\[\]]|<(?=[A-Za-z/!?])|&(?=#?[A-Za-z0-9]+;)|~~+"
                     r"|(?<![^\W_])_|_(?![^\W_])")
_LINE_START = re.compile(r"^(\s*)(?:([#>])|([-+])(?=\s|$|[-+])|(\d{1,9})([.)])(?=\s|$))")
_CODE_LANGUAGE = re.compile(r"[\w+#.-]{1,30}")
_BACKTICK_RUN = re.compile(r"`{3,}")


def _escape_char(match: re.Match[str]) -> str:
    return "".join("\\" + ch for ch in match.group())


def _escape_line_start(match: re.Match[str]) -> str:
    lead, mark, bullet, number, dot = match.groups()
    if mark:
        return f"{lead}\\{mark}"
    if bullet:
        return f"{lead}\\{bullet}"
    return f"{lead}{number}\\{dot}"


def escape_text(text: str) -> str:
    """Escape Markdown-significant characters in ordinary text."""
    return _ESCAPE.sub(_escape_char, text)


def _code_language(pre: Tag) -> str:
    code = pre.find("code", recursive=False)
    for tag in (pre, code):
        if tag is None:
            continue
        for attr in ("data-lang", "data-language", "lang"):
            value = tag.get(attr)
            if isinstance(value, str) and _CODE_LANGUAGE.fullmatch(value.strip()):
                return value.strip().lower()
        classes = tag.get("class") or []
        if isinstance(classes, str):
            classes = classes.split()
        for i, cls in enumerate(classes):
            for prefix in ("language-", "lang-", "highlight-source-"):
                if cls.startswith(prefix) and _CODE_LANGUAGE.fullmatch(cls[len(prefix):]):
                    return cls[len(prefix):].lower()
            if cls == "brush:" and i + 1 < len(classes):  # SyntaxHighlighter: "brush: php;"
                lang = classes[i + 1].rstrip(";")
                if _CODE_LANGUAGE.fullmatch(lang):
                    return lang.lower()
            if cls.startswith("brush:") and _CODE_LANGUAGE.fullmatch(cls[6:].rstrip(";")):
                return cls[6:].rstrip(";").lower()
    return ""


class _Converter(MarkdownConverter):
    """markdownify, tuned: numbered reference links, our escaping, linear list numbering.

    `process_tag` and `process_text` follow markdownify 1.2's logic but use set lookups where it
    calls `find_parent('pre')` and regexes per node (a third of its time).
    """

    def __init__(self) -> None:
        super().__init__(
            heading_style=ATX, bullets="-", newline_style=BACKSLASH, escape_asterisks=False,
            escape_underscores=False, escape_misc=False, table_infer_header=True,
            code_language_callback=_code_language, keep_inline_images_in=["td", "th"],
        )
        self.targets: list[tuple[str, str, str]] = []
        self._tags: dict[tuple[frozenset[str], str], frozenset[str]] = {}
        self._li_count: dict[int, int] = {}

    def target(self, url: str, kind: str, text: str) -> int:
        self.targets.append((url, kind, text))
        return len(self.targets) - 1

    def child_tags(self, parent_tags: frozenset[str], name: str) -> frozenset[str]:
        key = (parent_tags, name)
        tags = self._tags.get(key)
        if tags is None:
            extra = {name}
            if name in _INLINE_CONTEXT:
                extra.add("_inline")
            if name in _NOFORMAT:
                extra.add("_noformat")
            tags = self._tags[key] = parent_tags | extra
        return tags

    def process_tag(self, node: Any, parent_tags: Any = None) -> str:
        parent_tags = frozenset(parent_tags or ())
        name = node.name
        remove_inside = name in _WS_BLOCK
        children = []
        for el in node.contents:
            if isinstance(el, Tag):
                children.append(el)
            elif el.strip():
                children.append(el)
            elif remove_inside and (el.previous_sibling is None or el.next_sibling is None):
                continue
            elif _ws_outside(el.previous_sibling) or _ws_outside(el.next_sibling):
                continue
            else:
                children.append(el)
        tags = self.child_tags(parent_tags, name)
        strings = []
        for el in children:
            s = (self.process_tag(el, tags) if isinstance(el, Tag)
                 else self.process_text(el, tags))
            if s:
                strings.append(s)
        if "pre" in tags:
            text = "".join(strings)
        else:
            parts: list[str] = []
            prev_trail = ""
            for s in strings:
                if s[0] == "\n" or s[-1] == "\n":
                    lead, content, trail = _EXTRACT_NEWLINES.match(s).groups()  # type: ignore
                    if prev_trail and lead:
                        parts.pop()
                        lead = "\n" * min(2, max(len(prev_trail), len(lead)))
                    parts += (lead, content, trail)
                    prev_trail = trail
                else:
                    parts.append(s)
                    prev_trail = ""
            text = "".join(parts)
        label = node.get(_FN_BODY) if name != "[document]" else None
        if label:
            body = text.strip()
            if not body:
                return ""
            body = "\n".join(("    " + line if line else "") for line in body.split("\n"))
            return f"\n\n[^{label}]: {body[4:]}\n\n"
        if name in _INLINE_MARKUP and "\n\n" in text.strip("\n"):
            return text  # blocks inside an inline element: emphasis cannot span them
        convert_fn = self.get_conv_fn_cached(name)
        if convert_fn is not None:
            text = convert_fn(node, text, parent_tags=parent_tags)
        return text

    def process_text(self, el: Any, parent_tags: Any = None) -> str:
        parent_tags = parent_tags or frozenset()
        text = str(el)
        if "pre" in parent_tags:
            return text
        if "\u200b" in text or "\ufeff" in text:
            text = _ZERO_WIDTH.sub("", text)
        noformat = "_noformat" in parent_tags
        if "&" in text and not noformat:  # entities a feed escaped twice: &amp;#8217;
            text = _DOUBLE_ENTITY.sub(lambda m: htmllib.unescape(m.group()), text)
        text = _SPACES.sub(" ", text)
        if not noformat:
            text = _ESCAPE.sub(_escape_char, text)
        prev, nxt, parent = el.previous_sibling, el.next_sibling, el.parent
        parent_block = parent is not None and parent.name in _WS_BLOCK
        if _ws_outside(prev) or (parent_block and prev is None):
            text = text.lstrip()
        if _ws_outside(nxt) or (parent_block and nxt is None):
            text = text.rstrip()
        if not noformat and (prev is None or (isinstance(prev, Tag) and (
                prev.name in _BLOCK or prev.name == "br"))):
            text = _LINE_START.sub(_escape_line_start, text, count=1)
        return text

    # -- element conversions --
    def convert_a(self, el: Any, text: str, parent_tags: Any) -> str:
        if "_noformat" in parent_tags:
            return text
        label = el.get(_FN_REF)
        if label:
            return f"[^{label}]"
        href = el.get("href")
        embed = el.has_attr(_EMBED_ATTR)
        if embed and not text.strip():
            text = escape_text(_embed_title(href or ""))
        prefix, suffix, text = chomp(text)
        if not text:
            return ""
        if not href:
            return prefix + text + suffix
        if "\n" in text:
            text = " ".join(text.replace("\\\n", " ").split())
        plain = " ".join(el.get_text().split())
        if not plain:
            img = el.find("img")
            plain = " ".join(str(img.get("alt") or "").split()) if img is not None else ""
        if embed and not plain:
            plain = _embed_title(href)
        key = self.target(href, "embed" if embed else "link", plain)
        return f"{prefix}{_CLAIM % key}[{text}][{_REF % key}]{suffix}"

    def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
        alt = " ".join(str(el.get("alt") or "").split())
        src = el.get("src")
        if "_noformat" in parent_tags or not src:
            return escape_text(alt)
        key = self.target(src, "image", alt)
        return f"{_CLAIM % key}![{escape_text(alt)}][{_REF % key}]"

    def convert_br(self, el: Any, text: str, parent_tags: Any) -> str:
        if "pre" in parent_tags:
            return "\n"
        if "_inline" in parent_tags:
            return " "
        prev, nxt = _content_sibling(el, -1), _content_sibling(el, 1)
        while isinstance(prev, Tag) and prev.name not in _BLOCK and prev.name not in _VOID \
                and not prev.get_text().strip() and prev.find("img") is None:
            prev = _content_sibling(prev, -1)  # WordPress: <p><span id="more-1"></span><br>
        if prev is None or nxt is None or _is_tag(prev, "br"):
            return ""
        if isinstance(prev, Tag) and prev.name in _BLOCK:  # "<p>..</p><br>Text": no lone "\"
            return ""
        if isinstance(nxt, Tag) and nxt.name in _BLOCK:
            return ""
        if _is_tag(nxt, "br"):
            return "\n\n"
        return "\\\n"

    def convert_pre(self, el: Any, text: str, parent_tags: Any) -> str:
        text = text.strip("\n")
        if not text.strip():
            return ""
        language = _code_language(el)
        longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=2)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}{language}\n{text}\n{fence}\n\n"

    def convert_li(self, el: Any, text: str, parent_tags: Any) -> str:
        text = (text or "").strip()
        if not text:
            return "\n"
        parent = el.parent
        if parent is not None and parent.name == "ol":
            start = parent.get("start")
            first = int(start) if isinstance(start, str) and start.isdigit() and len(start) < 9 \
                else 1
            n = self._li_count.get(id(parent), 0)
            self._li_count[id(parent)] = n + 1
            bullet = f"{first + n}. "
        else:
            bullet = "- "
        indent = " " * len(bullet)
        lines = text.split("\n")
        body = "\n".join([lines[0]] + [(indent + line if line else "") for line in lines[1:]])
        return f"{bullet}{body}\n"

    def convert_td(self, el: Any, text: str, parent_tags: Any) -> str:
        colspan = el.get("colspan")
        span = max(1, min(50, int(colspan))) if isinstance(colspan, str) and \
            colspan.isdigit() and len(colspan) < 4 else 1
        cell = text.strip().replace("\\\n", " ").replace("\n", " ").replace("|", "\\|")
        return " " + cell + " |" * span

    convert_th = convert_td

    def convert_figcaption(self, el: Any, text: str, parent_tags: Any) -> str:
        text = text.strip()
        if not text:
            return ""
        if "\n" not in text and "*" not in text.replace("\\*", ""):
            text = f"*{text}*"
        return f"\n\n{text}\n\n"

    convert_aside = convert_header = convert_footer = MarkdownConverter.convert_div
    convert_main = convert_figure = convert_details = MarkdownConverter.convert_div
    convert_summary = convert_center = convert_address = MarkdownConverter.convert_div
    convert_hgroup = convert_menu = MarkdownConverter.convert_div


def _embed_title(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    host = host[4:] if host.startswith("www.") else host
    return f"Embedded content from {host}" if host else "Embedded content"


def _ws_outside(el: Any) -> bool:
    return isinstance(el, Tag) and el.name in _WS_OUTSIDE


def _is_tag(el: Any, name: str) -> bool:
    return isinstance(el, Tag) and el.name == name


def _content_sibling(el: Any, step: int) -> Any:
    """The nearest sibling that is a tag or non-blank text, or None."""
    node = el
    while True:
        node = node.previous_sibling if step < 0 else node.next_sibling
        if node is None or isinstance(node, Tag) or str(node).strip():
            return node


_URL_UNSAFE = str.maketrans({" ": "%20", "<": "%3C", ">": "%3E", '"': "%22", "`": "%60",
                             "{": "%7B", "}": "%7D", "|": "%7C", "\\": "%5C", "^": "%5E",
                             # every other whitespace (U+2028 ends a line; fuzzing found it)
                             **{c: url_quote(c) for c in "\t\xa0\u1680\u2000\u2001\u2002\u2003"
                                "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029"
                                "\u202f\u205f\u3000"}})


def _encode_url(url: str) -> str:
    url = strip_control(url).replace("\n", "")
    url = url.translate(_URL_UNSAFE)
    if url.count("(") != url.count(")"):
        url = url.replace("(", "%28").replace(")", "%29")
    return url


# ---------------------------------------------------------------------------------------------
# Output


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

    return _MARKERS.sub(replace, body), links


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


def _convert(html: str | bytes, base_url: str, summary_only: bool,
             extra_rules: list[dict[str, Any]] | None) -> Converted:
    text = _decode(html) if isinstance(html, (bytes, bytearray)) else str(html or "")
    text = strip_control(text)
    text = _SURROGATES.sub("\ufffd", text)
    text, truncated = _bounded(text)
    base = _clean_base(base_url)
    clutter = load_rules(extra_rules).for_host(_host(base))
    text = _resolve_shortcodes(text, clutter.shortcodes)
    soup = _parse(text)
    if "<base" in text[:65536].lower():
        tag = soup.find("base", href=True)
        if tag is not None:
            try:
                base = urljoin(base, str(tag["href"]).strip()) if base else str(tag["href"])
            except ValueError:
                pass
    _Cleaner(soup, base, clutter).run()
    converter = _Converter()
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
        text = _decode(html) if isinstance(html, (bytes, bytearray)) else str(html or "")
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
        body = _tidy(strip_control(_SURROGATES.sub("\ufffd", body)))
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

    def __init__(self, clutter: _Clutter) -> None:
        super().__init__(convert_charrefs=True)
        self.clutter = clutter
        self.skip: list[str] = []  # tags whose subtree is being skipped (their names)
        self.blocks: list[str] = []
        self.line: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
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
        if tag in _DROP_TAGS or _hidden(values) or self.clutter.drops(tag, values):
            self.skip.append(tag)
        elif tag in _BLOCK:
            self._end_line()

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if tag in self.skip:
                del self.skip[len(self.skip) - 1 - self.skip[::-1].index(tag):]
            return
        if tag in _BLOCK:
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
        text = _decode(html) if isinstance(html, (bytes, bytearray)) else str(html or "")
        text, _ = _bounded(_SURROGATES.sub("\ufffd", strip_control(text)))
        clutter = load_rules(extra_rules).for_host(_host(_clean_base(base_url)))
        parser = _SearchText(clutter)
        parser.feed(_resolve_shortcodes(text, clutter.shortcodes))
        parser.close()
        return strip_control(parser.text())
    except Exception:  # noqa: BLE001 - hostile input: search falls back to the bare words
        log.debug("search text failed; using the tag-stripped text", exc_info=True)
        return " ".join(htmllib.unescape(re.sub(r"<[^>]*>", " ", str(html)[:MAX_INPUT_CHARS]))
                        .split())
