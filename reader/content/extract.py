"""The main content of a fetched web page: the article, without the site around it.

For summary-only feeds the app fetches the article's page and hands the body here; the HTML
fragment that comes back goes through `reader.content.convert.convert` like any feed content (so the
site rules apply to it too). `extract` decodes the bytes itself, refuses what is not an article
page with a reason in words (`ExtractError`), and never raises anything else.

The engine is readability-lxml (a port of the Readability algorithm, on lxml), chosen by
measurement on Mozilla Readability's 130 test pages (bench/bench_extract.py, table and reasons in
bench/README-extract.md). Around it, our own parts: sniffing and decoding the bytes, bounding the
input, a few fixes before and inside the engine (`_prepare`, `_Document`: share bars and signup
cards dropped, javascript: links unwrapped, prose lists kept, figures between kept paragraphs
kept), a fallback to the page's <main> when the engine finds next to nothing, and the refusals
(login walls, cookie-consent pages, soft 404s, script-only pages, placeholders), which say what
the page showed. A short page whose text is (nearly) all in the extraction is an article, however
short. Site rules (reader/content/site_rules.toml) apply afterwards, in reader.content.convert.

Bounds: the input is cut at `MAX_CHARS` characters and `MAX_TAGS` tags after dropping scripts,
styles and comments, so 5 MB of anything finishes in well under two seconds; lxml's parser stops
descending past its nesting limit (256 levels), so absurdly deep pages lose their deepest text
instead of recursing.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass
from typing import Any

import lxml.html
from lxml import etree
from readability import Document
from readability.readability import Unparseable

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
    html: str  # the main content as an HTML fragment (fed to reader.content.convert.convert)
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

_BLOCK_START = re.compile(r"<!--|<(script|style|template|svg)(?=[ \t\r\n\f/>]|$)")


def _drop_blocks(text: str) -> tuple[str, int]:
    """Remove comments and <script>/<style>/<template>/<svg> blocks, in linear time.

    One pass from the left, as a browser reads: a "<!--" inside a script's text is not a
    comment, and a "<script" inside a comment is not a script (a pass per kind would let one
    swallow the page up to a far-away closer of the other).
    Returns the rest and the number of characters of script that were removed."""
    low = _lower(text)
    script_chars = 0
    out: list[str] = []
    start = 0
    while True:
        match = _BLOCK_START.search(low, start)
        if match is None:
            break
        name = match.group(1)
        if name is None:
            end = low.find("-->", match.end())
            end = len(low) if end < 0 else end + 3
        else:
            gt = low.find(">", match.end())
            if name == "svg" and gt > 0 and low[gt - 1] == "/":
                end = gt + 1  # <svg .../>: empty (foreign elements may close themselves)
            else:
                close = low.find("</" + name, match.end())
                gt = low.find(">", close) if close >= 0 else -1
                end = len(low) if gt < 0 else gt + 1
            if name == "script":
                script_chars += end - match.start()
        out.append(text[start:match.start()])
        start = end
    out.append(text[start:])
    return "".join(out), script_chars


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



_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Characters XML (so lxml) cannot hold; a page that has them would not parse."""


def _no_article(reason: str) -> ExtractError:
    return ExtractError(f"no article text found on the page ({reason})")


# --- the engine and what is checked around it -------------------------------------------------

_PASSWORD = etree.XPath("//input[translate(@type, 'PASWOR', 'paswor') = 'password']")
_PLACEHOLDER = re.compile(r"(?:loading|please wait|(?:please )?enable javascript|javascript is "
                          r"(?:required|disabled)|you need to enable javascript)\b", re.I)
_INVISIBLE = ("script", "style", "template", "noscript", "head", "title")


def _text_of(element: Any) -> str:
    """Visible text of an lxml element, whitespace collapsed (no script, style, head)."""
    parts = []
    for node in element.iter():
        if isinstance(node.tag, str) and node.tag not in _INVISIBLE:
            if node.text:
                parts.append(node.text)
        if node.tail and node is not element:
            parent = node.getparent()
            if parent is None or parent.tag not in _INVISIBLE:
                parts.append(node.tail)
    return " ".join(" ".join(parts).split())


def _title(doc: Any) -> str:
    for xpath in ("//meta[@property='og:title']/@content", "//meta[@name='twitter:title']/@content",
                  "//title", "//h1"):
        for found in doc.xpath(xpath):
            text = one_line(found if isinstance(found, str) else found.text_content())[:300]
            if text:
                return text
    return ""


