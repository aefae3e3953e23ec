"""Fuzzing (issue 7): feed parsing, the converter, OPML/urls import and note export names.

Every target gets random input, input built by strategies and mutated valid documents. The
properties: nothing raises past the API but its own error type, nothing hangs (a SIGALRM guard
per example), and no control character reaches a string the user sees.

Example counts are sized for CI: 1,200 examples in all, ~30 s on two busy cores. For a
long run, multiply them all with the environment variable READER_FUZZ_EXAMPLES, e.g.
`READER_FUZZ_EXAMPLES=10 python -m pytest tests/hostile/test_fuzz.py -q` (5: ~3 min).

Tests that existed before: tests/unit/test_convert_property.py (random HTML, link numbering)
and tests/unit/test_fastparse.py (fast path against feedparser on well-formed documents).
These go further: hostile text in every field, mutated seeds, bad character references,
OPML/urls files and export names.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import string
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader import export
from reader.content.clean import _ALLOWED_SCHEMES
from reader.content.convert import Converted, convert
from reader.models import Article, Note, ParsedFeed
from reader.opml import ImportedList, SubscriptionListError, read_subscriptions
from reader.parse import ParseError, parse_feed

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SCALE = max(1, int(os.environ.get("READER_FUZZ_EXAMPLES", "1") or 1))
HANG_GUARD_S = 60  # one example; real ones take milliseconds

settings.register_profile(
    "reader-fuzz", deadline=None, derandomize=False, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])


def fuzz(examples: int) -> settings:
    """Settings for one target: `examples` in CI, times READER_FUZZ_EXAMPLES on long runs."""
    return settings(settings.get_profile("reader-fuzz"), max_examples=examples * SCALE)


@pytest.fixture(autouse=True)
def hang_guard() -> Iterator[None]:
    """Replaces the per-test guard of tests/hostile/conftest.py: a fuzz test runs many
    examples (more with READER_FUZZ_EXAMPLES), so each example has its own guard instead."""
    yield


@contextlib.contextmanager
def example_guard(seconds: int = HANG_GUARD_S) -> Iterator[None]:
    """Fail (instead of hanging the suite) when one call runs longer than `seconds`."""
    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"no answer after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# C0 except tab and newline, DEL, C1 (ESC is C0). The same set textutil.strip_control drops.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
LINE_BREAK_OR_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def assert_clean_line(value: str, what: str) -> None:
    assert isinstance(value, str), what
    assert not LINE_BREAK_OR_CONTROL.search(value), f"{what}: {value!r}"
    value.encode("utf-8")  # no lone surrogates: every string must be storable


def assert_clean_text(value: str, what: str) -> None:
    assert isinstance(value, str), what
    assert not CONTROL.search(value), f"{what}: {value!r}"
    value.encode("utf-8")


# -- hostile text --------------------------------------------------------------------------------

NASTY = [
    "\x00", "\x07", "\x08", "\x0b", "\x0c", "\r", "\r\n", "\x1b", "\x1b[31m", "\x1b[2J",
    "\x1b]52;c;aGk=\x07", "\x1b]8;;http://x\x1b\\", "\x7f", "\x85", "\x9b", "\x9b31m", "\x9d",
    "\u202e", "\u2066", "\u200b", "\ufeff", "\u2028", "\xa0", "[@click=app.quit]", "[/]",
    "[link=file:///etc/passwd]x[/link]", "[b red]", "{", "}", "$", "\\", "'", '"', "🦜", "漢字",
]
PLAIN = list(string.ascii_letters + string.digits + " .,:;-/?#=&")
hostile_text = st.lists(st.one_of(st.sampled_from(NASTY), st.sampled_from(PLAIN)),
                        max_size=25).map("".join)
# Character references an XML/HTML document may carry, valid or not.
CHARREFS = ["&#0;", "&#x1b;", "&#27;", "&#x9b;", "&#x7f;", "&#xD800;", "&#xdfff;", "&#1114112;",
            "&#x110000;", "&#99999999999;", "&#xFFFE;", "&#x202e;", "&#8217;", "&#;", "&#x;",
            "&amp;", "&lt;", "&gt;", "&quot;", "&nbsp;", "&unknown;", "&amp;#x1b;"]
entity_text = st.lists(st.one_of(st.sampled_from(PLAIN), st.sampled_from(CHARREFS)),
                       max_size=12).map("".join)


def xml_text(text: str) -> str:
    """`text` escaped for XML, with characters XML 1.0 cannot hold raw left in on purpose."""
    return escape(text)


field_text = st.one_of(hostile_text.map(xml_text), entity_text)
URLS = ["https://a.example/p/1", "http://a.example/x?y=1&amp;z=2", "/relative", "rel/x",
        "javascript:alert(1)", "JaVa&#x09;ScRiPt:x", "data:text/html,x", "file:///etc/passwd",
        "vbscript:x", "//cdn.example/x", "http://[::1", "mailto:a@b.example", "", " ",
        "http://a.example/\x1b[31m", "https://a.example/&#x1b;"]
url_text = st.one_of(st.sampled_from(URLS).map(lambda u: escape(u) if "&" not in u else u),
                     field_text)
DATES = ["Thu, 16 Feb 2017 18:27:41 +0000", "Mon, 06 Sep 9999 16:45:00 GMT",
         "Thu, 01 Jan 1900 00:00:00 +0000", "Wed, 31 Dec 1969 23:59:59 GMT", "yesterday",
         "2024-05-04T18:20:00+01:00", "0000-00-00T00:00:00Z", "", "\x1b", "99999-01-01"]
dates = st.sampled_from(DATES).map(escape)
HTML_BODIES = ["<p>hi</p>", "<script>alert(1)</script>", "<a href='javascript:x'>j</a>",
               "<p>\x1b[31mred</p>", "<img src=x onerror=alert(1)>", "<p>&#x1b;&#0;</p>",
               "<a href='file:///etc/passwd'>f</a>", "<![CDATA[x]]>", "]]>", "<p>[/]</p>"]
body_text = st.one_of(field_text, st.sampled_from(HTML_BODIES).map(escape))


def tag(name: str, value: str | None) -> str:
    return "" if value is None else f"<{name}>{value}</{name}>"


@st.composite
def rss_document(draw: st.DrawFn) -> bytes:
    items = []
    for _ in range(draw(st.integers(0, 4))):
        opt = st.one_of(st.none(), field_text)
        items.append(
            "<item>" + tag("title", draw(opt)) + tag("link", draw(st.one_of(st.none(), url_text)))
            + tag("guid", draw(opt)) + tag("author", draw(opt))
            + tag("dc:creator", draw(opt)) + tag("category", draw(opt))
            + tag("pubDate", draw(st.one_of(st.none(), dates)))
            + tag("description", draw(st.one_of(st.none(), body_text)))
            + tag("content:encoded", draw(st.one_of(st.none(), body_text))) + "</item>")
    version = draw(st.sampled_from(["2.0", "0.91", "0.92"]))
    doc = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="{version}" '
           'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
           + tag("title", draw(field_text)) + tag("link", draw(url_text))
           + "".join(items) + "</channel></rss>")
    return doc.encode("utf-8", "surrogatepass")


@st.composite
def atom_document(draw: st.DrawFn) -> bytes:
    entries = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "html", "xhtml", "text/plain"]))
        title = draw(field_text)
        if kind == "xhtml":
            title_xml = f'<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">' \
                        f"{title}</div></title>"
        else:
            title_xml = f'<title type="{kind}">{title}</title>'
        base = draw(st.sampled_from(["", ' xml:base="https://b.example/d/"',
                                     ' xml:base="javascript:x"', ' xml:base="&#x1b;"']))
        entries.append(
            f"<entry{base}>{title_xml}"
            + tag("id", draw(st.one_of(st.none(), field_text)))
            + f"<link href={quoteattr(draw(url_text))}/>"
            + f"<author><name>{draw(field_text)}</name></author>"
            + f"<category term={quoteattr(draw(field_text))}/>"
            + tag("updated", draw(st.one_of(st.none(), dates)))
            + f'<content type="{kind}">{draw(body_text)}</content>'
            + f'<summary type="html">{draw(body_text)}</summary></entry>')
    doc = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
           + tag("title", draw(field_text)) + f"<link href={quoteattr(draw(url_text))}/>"
           + "".join(entries) + "</feed>")
    return doc.encode("utf-8", "surrogatepass")


json_value = st.one_of(
    hostile_text, st.none(), st.integers(), st.floats(allow_nan=True), st.booleans(),
    st.lists(hostile_text, max_size=3), st.dictionaries(st.sampled_from(["name", "x"]),
                                                        hostile_text, max_size=2))


@st.composite
def json_feed_document(draw: st.DrawFn) -> bytes:
    keys = ["id", "url", "external_url", "title", "content_html", "content_text", "summary",
            "date_published", "date_modified", "author", "authors", "tags"]
    items = draw(st.lists(st.one_of(
        st.dictionaries(st.sampled_from(keys), json_value, max_size=8),
        json_value), max_size=4))
    doc: dict[str, Any] = {
        "version": draw(st.sampled_from(["https://jsonfeed.org/version/1.1",
                                         "https://jsonfeed.org/version/1", "", "2"])),
        "title": draw(json_value), "home_page_url": draw(json_value),
        "authors": draw(json_value), "items": items}
    if draw(st.booleans()):
        doc.pop(draw(st.sampled_from(sorted(doc))))
    return json.dumps(doc, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


# -- mutations of valid documents ---------------------------------------------------------------

INSERTS = [b"\x00", b"\x07", b"\x1b", b"\x1b[2J", b"\x1b]52;c;aGk=\x07", b"\xc2\x9b", b"\x7f",
           b"\x85", b"\x9b", b"\xff\xfe", b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\xc0\xaf", b"\r",
           b"&#0;", b"&#x1b;", b"&#xD800;", b"&#1114112;", b"&#x9b;", b"&nbsp;", b"&bogus;",
           b"&", b"<", b">", b"]]>", b"<![CDATA[", b"<!--", b"-->", b"<?xml?>",
           b"<!ENTITY x 'y'>", b"&x;", b"</item>", b"<item>", b"</entry>", b"<entry>",
           b'"', b"{", b"}", b"[", b"]", b",", b'\\u0000', b'\\ud800', b'\\u001b']
TAG_RE = re.compile(rb"<[^<>]{1,200}>")


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        size = len(data)
        op = draw(st.sampled_from(["flip", "truncate", "insert", "dup_tag", "drop_tag",
                                   "dup_slice", "drop_slice"]))
        at = draw(st.integers(0, max(0, size)))
        if op == "flip" and size:
            at = min(at, size - 1)
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(INSERTS))
        elif op in ("dup_tag", "drop_tag"):
            tags = list(TAG_RE.finditer(bytes(data)))
            if tags:
                m = tags[draw(st.integers(0, len(tags) - 1))]
                piece = b"" if op == "drop_tag" else m.group() * 2
                data[m.start():m.end()] = piece
        elif size:
            end = min(size, at + draw(st.integers(1, 400)))
            data[at:end] = data[at:end] * 2 if op == "dup_slice" else b""
    return bytes(data)


SEED_DOCS = {p.name: p.read_bytes() for p in sorted(SEEDS.iterdir())
             if p.suffix in (".xml", ".json")}
# A doctype with internal entities, and one reaching for a local file.
ENTITY_HEAD = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
               b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">'
               b'<!ENTITY x SYSTEM "file:///etc/passwd">]>')


def check_feed(feed: ParsedFeed, convert_bodies: int = 2) -> None:
    assert isinstance(feed, ParsedFeed)
    for name in ("title", "site_url", "warning", "kind"):
        assert_clean_line(getattr(feed, name), f"feed.{name}")
    guids = set()
    for n, entry in enumerate(feed.entries):
        for name in ("guid", "title", "link", "author", "base_url"):
            value = getattr(entry, name)
            assert_clean_line(value, f"entry.{name}")
            assert "root:x:0:0" not in value, "a local file was read into the feed"
        assert entry.guid, "every entry has an identity"
        assert entry.guid not in guids, "duplicate guids are dropped"
        guids.add(entry.guid)
        for tag_ in entry.tags:
            assert tag_
            assert_clean_line(tag_, "entry.tag")
        for when in (entry.published, entry.updated):
            assert when is None or isinstance(when, float)
        for name in ("content_html", "summary_html"):
            body = getattr(entry, name)
            assert_clean_text(body, f"entry.{name}")
            assert "root:x:0:0" not in body, "a local file was read into the feed"
        if n < convert_bodies:  # bodies are HTML: what the reader shows is the conversion
            for body in (entry.content_html, entry.summary_html):
                check_converted(convert(body, base_url=entry.base_url))


def parse_or_refuse(data: bytes, url: str = "https://feeds.example/x/feed.xml",
                    content_type: str = "") -> ParsedFeed | None:
    with example_guard():
        try:
            feed = parse_feed(data, url, content_type)
        except ParseError as exc:
            assert_clean_line(str(exc), "ParseError message")
            return None
    check_feed(feed)
    return feed


@fuzz(200)
@given(st.binary(max_size=2000), st.sampled_from(["", "application/rss+xml",
                                                  "application/json", "text/html; charset=x"]))
def test_random_bytes_parse_or_raise_parse_error(data: bytes, content_type: str) -> None:
    parse_or_refuse(data, content_type=content_type)


@fuzz(150)
@given(st.one_of(rss_document(), atom_document(), json_feed_document()),
       st.sampled_from(["https://feeds.example/x/feed.xml", "", "file:///tmp/f.xml"]))
def test_generated_feeds_keep_control_characters_out(data: bytes, url: str) -> None:
    parse_or_refuse(data, url)


@fuzz(60)
@given(st.sampled_from(["<title>x</title>", "<title>&#xD800;</title>", "<title>&#1114112;</title>",
                        "<title>&#x110000;</title>", "<title>&#99999999999;</title>",
                        "<description>&#xdfff;</description>", "<author>&#x1b;</author>"]),
       st.sampled_from(["", "<bad", "&", "<x>"]), st.sampled_from(["utf-8", "utf-16"]))
def test_invalid_character_references_in_broken_feeds(field: str, breakage: str,
                                                       encoding: str) -> None:
    """feedparser's loose parser turned `&#xD800;` and `&#1114112;` into exceptions."""
    doc = (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
           f"<title>t</title><item>{field}<guid>g</guid>{breakage}</item></channel></rss>")
    feed = parse_or_refuse(doc.encode(encoding))  # UTF-16 gets a byte order mark
    assert feed is not None and [e.guid for e in feed.entries] == ["g"]


