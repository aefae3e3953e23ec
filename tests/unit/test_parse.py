"""Parsing: every supported format, fallbacks, hostile strings, bytes-only input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.parse import ParseError, parse_feed, parse_with_feedparser

RSS091 = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title>
<link>http://old.example/</link><description>d</description>
<item><title>First</title><link>http://old.example/1</link><description>One</description></item>
</channel></rss>"""

RSS092 = b"""<?xml version="1.0"?><rss version="0.92"><channel><title>Old92</title>
<item><description>Only a description here</description></item></channel></rss>"""

RSS10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://rdf.example/"><title>RDF feed</title><link>http://rdf.example/</link>
<description>x</description></channel>
<item rdf:about="http://rdf.example/a"><title>RDF item</title><link>http://rdf.example/a</link>
<dc:date>2020-05-01T10:00:00Z</dc:date><dc:creator>Ann</dc:creator></item>
</rdf:RDF>"""

RSS20 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Two</title><link>https://two.example/</link>
<item><title>Full</title><link>https://two.example/full</link><guid>g-1</guid>
<pubDate>Thu, 16 Feb 2017 18:27:41 +0000</pubDate><description>short</description>
<content:encoded><![CDATA[<p>Long <b>text</b></p>]]></content:encoded></item>
</channel></rss>"""

ATOM03 = b"""<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#">
<title>Atom 0.3</title><link rel="alternate" type="text/html" href="http://a03.example/"/>
<entry><title>Old atom</title><link rel="alternate" type="text/html" href="http://a03.example/1"/>
<id>tag:a03.example,2004:1</id><issued>2004-01-01T00:00:00Z</issued>
<modified>2004-01-02T00:00:00Z</modified>
<content type="text/html" mode="escaped">&lt;p&gt;hello&lt;/p&gt;</content></entry></feed>"""

