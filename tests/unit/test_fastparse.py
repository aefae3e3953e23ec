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
    return parse.parse_with_feedparser(data, url)


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


# Latin-1 letters are in: text feedparser "repairs" ("Â¡" into "¡", as double-encoded UTF-8)
# or maps (C1 controls to Windows-1252) is handed to feedparser by the fast path.
text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"),
                                      whitelist_characters="\t\n\r\x85\x92"),
               max_size=40)
dates = st.sampled_from(["Thu, 16 Feb 2017 18:27:41 +0000", "Mon, 06 Sep 2021 16:45:00 GMT",
                         "Tue, 1 Jan 2030 00:00:00 -0500", "", "Mon, 06 Sep 21 16:45:00 GMT",
                         "06 Sep 2021 16:45 +0200", "Mon, 06 Sep 2021 16:45:00 EST",
                         "Mon, 06 Sep 2021 16:45:00 PDT", "2021-09-06T16:45:00Z",
                         "2021-09-06T16:45:00+02:00", "Mon, 06 Sep 2021 16:45:00",
                         "Sun, 31 Feb 2021 10:00:00 GMT", "Mon, 6 Sep 2021 1:45:00 +0530",
                         "Thu, 07 Dec 17 10:00:29 -0800", "Thu, 07 Dec 89 10:00:29 -0800",
                         "Thu, 07 Dec 95 10:00:29 PST", "Sat, Dec 16 2023 02:02:33 PM"])
iso_dates = st.sampled_from(["2024-01-02T03:04:05Z", "2024-01-01T00:00:00+02:00", "2024-01-02",
                             "2024-01-02T03:04:05.123456-05:00", "2024-01-02T03:04Z",
                             "2024-01-02 03:04:05Z", "20240102T030405Z", "2024-13-01T00:00:00Z"])
links = st.sampled_from(["https://a.example/post/1", "/relative/path", "post?id=2&x=y", "",
                         "http:///a.example/3"])


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
        parts.append(f"<dc:date>{draw(iso_dates)}</dc:date>")
    author = draw(st.sampled_from(["", "dc:creator", "author", "itunes:author"]))
    if author:
        parts.append(f"<{author}>{escape(draw(text))}</{author}>")
    for term, domain in draw(st.lists(st.tuples(st.sampled_from(["a", "b", "", "x&y"]),
                                                st.sampled_from(["", "d1"])), max_size=3)):
        parts.append(f'<category{f" domain={chr(34)}{domain}{chr(34)}" if domain else ""}>'
                     f"{escape(term)}</category>")
    if draw(st.booleans()):
        url = draw(st.sampled_from(["https://m.example/a.mp3", "/a.mp3", "ftp://x/a", ""]))
        length = draw(st.sampled_from(["", "123", "x", "-1"]))
        parts.append(f'<enclosure url="{url}" type="audio/mpeg" length="{length}"/>')
        if draw(st.booleans()):
            parts.append(f"<itunes:duration>{escape(draw(text))}</itunes:duration>")
    parts.append("</item>")
    return "".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=text, items=st.lists(rss_items(), max_size=5))
def test_random_rss_reads_the_same(title: str, items: list[str]) -> None:
    doc = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
           'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" '
           'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
           f"<title>{escape(title)}</title><link>https://a.example/</link>"
           + "".join(items) + "</channel></rss>")
    assert_same(doc.encode())


