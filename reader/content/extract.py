"""The main content of a fetched web page: the article, without the site around it.

For summary-only feeds the app fetches the article's page and hands the body here; the HTML
fragment that comes back goes through `reader.convert.convert` like any feed content (so the
site rules apply to it too). `extract` decodes the bytes itself, refuses what is not an article
page with a reason in words (`ExtractError`), and never raises anything else.

The extractor is our own, on BeautifulSoup's `html.parser` (already a dependency): a
readability-style scorer. Paragraph-like elements score their parent and grandparent (by length
and commas, weighted by the class/id of the container and scaled down by link density); the
best container wins, is widened to its enclosing <article> when that holds most of its text,
and is cleaned of clutter (share bars, related posts, forms, promos, link lists). Why not
readability-lxml or trafilatura: bench/README-extract.md.

Bounds: the input is cut at `MAX_CHARS` characters and `MAX_TAGS` tags after dropping scripts,
styles and comments, so 5 MB of anything finishes in well under two seconds; every walk over the
tree is iterative (no recursion on nesting depth).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from reader.content.decode import ascii_lower as _lower
from reader.content.decode import decode_html
from reader.errors import ExtractError
from reader.textutil import one_line

log = logging.getLogger(__name__)

MAX_CHARS = 1_500_000
"""Characters of markup (after dropping scripts, styles and comments) that are parsed."""
MAX_TAGS = 30_000
"""Tags that are parsed; the rest of the page is cut."""
MIN_TEXT_CHARS = 250
"""An extraction with less visible text than this is no article."""
SMALL_PAGE_CHARS = 2000
"""Below this much text, a login form, consent wording or a 'not found' title wins."""


@dataclass
class Extracted:
    html: str  # the main content as an HTML fragment (fed to reader.convert.convert)
    title: str  # page title if found ("" otherwise), one line, control chars stripped
    text_chars: int  # characters of visible text in `html`


# --- sniffing and decoding ------------------------------------------------------------------

_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"OggS", "an audio file"),
    (b"ID3", "an audio file"),
    (b"fLaC", "an audio file"),
)
_HTML_TYPES = frozenset({"", "text/html", "application/xhtml+xml", "application/xml", "text/xml",
                         "text/plain", "application/octet-stream", "binary/octet-stream",
                         "application/x-httpd-php", "text/x-server-parsed-html"})
_HTML_START = re.compile(r"<\s*(!doctype\s+html|html|head|body|meta|title|div|p|article|main|"
                         r"section|h[1-6]|link|script|style|!--)[\s>/]", re.I)


def _not_html(data: bytes, content_type: str) -> str | None:
    """Why `data` is not an HTML page (by magic bytes and content type), or None."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n\f")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"not an HTML page ({what})"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "not an HTML page (a WebP image)"
    ctype = one_line(content_type.split(";", 1)[0]).lower()[:80]
    if ctype not in _HTML_TYPES:
        return f"not an HTML page ({ctype})"
    return None


def _not_markup(text: str) -> str | None:
    """Why decoded `text` is not an HTML page (JSON, a feed, no markup), or None."""
    head = text[:4096].lstrip("\ufeff \t\r\n\f")
    if head[:1] in ("{", "[") and not _HTML_START.search(head[:1024]):
        return "not an HTML page (JSON data)"
    if head.startswith("<?xml") and re.search(r"<(rss|feed|rdf:RDF)[\s>]", head[:2048]):
        return "not an HTML page (a feed, not an article)"
    if not _HTML_START.search(head):
        return "not an HTML page (no HTML markup at the start of the body)"
    return None


# --- bounding ---------------------------------------------------------------------------------

def _drop_blocks(text: str) -> tuple[str, int]:
    """Remove comments and <script>/<style>/<template>/<svg> blocks, in linear time.

    Returns the rest and the number of characters of script that were removed."""
    low = _lower(text)
    script_chars = 0
    for opener, closer in (("<!--", "-->"), ("<script", "</script"), ("<style", "</style"),
                           ("<template", "</template"), ("<svg", "</svg")):
        if opener not in low:
            continue
        out: list[str] = []
        start = i = 0
        while True:
            i = low.find(opener, i)
            if i < 0:
                break
            after = low[i + len(opener):i + len(opener) + 1]
            if opener != "<!--" and after and after not in " \t\r\n\f/>":
                i += len(opener)  # <scripts>, <svgfoo>: not this element
                continue
            end = low.find(closer, i + len(opener))
            if end < 0:
                end = len(low)
            else:
                gt = low.find(">", end)
                end = len(low) if gt < 0 else gt + 1
            if opener == "<script":
                script_chars += end - i
            out.append(text[start:i])
            start = i = end
        out.append(text[start:])
        text = "".join(out)
        low = _lower(text)
    return text, script_chars