ATOM10 = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example/blog/">
<title>Atom</title><id>urn:x</id><updated>2024-01-01T00:00:00Z</updated>
<entry><id>tag:atom.example,2024:1</id>
<title type="html">A &lt;b&gt;bold&lt;/b&gt; &amp;amp; title</title>
<updated>2024-01-02T00:00:00Z</updated><published>2024-01-01T00:00:00Z</published>
<author><name>Bo</name></author><link href="posts/1"/>
<content type="html">&lt;p&gt;&lt;a href="rel"&gt;x&lt;/a&gt;&lt;/p&gt;</content></entry>
</feed>"""


@pytest.mark.parametrize(
    ("data", "kind", "title"),
    [
        (RSS091, "rss091u", "First"),
        (RSS092, "rss092", "Only a description here"),
        (RSS10, "rss10", "RDF item"),
        (RSS20, "rss20", "Full"),
        (ATOM03, "atom03", "Old atom"),
        (ATOM10, "atom10", "A bold & title"),
    ],
)
def test_xml_formats(data: bytes, kind: str, title: str) -> None:
    feed = parse_feed(data)
    assert feed.kind == kind
    assert feed.entries[0].title == title
    assert not feed.warning


def test_rss20_content_summary_and_date() -> None:
    entry = parse_feed(RSS20).entries[0]
    assert entry.guid == "g-1"
    assert entry.content_html == "<p>Long <b>text</b></p>"
    assert entry.summary_html == "short"
    assert entry.published == 1487269661.0


def test_rdf_date_and_author() -> None:
    entry = parse_feed(RSS10).entries[0]
    assert entry.published is None and entry.updated == 1588327200.0  # dc:date
    assert entry.author == "Ann"
    assert entry.guid == "http://rdf.example/a"  # no id: the link


def test_atom_base_and_author() -> None:
    entry = parse_feed(ATOM10, "https://atom.example/feed.xml").entries[0]
    assert entry.author == "Bo"
    assert entry.link == "https://atom.example/blog/posts/1"
    assert entry.base_url.startswith("https://atom.example/blog/")
    assert 'href="rel"' in entry.content_html  # relative: the converter resolves it


def test_summary_only_entry_has_no_content() -> None:
    entry = parse_feed(RSS091).entries[0]
    assert entry.content_html == ""
    assert entry.summary_html == "One"


def test_fallbacks_for_missing_title_date_link_and_id() -> None:
    data = b"""<rss version="2.0"><channel><title>F</title>
    <item><description>&lt;p&gt;A body with words enough to name it&lt;/p&gt;</description></item>
    <item><description>other</description></item>
    <item></item></channel></rss>"""
    entries = parse_feed(data).entries
    assert entries[0].title == "A body with words enough to name it"
    assert entries[0].published is None and entries[0].link == ""
    assert entries[0].guid.startswith("sha1:")
    assert len({e.guid for e in entries}) == 3
    assert entries[2].title == "(untitled)"


def test_same_guid_twice_is_one_entry() -> None:
    data = b"""<rss version="2.0"><channel><title>F</title>
    <item><guid>x</guid><title>one</title></item><item><guid>x</guid><title>two</title></item>
    </channel></rss>"""
    assert [e.title for e in parse_feed(data).entries] == ["one"]


def test_bozo_feed_is_kept_with_a_warning() -> None:
    data = b"""<rss version="2.0"><channel><title>Broken &nbsp; feed</title>
    <item><title>Still here</title><guid>1</guid></item></channel></rss>"""
    feed = parse_feed(data)
    assert feed.warning
    assert [e.title for e in feed.entries] == ["Still here"]


def test_control_characters_are_stripped_from_titles() -> None:
    data = (b'<rss version="2.0"><channel><title>T\x1b]52;c;x\x07</title><item><guid>1</guid>'
            b"<title>[@click=app.quit]x[/] \x1b[2J\xc2\x9b31m</title></item></channel></rss>")
    feed = parse_feed(data)
    title = feed.entries[0].title
    assert "\x1b" not in title and "\x9b" not in title and "\x07" not in title
    assert title.startswith("[@click=app.quit]x[/]")  # kept literally; the UI shows it as text
    assert "\x1b" not in feed.title


def test_bytes_that_look_like_a_path_are_not_opened(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(RSS20)
    with pytest.raises(ParseError):
        parse_feed(str(secret).encode())


def test_garbage_is_a_clear_error() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b"<html><body>This is a web page</body></html>")
    with pytest.raises(ParseError, match="empty"):
        parse_feed(b"   ")


def test_billion_laughs_does_not_blow_up() -> None:
    lol = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
           + b"".join(b'<!ENTITY %s "%s">' % (f"a{i}".encode(),
                                               (f"&a{i - 1};" if i > 1 else "&a;").encode() * 10)
                      for i in range(1, 10))
           + b']><rss version="2.0"><channel><title>&a9;</title><item><title>x</title>'
             b"<guid>1</guid></item></channel></rss>")
    try:
        feed = parse_feed(lol)
    except ParseError:
        return
    assert len(feed.title) < 10_000


def _json_feed(version: str, items: list[dict]) -> bytes:
    return json.dumps({"version": version, "title": "J", "home_page_url": "https://j.example/",
                       "items": items}).encode()


def test_json_feed_11() -> None:
    data = _json_feed("https://jsonfeed.org/version/1.1", [
        {"id": "1", "title": "Hello", "url": "https://j.example/1", "content_html": "<p>hi</p>",
         "date_published": "2024-02-01T10:00:00+01:00", "authors": [{"name": "Cy"}],
         "tags": ["a", "b"]},
        {"id": "2", "content_text": "Para one\n\nPara <two>", "summary": "sum"},
        {"url": "https://j.example/3", "title": "no id"},
        "not an object",
    ])
    feed = parse_feed(data, content_type="application/feed+json")
    assert feed.kind == "json1.1" and feed.title == "J" and feed.site_url == "https://j.example/"
    one, two, three = feed.entries
    assert one.published == 1706778000.0 and one.author == "Cy" and one.tags == ["a", "b"]
    assert two.content_html == "<p>Para one</p><p>Para &lt;two&gt;</p>"
    assert two.summary_html == "<p>sum</p>" and two.title == "sum"  # no title: the summary's words
    assert three.guid == "https://j.example/3"


def test_json_feed_10_author_object() -> None:
    data = json.dumps({"version": "https://jsonfeed.org/version/1", "title": "Old",
                       "author": {"name": "Dee"},
                       "items": [{"id": 5, "content_html": "<p>x</p>"}]}).encode()
    feed = parse_feed(data)
    assert feed.kind == "json1"
    assert feed.entries[0].guid == "5" and feed.entries[0].author == "Dee"


def test_bad_json_is_a_clear_error() -> None:
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_feed(b'{"version": ')
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b'{"hello": "world"}')


# -- feedparser's mistakes, corrected after parsing for both paths (issue 14) --------------------

def test_media_description_does_not_replace_the_article() -> None:
    data = (b'<rss version="2.0" xmlns:m="http://search.yahoo.com/mrss/"><channel><title>T</title>'
            b"<item><title>Story</title><guid>s1</guid><description>The whole article body."
            b'</description><m:content url="https://img.example/a.jpg"><m:description type="plain">'
            b"A one-line image caption</m:description></m:content></item>"
            b"<item><title>Photo</title><guid>s2</guid><m:description>Only a caption"
            b"</m:description></item></channel></rss>")
    first, second = parse_feed(data).entries
    assert "The whole article body." in first.content_html + first.summary_html
    assert "caption" not in first.content_html + first.summary_html
    assert second.summary_html == "Only a caption"


def test_each_atom_entry_links_against_its_own_xml_base() -> None:
    entries = "".join(
        f'<entry><id>e{i}</id><title>n{i}</title><link href="p{i}"/>'
        f'<content type="html" xml:base="https://h{i}.example/d/">c</content></entry>'
        for i in range(3))
    data = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>'.encode()
    own = [f"https://h{i}.example/d/p{i}" for i in range(3)]
    assert [e.link for e in parse_feed(data, "https://feed.example/atom.xml").entries] == own
    slow = parse_with_feedparser(data, "https://feed.example/atom.xml")
    assert [e.link for e in slow.entries] == own


def test_an_empty_link_href_does_not_become_the_feed_url() -> None:
    data = (b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example/feed.xml">'
            b'<title>t</title><entry><id>tag:x,1</id><title>a</title><link href=""/>'
            b"</entry></feed>")
    assert parse_feed(data, "https://blog.example/feed.xml").entries[0].link != \
        "https://blog.example/feed.xml"


def test_html_titles_lose_markup_and_entities_on_both_paths() -> None:
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>1</id>'
            b'<title type="html">&lt;b&gt;Tom &amp;amp; Jerry&lt;/b&gt;</title></entry></feed>')
    assert parse_feed(atom).entries[0].title == "Tom & Jerry"
    assert parse_feed(atom.replace(b"<title>t</title>", b"<title>t &nbsp;</title>")
                      ).entries[0].title == "Tom & Jerry"


def test_a_title_made_from_the_body_has_no_script_text() -> None:
    data = (b'<rss version="2.0"><channel><title>T</title><item><guid>1</guid><description>'
            b"&lt;script&gt;var x = 1;&lt;/script&gt;&lt;style&gt;p{}&lt;/style&gt;Real words"
            b"</description></item></channel></rss>")
    assert parse_feed(data).entries[0].title == "Real words"


def test_json_feed_titles_are_entity_decoded() -> None:
    data = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Site &amp; Co",
                       "items": [{"id": "1", "title": "Add Task &amp; Sub Tasks"},
                                 {"id": "2", "title": "I&#039;m here"}]}).encode()
    feed = parse_feed(data)
    assert feed.title == "Site & Co"
    assert [e.title for e in feed.entries] == ["Add Task & Sub Tasks", "I'm here"]


def test_json_feed_attachments_are_enclosures() -> None:
    data = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "https://pod.example/1", "title": "Ep", "attachments": [
            {"url": "/media/1.m4a", "mime_type": "audio/x-m4a", "size_in_bytes": 89970236,
             "duration_in_seconds": 6629},
            {"url": "javascript:alert(1)", "mime_type": "text/html"},
            {"url": "https://cdn.example/1.mp3", "size_in_bytes": "big"}, "junk"]}]}).encode()
    files = parse_feed(data).entries[0].enclosures
    assert [(e.url, e.type, e.length, e.duration) for e in files] == [
        ("https://pod.example/media/1.m4a", "audio/x-m4a", 89970236, "6629"),
        ("https://cdn.example/1.mp3", "", 0, "")]


def test_a_content_xml_base_does_not_leak_into_the_next_entry() -> None:
    data = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            b'<entry><id>one</id><link href="https://a.example/1"/>'
            b'<content type="html" xml:base="https://leak.example/d/">x</content></entry>'
            b'<entry><id>42</id><link href="/2"/><link rel="enclosure" href="v.mp4"/>'
            b'<content type="html">y</content></entry></feed>')
    url = "https://feed.example/atom.xml"
    second = parse_with_feedparser(data, url).entries[1]
    assert (second.guid, second.link, second.base_url) == ("42", "https://feed.example/2",
                                                           "https://feed.example/2")
    assert [e.url for e in second.enclosures] == ["https://feed.example/v.mp4"]
    assert parse_feed(data, url).entries[1] == second  # the fast path reads it the same