@st.composite
def atom_entries(draw: st.DrawFn) -> str:
    parts = ["<entry>"]
    entry_id = draw(st.sampled_from(["", "urn:uuid:1", "tag:a.example,2024:2", "42", "/p/7"]))
    if entry_id:
        parts.append(f"<id>{entry_id}</id>")
    kind = draw(st.sampled_from(["text", "html"]))
    parts.append(f'<title type="{kind}">{escape(draw(text))}</title>')
    link = draw(links)
    if link:
        parts.append(f'<link rel="alternate" href="{escape(link)}"/>')
    if draw(st.booleans()):
        parts.append(f"<updated>{draw(iso_dates)}</updated>")
    if draw(st.booleans()):
        parts.append(f"<published>{draw(iso_dates)}</published>")
    content = draw(st.sampled_from(["", "<p>x &amp; y</p>", "plain text"]))
    if content:
        base = draw(st.sampled_from(["", ' xml:base="https://c.example/d/"']))
        parts.append(f'<content type="html"{base}>{escape(content)}</content>')
    if draw(st.booleans()):
        parts.append(f'<summary type="text">{escape(draw(text))}</summary>')
    if draw(st.booleans()):
        email = draw(st.sampled_from(["", "<email>a@b.example</email>"]))
        parts.append(f"<author><name>{escape(draw(text))}</name>{email}</author>")
    for term, scheme, body in draw(st.lists(st.tuples(
            st.sampled_from(["", ' term="t"', ' term="u"']),
            st.sampled_from(["", ' scheme="s"', ' label="L"']),
            st.sampled_from(["", "x"])), max_size=3)):
        parts.append(f"<category{term}{scheme}>{body}</category>")
    if draw(st.booleans()):
        href = draw(st.sampled_from(["https://m.example/v.mp4", "v.mp4", "mailto:x@y"]))
        kind = draw(st.sampled_from(["", ' type="video/mp4"']))
        parts.append(f'<link rel="enclosure" href="{href}"{kind} length="5"/>')
    parts.append("</entry>")
    return "".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


# -- what the fast path got wrong on real-world input (issue 14): each now matches feedparser --

RSS_HEAD = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:xhtml="http://www.w3.org/1999/xhtml" '
            'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
            'xmlns:a10="http://www.w3.org/2005/Atom"><channel><title>T</title>'
            "<link>https://a.example/</link>")


def one_result(data: bytes, content_type: str = "") -> parse.ParsedFeed:
    """parse_feed's result, after checking the fast path either gave up or agrees."""
    url = "https://feeds.example/x/feed.xml"
    fast = parse.parse_fast(data, url, content_type)
    reference = parse.parse_with_feedparser(data, url, content_type)
    if fast is not None:
        assert (fast.title, fast.site_url, fast.entries) == (
            reference.title, reference.site_url, reference.entries)
    result = parse.parse_feed(data, url, content_type)
    assert result == (fast or reference)
    return result


def rss_item(inner: str) -> bytes:
    return (RSS_HEAD + f"<item>{inner}</item></channel></rss>").encode()


@pytest.mark.parametrize("inner", [
    "<title>T1</title><xhtml:body><xhtml:p>The body</xhtml:p></xhtml:body>",
    "<title>T1</title><body><p>The body</p></body>",
    "<title>T1</title><fullitem>&lt;p&gt;The body&lt;/p&gt;</fullitem>",
    "<title>T1</title><summary>The body</summary>",
    "<title>T1</title><dc:description>The body</dc:description>",
])
def test_content_in_other_elements_is_read(inner: str) -> None:
    entry = one_result(rss_item(inner)).entries[0]
    assert "The body" in entry.content_html + entry.summary_html


def test_a_dc_title_is_the_title() -> None:
    entry = one_result(rss_item("<dc:title>Dublin title</dc:title><description>x</description>"
                                )).entries[0]
    assert entry.title == "Dublin title"


ATOM_HEAD = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
             "<title>T</title><id>urn:f</id>")


def atom_entry(inner: str) -> bytes:
    return (ATOM_HEAD + f"<entry><id>urn:e1</id>{inner}</entry></feed>").encode()


def test_escaped_text_in_xhtml_content_stays_text() -> None:
    data = atom_entry('<title>t</title><content type="xhtml"><div xmlns="http://www.w3.org/1999/'
                      'xhtml">History of the &lt;blink&gt; tag &lt;script src="x"&gt;</div>'
                      "</content>")
    content = one_result(data).entries[0].content_html
    assert "&lt;blink&gt;" in content and "<blink>" not in content and "<script" not in content