def test_feedparser_crash_on_a_broken_image_is_a_parse_error() -> None:
    """An unclosed <title> in <image> made feedparser's loose parser raise TypeError
    (int(None) in _end_width); found by test_mutated_seed_feeds."""
    doc = (b'<rss version="2.0"><channel><title>t</title><image><title>x<link>y</link>'
           b"<width>32</width></image><item><guid>g</guid></item></channel></rss><bad")
    assert parse_or_refuse(doc) is None


def test_atom_with_an_unreadable_base_url_is_read() -> None:
    """xml:base or a link href like "http://[::1" raised ValueError from the fast path's
    urljoin; found by test_mutated_seed_feeds."""
    doc = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" '
           b'xml:base="http://[::1"><title>t</title><entry><id>i</id><title>x</title>'
           b'<link href="http://[::1/a"/></entry></feed>')
    feed = parse_or_refuse(doc)
    assert feed is not None and [e.title for e in feed.entries] == ["x"]


def test_json_feed_lone_surrogate_escapes_become_replacement_characters() -> None:
    """A "\\ud800" escape gave strings no UTF-8 store can hold; found by mutating the seed."""
    doc = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "a\\ud800",'
           b' "home_page_url": "\\udfffhttps://x.example/", "items": [{"id": "\\ud800",'
           b' "title": "t\\ud800", "content_html": "<p>\\ud800</p>", "tags": ["\\ud800"]}]}')
    feed = parse_or_refuse(doc)
    assert feed is not None and feed.title == "a\ufffd" and feed.entries[0].guid == "\ufffd"