def _bounded(text: str) -> str:
    if len(text) > MAX_CHARS:
        cut = text.rfind("<", MAX_CHARS - 4096, MAX_CHARS)
        text = text[:cut if cut > 0 else MAX_CHARS]
    if text.count("<") > MAX_TAGS:
        pos = -1
        for _ in range(MAX_TAGS):
            pos = text.find("<", pos + 1)
        text = text[:pos]
    return text


# --- signals for pages that are not articles --------------------------------------------------

_NOT_FOUND = re.compile(r"\b404\b|not\s+found|can[’'`]?t\s+be\s+found|cannot\s+be\s+found|"
                        r"could\s+not\s+be\s+found|does(?:n[’'`]?t| not)\s+exist|"
                        r"no\s+longer\s+(?:exists|available)|page\s+is\s+missing", re.I)
_CONSENT = re.compile(r"cookie|consent|accept all|reject all|privacy settings|"
                      r"personali[sz]ed (?:ads|content|advertising)|before you continue|"
                      r"manage (?:your )?(?:preferences|options|settings)|our partners|"
                      r"\bpartners\b", re.I)
_LOGIN = re.compile(r"\b(?:sign|log)\s*in\b|\bregister\b|create (?:a )?(?:free )?account|"
                    r"subscribe to (?:continue|read)|password", re.I)


def _no_article(reason: str) -> ExtractError:
    return ExtractError(f"no article text found on the page ({reason})")


# --- scoring ----------------------------------------------------------------------------------

_DROP_TAGS = frozenset({"script", "style", "template", "svg", "canvas", "button", "input",
                        "select", "textarea", "option", "optgroup", "datalist", "label",
                        "dialog", "meta", "link", "base", "head", "title", "noembed",
                        "frameset", "frame", "map", "area", "portal", "fencedframe"})
_DROP_UNLESS_TEXT = frozenset({"nav", "aside", "header", "footer", "form", "menu"})
_UNLIKELY = re.compile(
    r"-ad-|^ad-|\bads?\b|adsbygoogle|ad-slot|advert|ai2html|banner|breadcrumb|combx|comment|"
    r"community|cover-wrap|disqus|extra|footer|gdpr|cookie|consent|header|legends|menu|related|"
    r"remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|"
    r"agegate|pagination|pager|popup|modal|yom-remote|share|sharing|sharedaddy|newsletter|"
    r"subscribe|signup|sign-up|paywall|promo|ticker|trending|widget|most-read|mostread|"
    r"read-more|readmore|author-box|tag-?cloud|telegram|outbrain|taboola|masthead|navigation|"
    r"\bnav\b|skip-link|toolbar|print-only|screen-reader|visually-hidden|next-prev|prev-next",
    re.I)
_MAYBE = re.compile(r"and|article|body|column|content|main|shadow|story|entry|post-?body|"
                    r"text|prose", re.I)
_NEGATIVE = re.compile(
    r"-ad-|hidden|^hid$|\bhid\b|banner|combx|comment|com-|contact|foot|footer|footnote|gdpr|"
    r"masthead|media|meta|outbrain|promo|related|scroll|share|sharing|shoutbox|sidebar|"
    r"skyscraper|sponsor|shopping|tags|tool|widget|cookie|consent|newsletter|subscribe|signup|"
    r"paywall|telegram|byline|author|breadcrumb|nav|menu|ad-slot|advert|read-more|readmore",
    re.I)
_POSITIVE = re.compile(r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|"
                       r"story|prose", re.I)
_BAD_ROLES = frozenset({"menu", "menubar", "complementary", "navigation", "alert",
                        "alertdialog", "dialog", "banner", "contentinfo", "search"})
_PARAGRAPHS = frozenset({"p", "pre", "td", "blockquote", "li", "dd"})
_BLOCKS = frozenset({"address", "article", "aside", "blockquote", "dd", "div", "dl", "dt",
                     "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
                     "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
                     "table", "ul"})
_CONDITIONAL = frozenset({"div", "section", "ul", "ol", "table", "form", "aside", "dl",
                          "fieldset", "center", "span"})
_EMBEDS = frozenset({"iframe", "embed", "object", "video", "audio"})
_PROMO_LINE = re.compile(r"telegram|whatsapp|newsletter|subscribe|sign up|follow us|join our|"
                         r"download our app|read more|read also|see also|related:", re.I)
_SENTENCE_END = re.compile(r"\.( |$)")