@dataclass
class _Page:
    """What the whole page shows, read before the engine cuts it: for the refusals."""

    title: str
    text: str  # visible text of the body
    headline: str  # title and first <h1>
    has_password: bool
    is_404: bool
    nesting_cut: bool  # the parser dropped what lies past its nesting limit


def _page(doc: Any, parser_log: Any) -> _Page:
    body = doc.find("body")
    h1 = doc.find(".//h1")
    title = _title(doc)
    headline = " ".join((title, h1.text_content() if h1 is not None else ""))
    body_class = body.get("class", "") if body is not None else ""
    return _Page(title=title, text=_text_of(body if body is not None else doc),
                 headline=headline, has_password=bool(_PASSWORD(doc)),
                 is_404=bool(_NOT_FOUND.search(headline)) or "error404" in body_class,
                 nesting_cut=any("depth" in entry.message.lower() for entry in parser_log))


_CLUTTER = re.compile(
    r"share|sharing|social|signup|newsletter|subscribe|promo|cookie|consent|gdpr|"
    r"outbrain|taboola|telegram|related|relatedposts|sharedaddy|likes")
"""Words in the class or id of the clutter that sites put inside the article (dropped before
the engine): share-tools, kg-signup-card, newsletter_form. Not "paywall": Condé Nast marks every
paragraph of the article p.paywall."""
_BOXES = frozenset({"div", "section", "aside", "ul", "ol", "form", "header", "footer", "nav",
                    "figure", "table"})
"""What a clutter box is made of; a paragraph or heading is text whatever its class says."""
_PROMO_LINE = re.compile(r"telegram|whatsapp|newsletter|subscribe|sign up|follow us|join our|"
                         r"download our app|read more|read also|see also|related:", re.I)
"""A short paragraph that is all link and says this is a promotion, not the article."""
_WORDS = re.compile(r"[\s_-]+")
_STRUCTURE = frozenset({"figure", "pre", "blockquote", "table", "ul", "ol", "dl", "h2", "h3",
                        "h4"})
"""Siblings that readability-lxml leaves out from between the paragraphs it keeps."""
_MAX_CLUTTER_SHARE = 0.3  # of the page's text: a box holding more may be the article
_MAX_CLUTTER_CHARS = 1500
_NARROW_SHARE = 0.6
_MAX_MAIN_LINKS = 0.4
_RUNNER_UP_SHARE = 0.75
_RUNNERS_UP = 3
_TOP_CANDIDATES = 5
_PROSE_ITEM_CHARS = 60
_MAX_LIST_LINKS = 0.5


def _names(element: Any) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}"


def _link_chars(element: Any) -> int:
    return sum(len(" ".join(a.text_content().split())) for a in element.iter("a"))


def _prepare(doc: Any) -> None:
    """Fix up the page where readability-lxml goes wrong, before it runs.

    - `<a href="javascript:...">` around text becomes a <span> (Readability.js does the same):
      the text is not a link, and would count as one.
    - Share bars, signup cards, newsletter boxes and promos (by class or id) and what is hidden
      from screen readers (aria-hidden) are dropped when they hold less than a third of the
      page's text (and under 1,500 characters), and so are short paragraphs that are one
      promotional link ("Join our Telegram channel")."""
    for link in doc.iter("a"):
        if link.get("href", "").strip().lower().startswith("javascript:"):
            link.tag = "span"
            link.attrib.pop("href", None)
    body = doc.find("body")
    total = len(body.text_content()) if body is not None else 0
    doomed = []
    for element in doc.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "body", "article",
                                                                "main"):
            continue
        words = _WORDS.split(_names(element).lower())
        small = len(element.text_content()) < min(_MAX_CLUTTER_SHARE * total, _MAX_CLUTTER_CHARS)
        if small and ((element.tag in _BOXES and any(_CLUTTER.fullmatch(w) for w in words))
                      or element.get("aria-hidden", "").strip().lower() == "true"):
            doomed.append(element)
    for element in doc.iter("p", "div"):
        text = " ".join(element.text_content().split())
        if text and len(text) < 200 and _link_chars(element) >= 0.9 * len(text) and \
                _PROMO_LINE.search(text):
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()