@fuzz(150)
@given(st.sampled_from(sorted(SEED_DOCS)).flatmap(
    lambda name: st.tuples(st.just(name), mutated(SEED_DOCS[name]))))
def test_mutated_seed_feeds(named: tuple[str, bytes]) -> None:
    name, data = named
    parse_or_refuse(data, content_type="application/json" if name.endswith(".json") else "")


@fuzz(40)
@given(st.sampled_from([n for n in sorted(SEED_DOCS) if n.endswith(".xml")]).flatmap(
    lambda name: mutated(SEED_DOCS[name])), st.sampled_from([b"&c;", b"&x;", b"&a;"]))
def test_mutated_seed_feeds_with_entity_declarations(data: bytes, reference: bytes) -> None:
    start = data.find(b"?>")
    body = data[start + 2:] if start >= 0 else data
    data = ENTITY_HEAD + body.replace(b"<title>", b"<title>" + reference, 2)
    feed = parse_or_refuse(data)
    if feed is not None:
        for entry in feed.entries:
            assert len(entry.title) < 10_000  # entities did not blow up


# -- the converter ------------------------------------------------------------------------------

HTML_TAGS = ["p", "a", "img", "iframe", "video", "source", "pre", "code", "table", "td", "li",
             "ul", "h1", "blockquote", "figure", "figcaption", "span", "div", "base", "svg",
             "math", "object", "embed", "audio", "picture", "q", "sup", "noscript", "template"]