class _Stats:
    """Per-element sums over the subtree, computed bottom-up in one pass."""

    __slots__ = ("text", "links", "commas", "p_text", "p", "img", "li", "inputs", "embeds",
                 "headings", "code")

    def __init__(self) -> None:
        self.text = self.links = self.commas = self.p_text = 0
        self.p = self.img = self.li = self.inputs = self.embeds = self.headings = self.code = 0

    def add(self, other: _Stats) -> None:
        self.text += other.text
        self.links += other.links
        self.commas += other.commas
        self.p_text += other.p_text
        self.p += other.p
        self.img += other.img
        self.li += other.li
        self.inputs += other.inputs
        self.embeds += other.embeds
        self.headings += other.headings
        self.code += other.code


def _stats(root: Tag) -> dict[int, _Stats]:
    tags = [root, *root.find_all(True)]
    table: dict[int, _Stats] = {}
    for tag in reversed(tags):
        s = table.get(id(tag))
        if s is None:
            s = table[id(tag)] = _Stats()
        for child in tag.contents:
            if type(child) is NavigableString:
                text = " ".join(child.split())
                s.text += len(text)
                s.commas += text.count(",") + text.count("،") + text.count("，")
        name = tag.name
        if name == "a":
            s.links = s.text
        elif name in ("p", "pre"):
            s.p += 1
            s.p_text = s.text
            s.code += name == "pre"
        elif name == "code":
            s.code += 1
        elif name == "img":
            s.img += 1
        elif name == "li":
            s.li += 1
        elif name in ("input", "textarea", "select", "button"):
            s.inputs += 1
        elif name in _EMBEDS:
            s.embeds += 1
        elif name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            s.headings += 1
        if tag is not root and tag.parent is not None:
            parent = table.get(id(tag.parent))
            if parent is None:
                parent = table[id(tag.parent)] = _Stats()
            parent.add(s)
    return table


def _names(tag: Tag) -> str:
    classes = tag.get("class")
    if isinstance(classes, list):
        classes = " ".join(classes)
    ident = tag.get("id")
    return f"{classes or ''} {ident or ''}".strip()


def _weight(tag: Tag) -> int:
    names = _names(tag)
    if not names:
        return 0
    weight = 0
    if _NEGATIVE.search(names):
        weight -= 25
    if _POSITIVE.search(names):
        weight += 25
    return weight


def _hidden(tag: Tag) -> bool:
    if tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    style = str(tag.get("style", "")).replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def _remove_where(root: Tag, doomed: Any) -> None:
    """Extract every element for which doomed(tag) is true (outermost first, iteratively)."""
    gone: set[int] = set()
    for tag in root.find_all(True):
        if id(tag.parent) in gone:
            gone.add(id(tag))
            continue
        if doomed(tag):
            gone.add(id(tag))
            tag.extract()


def _strip_page(body: Tag) -> None:
    """Drop what is never the article: scripts, forms' controls, hidden and unlikely parts."""
    stats = _stats(body)
    total_p = max(stats[id(body)].p_text, 1)

    def holds_article(tag: Tag) -> bool:
        return stats[id(tag)].p_text >= 0.3 * total_p and stats[id(tag)].p_text > 200

    def doomed(tag: Tag) -> bool:
        name = tag.name
        if name in _DROP_TAGS:
            return True
        if name in ("html", "body", "a", "article", "main"):
            return False
        if holds_article(tag):
            return False
        if name in _DROP_UNLESS_TEXT or _hidden(tag):
            return True
        if str(tag.get("role", "")).lower() in _BAD_ROLES:
            return True
        names = _names(tag)
        return bool(names) and bool(_UNLIKELY.search(names)) and not _MAYBE.search(names)

    _remove_where(body, doomed)


def _initial_score(tag: Tag) -> float:
    name = tag.name
    score = {"div": 5, "article": 10, "main": 5, "section": 3, "pre": 3, "td": 3,
             "blockquote": 3, "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3,
             "dt": -3, "li": -3, "form": -3, "th": -5, "h1": -5, "h2": -5, "h3": -5,
             "h4": -5, "h5": -5, "h6": -5}.get(name, 0)
    if str(tag.get("itemprop", "")).lower() == "articlebody":
        score += 30
    return score + _weight(tag)


def _link_density(s: _Stats) -> float:
    return s.links / s.text if s.text else 0.0


