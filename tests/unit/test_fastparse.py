"""The fast path reads exactly what feedparser reads (differential tests), or gives up."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader import parse
from reader.fastparse import fast_parse

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def slow(data: bytes, url: str) -> parse.ParsedFeed:
    """feedparser only."""
    original = parse.fast_parse
    parse.fast_parse = lambda _data, _type="": None
    try:
        return parse.parse_feed(data, url)
    finally:
        parse.fast_parse = original


def assert_same(data: bytes, url: str = "https://feeds.example/x/feed.xml",
                require_fast: bool = False) -> None:
    if fast_parse(data) is None:
        assert not require_fast, "the fast path gave up"
        return  # feedparser reads it: nothing to compare
    fast, reference = parse.parse_feed(data, url), slow(data, url)
    assert (fast.title, fast.site_url, fast.kind) == (reference.title, reference.site_url,
                                                      reference.kind)
    assert fast.entries == reference.entries


@pytest.mark.parametrize("name", ["amn.xml", "atom.xml", "summary.xml"])
def test_seed_feeds_read_the_same(name: str) -> None:
    assert_same((SEEDS / name).read_bytes(), require_fast=True)


# Latin-1 letters are left out: feedparser "repairs" text such as "Â¡" into "¡" (it guesses
# double-encoded UTF-8), where expat keeps what the document says; the fast path is right.
text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"),
                                      blacklist_characters="".join(map(chr, range(0x80, 0x100)))),
               max_size=40)
dates = st.sampled_from(["Thu, 16 Feb 2017 18:27:41 +0000", "Mon, 06 Sep 2021 16:45:00 GMT",
                         "Tue, 1 Jan 2030 00:00:00 -0500", ""])
links = st.sampled_from(["https://a.example/post/1", "/relative/path", "post?id=2&x=y", ""])


@st.composite
def rss_items(draw: st.DrawFn) -> str:
    parts = ["<item>"]
    title = draw(text)
    if title or draw(st.booleans()):
        parts.append(f"<title>{escape(title)}</title>")
    guid = draw(st.sampled_from(["", "tag:x,2020:1", "https://a.example/g/2", "42"]))
    if guid:
        permalink = draw(st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"']))
        parts.append(f"<guid{permalink}>{escape(guid)}</guid>")
    link = draw(links)
    if link:
        parts.append(f"<link>{escape(link)}</link>")
    date = draw(dates)
    if date:
        parts.append(f"<pubDate>{date}</pubDate>")
    body = draw(st.sampled_from(["", "<p>Hello &amp; <b>bold</b></p>", "plain words"]))
    if body:
        parts.append(f"<description>{escape(body)}</description>")
    if draw(st.booleans()):
        parts.append(f"<content:encoded><![CDATA[{body}<p>more</p>]]></content:encoded>")
    if draw(st.booleans()):
        parts.append(f"<dc:creator>{escape(draw(text))}</dc:creator>")
    parts.append("</item>")
    return "".join(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=text, items=st.lists(rss_items(), max_size=5))
def test_random_rss_reads_the_same(title: str, items: list[str]) -> None:
    doc = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
           'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
           f"<title>{escape(title)}</title><link>https://a.example/</link>"
           + "".join(items) + "</channel></rss>")
    assert_same(doc.encode())


@st.composite
def atom_entries(draw: st.DrawFn) -> str:
    parts = ["<entry>"]
    entry_id = draw(st.sampled_from(["", "urn:uuid:1", "tag:a.example,2024:2"]))
    if entry_id:
        parts.append(f"<id>{entry_id}</id>")
    kind = draw(st.sampled_from(["text", "html"]))
    parts.append(f'<title type="{kind}">{escape(draw(text))}</title>')
    link = draw(links)
    if link:
        parts.append(f'<link rel="alternate" href="{escape(link)}"/>')
    if draw(st.booleans()):
        parts.append("<updated>2024-01-02T03:04:05Z</updated>")
    if draw(st.booleans()):
        parts.append("<published>2024-01-01T00:00:00+02:00</published>")
    content = draw(st.sampled_from(["", "<p>x &amp; y</p>", "plain text"]))
    if content:
        parts.append(f'<content type="html">{escape(content)}</content>')
    if draw(st.booleans()):
        parts.append(f'<summary type="text">{escape(draw(text))}</summary>')
    if draw(st.booleans()):
        parts.append(f"<author><name>{escape(draw(text))}</name></author>")
    parts.append("</entry>")
    return "".join(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(atom_entries(), max_size=5),
       base=st.sampled_from(["", ' xml:base="https://b.example/blog/"']))
def test_random_atom_reads_the_same(entries: list[str], base: str) -> None:
    doc = (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{base}>'
           "<title>T</title><id>urn:f</id><updated>2024-01-01T00:00:00Z</updated>"
           '<link href="/"/>' + "".join(entries) + "</feed>")
    assert_same(doc.encode())


@pytest.mark.parametrize("doc", [
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "x">]><rss version="2.0"><channel/></rss>',
    b'<rss version="2.0"><channel><title>broken &nbsp;</title></channel></rss>',
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
    b'<rss version="2.0"><channel><item><pubDate>someday</pubDate></item></channel></rss>',
    b'<feed xmlns="http://purl.org/atom/ns#" version="0.3"/>',
])
def test_unusual_documents_go_to_feedparser(doc: bytes) -> None:
    assert fast_parse(doc) is None