HTML_ATTRS = ["href", "src", "srcset", "data-src", "poster", "alt", "title", "class", "style",
              "xlink:href", "action", "background", "cite"]
ATTR_VALUES = URLS + ["  javascript:x", "java\x00script:x", "jav&#x61;script:x",
                      "\x01javascript:x", "JAVASCRIPT:x", "java\nscript:x", "https:x",
                      "http://a.example/\u202eevil", "https://a.example/ok a\x1b[2Jb",
                      "-rf", "--help", "https://a.example/\x85x", "\\\\server\\share",
                      "https://a.example/x.jpg 1x, javascript:y 2x", "ftp://a.example/f",
                      "tel:123", "magnet:?xt=x", "about:blank", "chrome://settings"]


@st.composite
def html_element(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(st.sampled_from(HTML_TAGS))
    attrs = draw(st.lists(st.tuples(st.sampled_from(HTML_ATTRS),
                                    st.one_of(st.sampled_from(ATTR_VALUES), hostile_text)),
                          max_size=3))
    attr_text = "".join(f" {k}={quoteattr(v)}" for k, v in attrs)
    children = draw(st.lists(st.one_of(hostile_text, entity_text,
                                       *([html_element(depth + 1)] if depth < 3 else [])),
                             max_size=4))
    return f"<{name}{attr_text}>{''.join(children)}</{name}>"


html_documents = st.one_of(
    st.lists(st.one_of(html_element(), hostile_text, entity_text), max_size=5).map("".join),
    st.sampled_from(HTML_BODIES).flatmap(lambda b: mutated(b.encode())).map(
        lambda b: b.decode("utf-8", "replace")),
    st.binary(max_size=300),
)
BASES = ["", "https://a.example/d/p.html", "http://[::1", "javascript:x", "file:///etc/",
         "https://a.example/\x1b[2J/", "not a url", "//cdn.example/"]


def check_converted(result: Converted) -> None:
    from reader.ui.app import safe_link

    assert isinstance(result, Converted)
    assert_clean_text(result.markdown, "markdown")
    for link in result.links:
        assert_clean_line(link.text, "link text")
        assert_clean_line(link.url, "link url")
        assert link.url == link.url.strip() and " " not in link.url
        scheme = urllib.parse.urlsplit(link.url).scheme.lower()
        assert scheme in _ALLOWED_SCHEMES, link.url  # never javascript:, data:, file: ...
        opened = safe_link(link.url)
        # The app opens http(s) links only; every other listed link is shown, not opened.
        assert (opened == link.url) == (scheme in ("http", "https")), link.url
        assert f"[{link.number}]: {link.url}" in result.markdown


def test_unreadable_link_urls_are_dropped_and_never_crash_the_link_check() -> None:
    """'http://[::1' got into the link list by the converter's fast path, and the app's
    safe_link raised ValueError on it (a crash on pressing the link's number)."""
    from reader.ui.app import safe_link

    result = convert('<object src="http://[::1"></object><a href="http://[::1]/x">v6</a>')
    check_converted(result)
    assert [link.url for link in result.links] == ["http://[::1]/x"]
    assert safe_link("http://[::1") is None


def test_whitespace_in_link_urls_is_percent_encoded() -> None:
    """A U+2028 in an image URL left a link the app would not open (and a line break in the
    link list); found by test_converter_on_hostile_html."""
    result = convert('<img src="x\u2028y"><a href="https://a.example/a\xa0b">z</a>',
                     base_url="https://a.example/d/p.html")
    check_converted(result)
    assert [link.url for link in result.links] == ["https://a.example/d/x%E2%80%A8y",
                                                   "https://a.example/a%C2%A0b"]


@fuzz(200)
@given(html_documents, st.sampled_from(BASES), st.booleans())
def test_converter_on_hostile_html(html: str | bytes, base: str, summary_only: bool) -> None:
    with example_guard():
        result = convert(html, base_url=base, summary_only=summary_only)
    check_converted(result)


# -- OPML and urls import -----------------------------------------------------------------------

opml_attr = st.one_of(hostile_text, entity_text.map(lambda t: t.replace("&#;", "")),
                      st.sampled_from(URLS))


@st.composite
def opml_outline(draw: st.DrawFn, depth: int = 0) -> str:
    attrs = draw(st.dictionaries(
        st.sampled_from(["text", "title", "xmlUrl", "xmlurl", "htmlUrl", "category", "type"]),
        opml_attr, max_size=5))
    rendered = " ".join(f"{k}={quoteattr(v, {'&': '&', chr(10): '&#10;'})}"
                        if "&" in v else f"{k}={quoteattr(v)}" for k, v in attrs.items())
    children = draw(st.lists(opml_outline(depth + 1), max_size=3)) if depth < 3 else []
    return f"<outline {rendered}>{''.join(children)}</outline>"


@st.composite
def opml_document(draw: st.DrawFn) -> bytes:
    body = "".join(draw(st.lists(opml_outline(), max_size=4)))
    return (f'<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><head><title>'
            f"{escape(draw(hostile_text))}</title></head><body>{body}</body></opml>"
            ).encode("utf-8", "surrogatepass")


url_lines = st.lists(st.tuples(
    st.sampled_from(["https://a.example/f", "http://b.example/\x1b[31m", "query:x", "exec:x",
                     "/local/path", "~/f.xml", "not-a-url", "https://a.example/f\x00",
                     '"https://q.example/x y"', "https://a.example/\x85", "#comment"]),
    st.lists(st.one_of(hostile_text.map(lambda t: '"' + t + '"'), hostile_text,
                       hostile_text.map(lambda t: '"~' + t + '"')), max_size=3)),
    max_size=6).map(lambda lines: "\n".join(" ".join([u, *rest]) for u, rest in lines))
SAMPLE_OPML = (b'<?xml version="1.0"?><opml version="1.0"><head><title>t</title></head><body>'
               b'<outline text="News"><outline text="A" xmlUrl="https://a.example/f" '
               b'htmlUrl="https://a.example/" category="x,y/z"/></outline>'
               b'<outline text="B" type="rss" xmlUrl="https://b.example/rss"/></body></opml>')
SAMPLE_URLS = b'https://a.example/f news "long reads" "~A title"\nhttps://b.example/rss\n'


def import_or_refuse(data: bytes) -> ImportedList | None:
    with example_guard():
        try:
            result = read_subscriptions(data, "subs.opml")
        except SubscriptionListError as exc:
            assert_clean_line(str(exc), "SubscriptionListError message")
            return None
    assert result.kind in ("opml", "urls")
    urls = [s.url for s in result.subscriptions]
    assert len(urls) == len(set(urls))
    for sub in result.subscriptions:
        assert sub.url.strip()
        for value in (sub.url, sub.title, sub.site_url, *sub.tags):
            assert_clean_line(value, "subscription field")
    for warning in result.warnings:
        assert_clean_line(warning, "import warning")
    return result


@fuzz(150)
@given(st.one_of(st.binary(max_size=1000), opml_document(),
                 url_lines.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_import_random_and_generated_lists(data: bytes) -> None:
    import_or_refuse(data)


@fuzz(150)
@given(st.one_of(mutated(SAMPLE_OPML), mutated(SAMPLE_URLS)))
def test_import_mutated_lists(data: bytes) -> None:
    import_or_refuse(data)


def test_import_deeply_nested_opml_is_refused_or_read() -> None:
    """Folders nested past Python's recursion limit must not raise RecursionError."""
    depth = 5000
    data = (b'<opml version="2.0"><body>' + b'<outline text="f">' * depth
            + b'<outline text="A" xmlUrl="https://a.example/f"/>'
            + b"</outline>" * depth + b"</body></opml>")
    result = import_or_refuse(data)
    if result is not None:
        assert [s.url for s in result.subscriptions] == ["https://a.example/f"]


# -- note export names --------------------------------------------------------------------------

WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                    *(f"lpt{i}" for i in range(10))}
titles = st.one_of(hostile_text, st.text(max_size=300), st.sampled_from(
    ["CON", "con.txt", "aux", "NUL", "..", ".", "../../etc/passwd", "a/b\\c:d", "C:\\x",
     "name. ", "trailing.", " ", "", "-", "—", "🦜" * 100, "é" * 300, "a" * 1000, "LPT1",
     "..\\..\\x", "\x00", "COM1.md"]))


def export_of(articles: list[Article], tags: list[str], folder: Path) -> list[Path]:
    """Export `articles` (titles the test chooses) as the library hands them to the writer:
    every other one bookmarked, the rest with one note each, in article id order."""
    by_id = {a.id: a for a in articles}
    bookmarked, annotated = set(list(by_id)[::2]), set(list(by_id)[1::2])
    items = [export.ExportItem(by_id[aid], [Note("n" + aid, aid, "note on " + aid, quote="q")]
                               if aid in annotated else [], list(tags), aid in bookmarked)
             for aid in sorted(by_id)]
    return export.write_export(folder, set(by_id), items)


def check_name(name: str) -> None:
    assert name.endswith(".md")
    stem = name[:-3]
    assert stem and not re.search(r'[/\\:*?"<>|\x00-\x1f\x7f-\x9f]', name), name
    assert stem.split(".")[0].lower() not in WINDOWS_RESERVED, name
    assert not name.endswith((".", " ")) and not name.startswith(" "), name
    assert len(name.encode("utf-8")) <= 255, name


@fuzz(100)
@given(st.lists(st.tuples(titles, st.text("0123456789abcdef", min_size=12, max_size=12)),
                 min_size=1, max_size=8, unique_by=lambda t: t[1]),
       st.lists(hostile_text, max_size=3), st.booleans(), st.data())
def test_export_names_are_safe_and_distinct(tmp_path_factory: pytest.TempPathFactory,
                                            pairs: list[tuple[str, str]], tags: list[str],
                                            share_prefix: bool, data: st.DataObject) -> None:
    if share_prefix and len(pairs) > 1:  # articles whose ids share the first 6 characters
        pairs = [(t, pairs[0][1][:6] + i[6:]) for t, i in pairs]
        pairs = list({i: (t, i) for t, i in pairs}.values())
    articles = [Article(id=i, feed_key="k", guid=i, title=t, feed_title=t) for t, i in pairs]
    folder = tmp_path_factory.mktemp("export")
    # someone else's files already there, named like ours would be
    squat = data.draw(st.lists(st.sampled_from(pairs), max_size=2))
    for title, aid in squat:
        (folder / f"{export.slugify(title)}-{aid[:6]}.md").write_text("mine\n")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with example_guard():
        written = export_of(articles, tags, folder)
    assert len(written) == len(articles)
    assert len({p.name for p in written}) == len(written), "two articles share a file"
    for path in written:
        assert path.parent == folder.resolve()
        check_name(path.name)
        text = path.read_text(encoding="utf-8")
        assert_clean_text(text, "exported file")
        assert text.count('\nid: "') == 1
    ids = sorted(re.search(r'\nid: "([0-9a-f]+)"', p.read_text()).group(1) for p in written)
    assert ids == sorted(a.id for a in articles)
    for name, content in before.items():  # files it did not write are untouched
        assert (folder / name).read_bytes() == content
    # again: the same files, nothing new
    assert export_of(articles, tags, folder) == written
    assert len(list(folder.iterdir())) == len(before) + len(written)
