"""Hostile XML, each run through the whole path (subscribe, refresh, store, show, TUI).

What the user must see for each case is asserted next to it; `check_common` asserts what holds
for all: no traceback, the neighbour feed stored, earlier data unchanged, no control character
in any output or on screen, the app still running.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FeedServer
from tests.hostile.harness import Case, Outcome, run_case

RSS_HEAD = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{t}</title>'
RSS_TAIL = "</channel></rss>"
PASSWD_MARK = "root:"


def item(guid: str, title: str, body: str = "<p>body</p>", extra: str = "") -> str:
    return (f"<item><guid>{guid}</guid><title>{title}</title>"
            f"<link>https://example.com/{guid}</link>"
            f"<pubDate>Mon, 06 Sep 2021 16:45:00 +0000</pubDate>"
            f"<description><![CDATA[{body}]]></description>{extra}</item>")


def feed(title: str, *items: str, doctype: str = "") -> bytes:
    head = RSS_HEAD.format(t=title)
    if doctype:
        head = head.replace("<rss", doctype + "<rss", 1)
    return (head + "".join(items) + RSS_TAIL).encode()


def stored_or_failed(o: Outcome, *reasons: str) -> None:
    """Either the refresh failed with one line naming the feed and a reason, or what was
    recovered was stored and any warning names the feed."""
    if o.articles:
        for line in o.refresh.err.splitlines():  # a warning or error names its feed
            if line.startswith(("warning:", "error:")):
                assert o.url in line, line
    else:
        o.check_failed(*reasons)


def no_expansion(o: Outcome) -> None:
    text = o.everything()
    assert "lollollol" not in text and "hahahaha" not in text
    stored_or_failed(o, "entit", "not a feed", "malformed", "undefined", "parse")


def no_passwd(o: Outcome) -> None:
    assert Path("/etc/passwd").read_text().startswith(PASSWD_MARK)  # the check can fail
    assert PASSWD_MARK not in o.everything()
    stored_or_failed(o, "entit", "not a feed", "undefined", "malformed", "parse")


LOL_ONE_LINE = ('<!DOCTYPE rss [<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
    for i in range(1, 10)) + "]>")
LOL_MANY_LINES = ('<!DOCTYPE rss [\n <!ENTITY ha "hahahaha">\n' + "".join(
    f' <!ENTITY ha{i} "{("&ha" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
    for i in range(1, 10)) + "]>\n")


def deep_xml(depth: int) -> bytes:
    return feed("Deep", item("d1", "Deep one", extra="<x>" * depth + "</x>" * depth),
                item("d2", "Deep two"))


def deep_html(depth: int) -> bytes:
    body = "<div>" * depth + "deep text" + "</div>" * depth
    return feed("Deep HTML", item("h1", "Deep body", body=body))


def title_is(expected: list[str]) -> Callable[[Outcome], None]:
    def check(o: Outcome) -> None:
        assert sorted(a.title for a in o.articles) == sorted(expected)
        assert o.refresh.code == 0, o.refresh
        for title in expected:
            assert any(title in row for row in o.tui_lists), (title, o.tui_lists)
    return check


def check_malformed(o: Outcome) -> None:
    stored_or_failed(o, "not a feed", "mismatched", "malformed")
    assert o.articles, "the well-formed first item was not recovered"
    assert o.articles[-1].title == "Good item"


def check_truncated(o: Outcome) -> None:
    stored_or_failed(o, "not a feed", "malformed")
    assert [a.title for a in o.articles][-1:] == ["Whole item"]
    assert "warning" in o.refresh.err and o.url in o.refresh.err


def check_garbage(o: Outcome) -> None:
    o.check_failed("not a feed")


def check_nul(o: Outcome) -> None:
    stored_or_failed(o, "not a feed", "malformed", "invalid")
    for a in o.articles:
        assert "\x00" not in a.title
    assert "\x00" not in o.everything().replace("\x00", "") + "".join(o.screens)


def check_bad_utf8(o: Outcome) -> None:
    stored_or_failed(o, "not a feed", "encoding", "malformed", "invalid", "decod")
    assert o.articles and all("\ufffd" not in a.title or "Caf" in a.title for a in o.articles)
    assert any(a.title.startswith("Good") for a in o.articles)


def check_deep_xml(o: Outcome) -> None:
    assert sorted(a.title for a in o.articles) == ["Deep one", "Deep two"]


def check_deep_html(o: Outcome) -> None:
    assert [a.title for a in o.articles] == ["Deep body"]
    assert "deep text" in o.shows[o.articles[0].id].out
    assert "deep text" in o.tui_views[0]


def rdf(url: str) -> bytes:
    return b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://rdf.example/"><title>RDF [b]feed[/b]</title>
<link>https://rdf.example/</link><description>d</description>
<items><rdf:Seq><rdf:li rdf:resource="https://rdf.example/1"/></rdf:Seq></items></channel>
<item rdf:about="https://rdf.example/1"><title>RDF [@click=app.quit]one[/]</title>
<link>https://rdf.example/1</link><dc:date>2021-09-06T16:45:00Z</dc:date>
<description>&lt;p&gt;RDF body &lt;a href="https://rdf.example/more"&gt;more&lt;/a&gt;&lt;/p&gt;</description>
</item>
<item rdf:about="https://rdf.example/2"><title>RDF two</title><link>javascript:alert(1)</link>
<description>two</description></item>
</rdf:RDF>"""