def _top_candidate(body: Tag) -> tuple[Tag | None, dict[int, float], dict[int, _Stats]]:
    stats = _stats(body)
    scores: dict[int, float] = {}
    nodes: dict[int, Tag] = {}
    for tag in body.find_all(True):
        name = tag.name
        if name == "div":
            if any(isinstance(c, Tag) and c.name in _BLOCKS for c in tag.contents):
                continue  # a container, scored through its paragraphs
        elif name not in _PARAGRAPHS:
            continue
        s = stats[id(tag)]
        if s.text < 25:
            continue
        score = 1 + s.commas + min(s.text // 100, 3)
        ancestor, level = tag.parent, 0
        while ancestor is not None and level < 3 and id(ancestor) in stats:
            key = id(ancestor)
            if key not in scores:
                scores[key] = _initial_score(ancestor)
                nodes[key] = ancestor
            scores[key] += score / (1 if level == 0 else 2 if level == 1 else level * 3)
            ancestor, level = ancestor.parent, level + 1
    best: Tag | None = None
    best_score = 0.0
    for key, tag in nodes.items():
        scores[key] *= 1 - _link_density(stats[key])
        if scores[key] > best_score:
            best, best_score = tag, scores[key]
    return best, scores, stats


def _widen(top: Tag, stats: dict[int, _Stats]) -> Tag:
    """The enclosing <article> (or articleBody) when the top candidate holds most of its text."""
    text = stats[id(top)].p_text
    ancestor = top.parent
    while ancestor is not None and ancestor.name not in ("body", "[document]") and id(
            ancestor) in stats:
        if ancestor.name == "article" or str(ancestor.get("itemprop", "")).lower() == \
                "articlebody":
            outer = stats[id(ancestor)]
            if text >= 0.6 * outer.p_text:
                return ancestor
            break
        ancestor = ancestor.parent
    return top


def _with_siblings(top: Tag, scores: dict[int, float], stats: dict[int, _Stats],
                   soup: BeautifulSoup) -> Tag:
    """Readability's sibling step: paragraphs and good blocks next to the winner join it."""
    parent = top.parent
    if parent is None or parent.name in ("[document]", "html"):
        return top
    top_score = scores.get(id(top), 0.0)
    threshold = max(10.0, top_score * 0.2)
    top_class = _names(top)
    kept: list[Tag] = []
    for sibling in list(parent.contents):
        if not isinstance(sibling, Tag):
            continue
        if sibling is top:
            kept.append(sibling)
            continue
        bonus = top_score * 0.2 if top_class and _names(sibling) == top_class else 0.0
        if id(sibling) in scores and scores[id(sibling)] + bonus >= threshold:
            kept.append(sibling)
        elif sibling.name == "p":
            s = stats[id(sibling)]
            density = _link_density(s)
            text = sibling.get_text(" ", strip=True)
            if (s.text > 80 and density < 0.25) or (
                    0 < s.text <= 80 and density == 0 and _SENTENCE_END.search(text)):
                kept.append(sibling)
        elif sibling.name in ("figure", "pre", "blockquote", "table", "ul", "ol", "h2", "h3"):
            # structure between the paragraphs of the article, when the article is flat
            if top_score and scores.get(id(parent), 0) <= top_score and len(kept) > 0:
                kept.append(sibling)
    if len(kept) <= 1:
        return top
    wrapper = soup.new_tag("div")
    for tag in kept:
        wrapper.append(tag.extract())
    return wrapper


def _is_data_table(tag: Tag) -> bool:
    return tag.find(("th", "thead", "caption")) is not None


def _clean(root: Tag) -> None:
    """Readability's conditional clean-up of the chosen container, plus promo lines."""
    stats = _stats(root)
    total_p = max(stats[id(root)].p_text, 1)

    def doomed(tag: Tag) -> bool:
        name = tag.name
        s = stats[id(tag)]
        if name in ("p", "div") and s.text and s.links >= 0.9 * s.text and s.text < 200:
            text = tag.get_text(" ", strip=True)
            if _PROMO_LINE.search(text):
                return True
        if name in ("h1", "h2", "h3") and _weight(tag) < 0:
            return True
        if name not in _CONDITIONAL:
            return False
        if s.p_text >= 0.5 * total_p and s.p_text > 200:
            return False  # the article itself, whatever its class says
        weight = _weight(tag)
        if weight < 0:
            return True
        if name == "table" and _is_data_table(tag):
            return False
        if s.code and s.links < 0.5 * max(s.text, 1):
            return False
        if name == "span" and s.text > 0:
            return False
        if s.commas >= 10:
            return False
        density = _link_density(s)
        li = s.li - (100 if name in ("ul", "ol") else 0)
        return bool(
            (s.img > 1 and s.p / s.img < 0.5)
            or (name not in ("ul", "ol") and li > s.p and s.p_text < 0.5 * s.text)
            or (s.inputs > s.p / 3)
            or (s.text < 25 and (s.img == 0 or s.img > 2) and s.embeds == 0)
            or (weight < 25 and density > 0.2 and not (name in ("ul", "ol") and density < 0.5
                                                       and s.text > 200))
            or (weight >= 25 and density > 0.5)
            or (s.embeds == 1 and s.text < 75 and s.img == 0 and s.p == 0 and density > 0)
            or s.embeds > 1 and s.text < 75
        )

    _remove_where(root, doomed)
    for node in root.find_all(string=True):
        if isinstance(node, (Comment, Declaration, Doctype, ProcessingInstruction)):
            node.extract()


def _title(soup: BeautifulSoup) -> str:
    for attrs in ({"property": "og:title"}, {"name": "twitter:title"}):
        meta = soup.find("meta", attrs=attrs)
        if isinstance(meta, Tag) and meta.get("content"):
            return one_line(str(meta["content"]))[:300]
    if soup.title is not None and soup.title.string:
        return one_line(str(soup.title.string))[:300]
    h1 = soup.find("h1")
    if isinstance(h1, Tag):
        return one_line(h1.get_text(" "))[:300]
    return ""


def _visible_chars(tag: Tag) -> int:
    return len(" ".join(tag.get_text(" ").split()))


def _extract(data: bytes, url: str, content_type: str) -> Extracted:
    if not data or not data.strip():
        raise ExtractError("the page is empty")
    why = _not_html(data, content_type or "")
    if why:
        raise ExtractError(why)
    text = decode_html(data, content_type or "")
    why = _not_markup(text)
    if why:
        raise ExtractError(why)
    text, script_chars = _drop_blocks(text)
    text = _bounded(text.replace("\x00", ""))
    soup = BeautifulSoup(text, "html.parser")
    title = _title(soup)
    body = soup.body if isinstance(soup.body, Tag) else soup
    page_text = " ".join(body.get_text(" ").split())
    h1 = soup.find("h1")
    headline = " ".join((title, h1.get_text(" ") if isinstance(h1, Tag) else ""))
    has_password = soup.find("input", attrs={"type": re.compile("^password$", re.I)}) is not None
    body_class = body.get("class") if isinstance(body, Tag) and body is not soup else None
    is_404 = bool(_NOT_FOUND.search(headline)) or "error404" in " ".join(body_class or [])

    def refuse() -> ExtractError:
        if has_password and len(page_text) < 3 * SMALL_PAGE_CHARS:
            return _no_article("it asks you to sign in: a login wall")
        if is_404:
            return _no_article("it says the page was not found")
        if len(_CONSENT.findall(page_text)) >= 3 and len(page_text) < 3 * SMALL_PAGE_CHARS:
            return _no_article("a cookie-consent page")
        if script_chars > 20_000 and script_chars > 10 * len(page_text):
            return _no_article(f"it is mostly script ({script_chars // 1024} KB of JavaScript);"
                               " it may need a web browser")
        return _no_article("a login wall or a cookie-consent page?")

    _strip_page(body)
    top, scores, stats = _top_candidate(body)
    if top is None:
        raise refuse()
    root = _widen(top, stats)
    if root is top:
        root = _with_siblings(top, scores, stats, soup)
    _clean(root)
    chars = _visible_chars(root)
    if chars < MIN_TEXT_CHARS:
        raise refuse()
    article_text = " ".join(root.get_text(" ").split())
    if chars < SMALL_PAGE_CHARS:
        if has_password or is_404 or len(_CONSENT.findall(article_text)) >= 3:
            raise refuse()
    root_stats = _stats(root)[id(root)]
    if _link_density(root_stats) > 0.5:
        raise _no_article("only lists of links")
    return Extracted(html=str(root), title=title, text_chars=chars)


def extract(data: bytes, url: str, content_type: str = "") -> Extracted:
    """Main content of a fetched web page. `data` is the raw body (already decompressed and
    size-capped by the fetcher), `url` the final URL, `content_type` the header value.
    Raises ExtractError for anything that is not an article page. Never raises anything else
    (catch and convert library exceptions). Bounded time: < 2 s for 5 MB of input."""
    try:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ExtractError("the page is not bytes")
        return _extract(bytes(data), str(url or ""), str(content_type or ""))
    except ExtractError:
        raise
    except RecursionError:
        raise ExtractError("the page is nested too deeply to read") from None
    except MemoryError:
        raise ExtractError("the page is too big to read") from None
    except Exception as exc:  # a bug or a parser failure: a reason, never a crash
        log.debug("extraction failed on %s", one_line(str(url))[:200], exc_info=True)
        raise ExtractError(f"the page could not be read ({type(exc).__name__})") from None