def test_inline_svg_leaks_no_ns0_prefix() -> None:
    data = atom_entry('<title>t</title><content type="xhtml"><div xmlns="http://www.w3.org/1999/'
                      'xhtml"><p>Before</p><svg xmlns="http://www.w3.org/2000/svg"><text>S</text>'
                      "</svg></div></content>")
    assert "ns0:" not in one_result(data).entries[0].content_html


def test_the_http_charset_wins_over_the_document() -> None:
    data = rss_item("<title>caf\u00e9</title><description>x</description>")
    fast = parse.parse_fast(data, "", "text/xml; charset=iso-8859-1")
    assert fast is None  # feedparser decodes it as the header says
    one_result(data, "text/xml; charset=iso-8859-1")


def test_windows_1252_quotes_in_a_latin_1_document_are_kept() -> None:
    data = (b'<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>T'
            b"</title><item><title>don\x92t</title><description>\xa3\x93test.\x94</description>"
            b"</item></channel></rss>")
    entry = one_result(data).entries[0]
    assert entry.title == "don\u2019t"
    assert entry.summary_html == "\xa3\u201ctest.\u201d"


def test_c1_characters_in_utf8_are_read_as_feedparser_reads_them() -> None:
    data = rss_item("<title>don\u0092t</title><description>x</description>")
    assert one_result(data).entries[0].title == "don\u2019t"


def test_an_atom_author_keeps_the_email_part() -> None:
    data = atom_entry("<title>t</title><author><name>Anthony</name>"
                      "<email>noreply@blogger.com</email></author>")
    assert one_result(data).entries[0].author == "Anthony (noreply@blogger.com)"


@pytest.mark.parametrize("inner, tags", [
    ("<dc:subject>Python</dc:subject>", ["Python"]),
    ("<category>a</category><category>a</category><category>b</category>", ["a", "b"]),
])
def test_categories_are_read(inner: str, tags: list[str]) -> None:
    assert one_result(rss_item("<title>t</title>" + inner)).entries[0].tags == tags


def test_an_atom_updated_in_rss_is_read() -> None:
    data = rss_item("<title>t</title><a10:updated>2024-05-01T10:00:00Z</a10:updated>")
    assert one_result(data).entries[0].updated == 1714557600.0


def test_an_itunes_author_is_read() -> None:
    data = rss_item("<title>t</title><itunes:author>Host Name</itunes:author>")
    assert one_result(data).entries[0].author == "Host Name"


def test_a_dotnet_style_feed_keeps_links_and_ids() -> None:
    # System.ServiceModel.Syndication writes Atom links and dates into RSS items.
    data = rss_item('<guid isPermaLink="false">42</guid><a10:link href="https://a.example/42"/>'
                    "<title>t</title><description>d</description>"
                    "<a10:updated>2024-05-01T10:00:00Z</a10:updated>")
    entry = one_result(data).entries[0]
    assert (entry.guid, entry.link) == ("42", "https://a.example/42")


def test_items_outside_the_channel_are_not_merged() -> None:
    data = (RSS_HEAD + "<item><title>one</title><guid>1</guid></item></channel>"
            "<item><title>two</title><guid>2</guid></item></rss>").encode()
    assert [e.title for e in one_result(data).entries] == ["one", "two"]


def test_two_titles_in_one_item_read_as_feedparser_reads_them() -> None:
    one_result(rss_item("<title>first</title><title>second</title><guid>1</guid>"))