def check_rdf(o: Outcome) -> None:
    assert o.refresh.code == 0, o.refresh
    titles = {a.title: a for a in o.articles}
    assert set(titles) == {"RDF [@click=app.quit]one[/]", "RDF two"}
    one = titles["RDF [@click=app.quit]one[/]"]
    assert one.link == "https://rdf.example/1" and one.date == 1630946700
    assert o.feed.title == "RDF [b]feed[/b]"
    assert any("RDF [@click=app.quit]one[/]" in row for row in o.tui_lists)
    assert "https://rdf.example/more" in [u for links in o.tui_links for u in links]
    two = titles["RDF two"]
    assert "javascript:" not in " ".join(u for links in o.tui_links for u in links)
    assert two.link == "javascript:alert(1)"  # stored as given, never opened (safe_link)


def atom_base(url: str) -> bytes:
    return b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="javascript:alert(1)//">
<title>Atom base</title><id>urn:base</id><updated>2021-09-06T16:45:00Z</updated>
<entry xml:base="file:///etc/"><title>File base</title><id>urn:1</id>
<updated>2021-09-06T16:45:00Z</updated><link href="passwd"/>
<content type="html">&lt;p&gt;see &lt;a href="passwd"&gt;this&lt;/a&gt; and
&lt;img src="shadow" alt="pic"&gt;&lt;/p&gt;</content></entry>
<entry><title>JS base</title><id>urn:2</id><updated>2021-09-05T16:45:00Z</updated>
<link href="x"/><content type="html">&lt;a href="y"&gt;js&lt;/a&gt;</content></entry>
<entry xml:base="https://ok.example/dir/"><title>Good base</title><id>urn:3</id>
<updated>2021-09-04T16:45:00Z</updated><link href="../page"/>
<content type="html" xml:base="data:text/html,">&lt;a href="z"&gt;data&lt;/a&gt;
&lt;a href="https://ok.example/abs"&gt;abs&lt;/a&gt;</content></entry>
</feed>"""


def check_atom_base(o: Outcome) -> None:
    assert PASSWD_MARK not in o.everything()
    titles = {a.title: a for a in o.articles}
    assert set(titles) == {"File base", "JS base", "Good base"}
    assert titles["Good base"].link == "https://ok.example/page"
    for links in o.tui_links:  # only http(s) links are offered
        assert all(u.startswith(("http://", "https://")) for u in links), links
    assert "https://ok.example/abs" in [u for links in o.tui_links for u in links]


XXE = ('<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
XXE_PARAM = ('<!DOCTYPE rss [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>')
PARAM_BOMB = ('<!DOCTYPE rss [<!ENTITY % a "<!ENTITY b \'bbbbbbbbbb\'>">'
              + "".join(f'<!ENTITY % p{i} "{"%a;" * 20}">' for i in range(1, 4))
              + '%p3;<!ENTITY lol "' + "&b;" * 10 + '">]>')
CAFE = "Café crème ünïcödé 日本"

CASES: list[tuple[Case, Callable[[Outcome], None]]] = [
    (Case("malformed-mismatched-tags", feed("Broken", item("m1", "Good item"),
          "<item><title>Bad</item></title><guid>m2</guid></item>")), check_malformed),
    (Case("truncated-mid-element", feed("Cut", item("t1", "Whole item"))[:-60]
          + b"<item><title>Half"), check_truncated),
    (Case("not-xml-at-all", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4), check_garbage),
    (Case("billion-laughs-one-line", feed("Laughs", item("l1", "&lol9;", body="&lol9;"),
          doctype=LOL_ONE_LINE)), no_expansion),
    (Case("billion-laughs-many-lines", feed("Laughs", item("l2", "Laugh &ha9;"),
          doctype=LOL_MANY_LINES)), no_expansion),
    (Case("xxe-system-entity", feed("XXE", item("x1", "secret &xxe;", extra="<author>&xxe;"
          "</author>"), doctype=XXE)), no_passwd),
    (Case("xxe-in-description", (RSS_HEAD.format(t="XXE2").replace("<rss", XXE + "<rss")
          + "<item><guid>x2</guid><title>t</title><description>&xxe;</description></item>"
          + RSS_TAIL).encode()), no_passwd),
    (Case("xxe-parameter-entity", feed("XXE param", item("x3", "param"), doctype=XXE_PARAM)),
     no_passwd),
    (Case("doctype-parameter-bomb", feed("Bomb", item("b1", "bomb &lol;"), doctype=PARAM_BOMB)),
     no_expansion),
    (Case("deep-nesting-10000-xml", deep_xml(10_000)), check_deep_xml),
    (Case("deep-nesting-10000-html-body", deep_html(10_000)), check_deep_html),
    (Case("nul-bytes", feed("Nul", item("n1", "nul\x00 title", body="<p>a\x00b</p>"))),
     check_nul),
    (Case("invalid-utf8", feed("Bad UTF-8", item("u1", "Good one"))
          .replace(b"Good one", b"Good \xff\xfe one Caf\xe9")), check_bad_utf8),
    (Case("utf8-served-as-latin1", feed("Enc", item("e1", CAFE)),
          content_type="application/rss+xml; charset=iso-8859-1"), title_is([CAFE])),
    (Case("utf8-served-as-latin1-feedparser-path", feed("Enc", item("e2", CAFE),
          doctype="<!DOCTYPE rss>"), content_type="text/xml; charset=iso-8859-1"),
     title_is([CAFE])),
    (Case("utf16-with-bom", ('<?xml version="1.0" encoding="UTF-16"?>' + feed(
          "Sixteen", item("s1", CAFE)).decode()[38:]).encode("utf-16"),
          content_type="application/xml"), title_is([CAFE])),
    (Case("utf16-with-bom-no-declaration", feed("Sixteen", item("s2", CAFE)).decode()[38:]
          .encode("utf-16"), content_type="application/xml"), title_is([CAFE])),
    (Case("rss10-rdf", rdf), check_rdf),
    (Case("atom-xml-base-tricks", atom_base, content_type="application/atom+xml"),
     check_atom_base),
]


@pytest.mark.parametrize(("case", "check"), CASES, ids=[c.id for c, _ in CASES])
def test_hostile_xml(case: Case, check: Callable[[Outcome], None], paths: object,
                     server: FeedServer, tmp_path: Path) -> None:
    outcome = run_case(tmp_path, server, case)
    outcome.check_common()
    check(outcome)