class _Document(Document):
    """readability-lxml, on a tree we parsed and prepared, with structure between paragraphs."""

    def _parse(self, source: Any) -> Any:
        # every pass (the strict one and the lenient retry) starts from a fresh copy
        return super()._parse(copy.deepcopy(source))

    def get_link_density(self, elem: Any) -> float:
        # the same measure as readability-lxml's, without its three regular expressions per
        # link (they were half the time on a long Wikipedia page)
        links = sum(len(" ".join(a.text_content().split())) for a in elem.iterdescendants("a"))
        return links / max(len(" ".join(elem.text_content().split())), 1)

    def get_preserved_elements(self, node: Any) -> dict:
        # Lists of prose (items of a sentence or more, few links) are text, not link lists;
        # readability-lxml drops them by link density, Readability.js keeps them.
        allowed = super().get_preserved_elements(node)
        for element in node.iter("ul", "ol"):
            items = [len(" ".join(li.text_content().split())) for li in element.iter("li")]
            text = sum(items)
            if items and text / len(items) >= _PROSE_ITEM_CHARS and \
                    _link_chars(element) <= _MAX_LIST_LINKS * text:
                allowed[element] = True
                allowed.update((inner, True) for inner in element.iter("ul", "ol", "div",
                                                                        "table", "section"))
        return allowed

    def select_best_candidate(self, candidates: Any) -> Any:
        # Readability.js's two steps that readability-lxml lacks, so that an article split
        # into several blocks (steps, a "read more" box) comes out whole:
        # - when three of the close runners-up (among the top five) sit in one ancestor of
        #   the winner, that ancestor wins;
        # - walking up, a parent that scores higher than its child wins (unless the scores
        #   fall below a third of the winner's on the way).
        best = super().select_best_candidate(candidates)
        if best is None:
            return best
        elem, top = best["elem"], best["content_score"]
        ranked = sorted(candidates.values(), key=lambda c: c["content_score"], reverse=True)
        close = [c["elem"] for c in ranked[:_TOP_CANDIDATES] if c["elem"] is not elem
                 and c["content_score"] >= _RUNNER_UP_SHARE * top]
        if len(close) >= _RUNNERS_UP:
            for ancestor in elem.iterancestors():
                if ancestor.tag in ("body", "html"):
                    break
                inside = sum(1 for c in close if ancestor in c.iterancestors())
                if inside >= _RUNNERS_UP:
                    if ancestor not in candidates:
                        candidates[ancestor] = self.score_node(ancestor)
                    return candidates[ancestor]
        last, floor = top, top / 3
        for ancestor in elem.iterancestors():
            if ancestor.tag in ("body", "html"):
                break
            if ancestor not in candidates:
                continue
            score = candidates[ancestor]["content_score"]
            if score < floor:
                break
            if score > last:
                return candidates[ancestor]
            last = score
        return best

    def get_semantic_main_candidate(self, candidates: Any, best_candidate: Any) -> Any:
        # A data table inside the article (its cells score as paragraphs) is not the article:
        # take the page's <main> when it holds twice the text and is not a link list.
        chosen = super().get_semantic_main_candidate(candidates, best_candidate)
        best = chosen["elem"]
        if chosen is not best_candidate or best.tag not in ("table", "tbody", "thead", "tr"):
            return chosen
        main = next((elem for elem in best.iterancestors() if elem.tag == "main"), None)
        if main is None or len(main.text_content()) < 2 * len(best.text_content()) or \
                self.get_link_density(main) > _MAX_MAIN_LINKS:
            return chosen
        candidates[main] = self.score_node(main)
        return candidates[main]

    def get_article(self, candidates: Any, best_candidate: Any, html_partial: bool = False
                    ) -> Any:
        parent = best_candidate["elem"].getparent()
        siblings = list(parent) if parent is not None else []
        output = super().get_article(candidates, best_candidate, html_partial=html_partial)
        root = output if html_partial else output.find(".//div")
        kept = [i for i, sibling in enumerate(siblings) if sibling.getparent() is root]
        if len(kept) < 2:
            return output
        pending = []
        for sibling in siblings[kept[0]:kept[-1] + 1]:
            if sibling.getparent() is root:
                for element in pending:
                    sibling.addprevious(element)
                pending = []
            elif sibling.tag in _STRUCTURE and _link_chars(sibling) <= 0.2 * max(
                    len(sibling.text_content()), 1):
                pending.append(sibling)
        return output