def test_enclosures_are_kept_on_both_paths() -> None:
    inner = ('<title>Episode</title><guid>e1</guid><enclosure url="/media/e1.mp3" '
             'type="audio/mpeg" length="12345"/><itunes:duration>1:02:03</itunes:duration>')
    entry = one_result(rss_item(inner)).entries[0]
    assert [(e.url, e.type, e.length, e.duration) for e in entry.enclosures] == [
        ("https://feeds.example/media/e1.mp3", "audio/mpeg", 12345, "1:02:03")]
    atom = atom_entry('<title>t</title><link rel="enclosure" href="https://a.example/v.mp4" '
                      'type="video/mp4" length="9"/>')
    assert [e.url for e in one_result(atom).entries[0].enclosures] == ["https://a.example/v.mp4"]


def test_the_plain_feeds_of_a_refresh_stay_on_the_fast_path() -> None:
    data = rss_item("<title>Plain</title><link>https://a.example/1</link><guid>g</guid>"
                    "<pubDate>Mon, 06 Sep 2021 16:45:00 GMT</pubDate>"
                    "<description>&lt;p&gt;Hi&lt;/p&gt;</description>"
                    '<category>x</category><enclosure url="https://a.example/a.mp3" '
                    'type="audio/mpeg" length="1"/><dc:creator>Me</dc:creator>')
    assert parse.parse_fast(data, "", "application/rss+xml; charset=UTF-8") is not None


@pytest.mark.parametrize("title, fast", [
    ("Q&amp;A with R&amp;D", True),            # "Q&A with R&D": no entity reference, kept as text
    ("Tom &amp;amp; Jerry", False),           # "Tom &amp; Jerry": feedparser reads it as HTML
    ("a &lt;b&gt;bold&lt;/b&gt; move", False),  # a closing tag: HTML to feedparser
    ("1 &lt; 2", True),
])
def test_titles_feedparser_would_read_as_html_go_to_it(title: str, fast: bool) -> None:
    data = rss_item(f"<title>{title}</title><guid>g</guid>")
    assert (parse.parse_fast(data) is not None) == fast
    one_result(data)


@pytest.mark.parametrize("link", ["https://a.example/?a=1&amp;amp;b=2",
                                  "https://a.example/?a=1&amp;b;=2", "http:///a.example/x"])
def test_links_feedparser_rewrites_go_to_it(link: str) -> None:
    data = rss_item(f"<title>t</title><link>{link}</link>")
    assert parse.parse_fast(data) is None
    one_result(data)


def test_an_rss_xml_base_goes_to_feedparser() -> None:
    data = (RSS_HEAD.replace("<channel>", '<channel xml:base="https://b.example/x/">') +
            "<item><title>t</title><link>rel</link></item></channel></rss>").encode()
    assert parse.parse_fast(data) is None
    one_result(data)


def test_an_atom_text_title_with_ampersand_stays_on_the_fast_path() -> None:
    data = atom_entry("<title>Fish &amp; Chips &lt;3</title>")
    assert parse.parse_fast(data) is not None
    assert one_result(data).entries[0].title == "Fish & Chips <3"


@pytest.mark.parametrize("content_type, fast", [
    ("", True), ("application/rss+xml", True), ("text/xml; charset=ISO-8859-1", True),
    ("text/xml", False),                        # US-ASCII by RFC 3023: feedparser warns
    ("application/xml; charset=utf-8", False),  # the header wins over the document
])
def test_an_iso_8859_1_document_reads_the_same(content_type: str, fast: bool) -> None:
    data = ('<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel>'
            "<title>Caf\u00e9</title><item><title>cr\u00e8me br\u00fbl\u00e9e</title>"
            "<guid>g</guid></item></channel></rss>").encode("latin-1")
    assert (parse.parse_fast(data, "", content_type) is not None) == fast
    feed = one_result(data, content_type)  # whichever path, the same result
    if fast:
        assert (feed.title, feed.entries[0].title) == ("Caf\u00e9", "cr\u00e8me br\u00fbl\u00e9e")


def test_leading_white_space_before_the_root_stays_on_the_fast_path() -> None:
    without_declaration = rss_item("<title>t</title>").split(b"?>", 1)[1]
    assert parse.parse_fast(b"\n  " + without_declaration) is not None