def _engine(doc: Any, url: str) -> str:
    """The article of the page as an HTML fragment ("" when none): readability-lxml."""
    # readability-lxml logs a traceback at ERROR level before raising Unparseable; with no
    # handler configured, Python would print it over the terminal UI
    logging.getLogger("readability").setLevel(logging.CRITICAL)
    try:
        return _Document(doc, url=url or None).summary(html_partial=True)
    except Unparseable:
        return ""


def _fragment(html: str) -> Any | None:
    """The engine's HTML as a tree to measure, or None when it holds no body (readability-lxml
    returns the whole document, head only, when the page has no <body>)."""
    if not html:
        return None
    try:
        return lxml.html.fragment_fromstring(html, create_parent="div")
    except (AssertionError, IndexError, etree.ParserError):
        return None


def _main_block(doc: Any) -> Any | None:
    """The fallback when the engine finds (next to) nothing: the page's <main> (or role=main),
    narrowed to the child that holds most of its text, when that is text rather than links.
    Index pages (a section front of teasers) have no one article for the engine to find."""
    found = doc.xpath("//main | //*[@role='main']")
    if not found:
        return None
    element = found[0]
    while True:
        total = len(_text_of(element))
        children = [(len(_text_of(child)), child) for child in element
                    if isinstance(child.tag, str)]
        chars, child = max(children, key=lambda pair: pair[0], default=(0, None))
        if child is None or chars < _NARROW_SHARE * total:
            break
        element = child
    text = len(_text_of(element))
    if text < MIN_TEXT_CHARS or _link_chars(element) > 0.5 * text:
        return None
    return element


def _refusal(page: _Page, script_chars: int, chars: int) -> ExtractError:
    """Why the page has no article, from what it shows."""
    if page.has_password and len(page.text) < 3 * SMALL_PAGE_CHARS:
        return _no_article("it asks you to sign in: a login wall")
    if page.is_404:
        return _no_article("it says the page was not found")
    if len(_CONSENT.findall(page.text)) >= 3 and len(page.text) < 3 * SMALL_PAGE_CHARS:
        return _no_article("a cookie-consent page")
    if script_chars > 20_000 and script_chars > 10 * len(page.text):
        return _no_article(f"it is mostly script ({script_chars // 1024} KB of JavaScript);"
                           " it may need a web browser")
    if page.text and _PLACEHOLDER.match(page.text) and len(page.text) < 200:
        return _no_article(f"it only says \u201c{page.text[:60]}\u201d; it may need a web "
                           "browser")
    if not page.text:
        if page.nesting_cut:
            return _no_article("its markup is nested deeper than 255 levels, past which it "
                               "cannot be read")
        return _no_article("the page shows no text")
    return _no_article(f"{chars} characters of text in its main part, against "
                       f"{len(page.text)} on the whole page")


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
    text = _bounded(_CONTROL.sub("", text))
    # bytes with the encoding given: lxml refuses text that starts with an XML declaration
    # naming an encoding (XHTML pages), and would obey a <meta charset> we already decoded
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True,
                                  default_doctype=False)
    try:
        doc = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except etree.ParserError:  # nothing but comments, a doctype or white space
        raise _no_article("the page shows no text") from None
    page = _page(doc, parser.error_log)
    _prepare(doc)
    html = _engine(doc, url)
    fragment = _fragment(html)
    article = _text_of(fragment) if fragment is not None else ""
    chars = len(article)
    if chars < MIN_TEXT_CHARS:
        main = _main_block(doc)
        if main is not None:
            html, fragment = lxml.html.tostring(main, encoding="unicode"), main
            article = _text_of(fragment)
            chars = len(article)
    # A short extraction is an article only when it is (nearly) all the page says.
    if chars < MIN_TEXT_CHARS and (chars < 0.8 * len(page.text) or not chars):
        raise _refusal(page, script_chars, chars)
    if chars < SMALL_PAGE_CHARS:
        if (page.has_password or page.is_404 or len(_CONSENT.findall(article)) >= 3
                or _PLACEHOLDER.match(article)):
            raise _refusal(page, script_chars, chars)
    if _link_chars(fragment) > 0.5 * chars:
        raise _no_article("only lists of links")
    return Extracted(html=html, title=page.title, text_chars=chars)


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
