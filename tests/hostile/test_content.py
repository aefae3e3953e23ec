"""Hostile content (markup, control sequences, bidi, size, ids, dates, links), each run
through the whole path: subscribe, refresh, store, `reader show`, the TUI list and view.

Decisions asserted here:
- Feed text is shown literally: `[@click=app.quit]` is text, never a Textual/Rich action,
  style or link.
- C0 (but tab/newline), DEL and C1 controls are dropped wherever they come from (raw bytes,
  JSON escapes, HTML character references); what followed them stays as text (`[2J`).
- Bidi: the override and isolate controls (U+202A-U+202E, U+2066-U+2069) are dropped like
  other controls, so a title cannot reverse the rest of its row; the marks U+200E/U+200F
  (which reorder nothing by themselves) and right-to-left text itself are kept.
- Only http(s) links are offered (numbered links, `o`); a `javascript:`, `file:` or `data:`
  item link is stored as given but never opened.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FeedServer
from tests.hostile.harness import CONTROL_RE, Case, Outcome, cli, run_case

MARKUP = ["[@click=app.quit]Click[/]", "[/]", "closing [/bold] only",
          "[link=https://evil.example]x[/link]", "[bold red]loud[/]"]
ESC_TITLE = "esc \x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07 csi \x9b31m end"
ESC_SHOWN = "esc [2J]52;c;cm0gLXJmIH4= csi 31m end"
# Raw ESC is not XML: feedparser reads the feed and maps C1 characters the way windows-1252
# would (U+009B is "›"), which is no control any more.
ESC_SHOWN_RAW = "esc [2J]52;c;cm0gLXJmIH4= csi ›31m end"


def rss_items(items: list[dict[str, str]], title: str = "Content") -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
             f"<title>{title}</title><link>https://example.com/</link>"]
    for it in items:
        parts.append("<item>" + "".join(
            f"<{k}><![CDATA[{v}]]></{k}>" if k in ("title", "description") else f"<{k}>{v}</{k}>"
            for k, v in it.items()) + "</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def dated(guid: str, title: str, date: str = "Mon, 06 Sep 2021 12:00:00 +0000",
          body: str = "<p>body</p>", link: str = "") -> dict[str, str]:
    return {"guid": guid, "title": title, "link": link or f"https://example.com/{guid}",
            "pubDate": date, "description": body}


def json_feed(items: list[dict[str, object]]) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "JSON \x1b[2J",
                       "items": items}).encode()


def offered(o: Outcome) -> list[str]:
    return [u for links in o.tui_links for u in links]


def shown_everywhere(o: Outcome, title: str) -> None:
    """The title is stored, listed, shown by `reader show` and in the app, exactly."""
    article = next((a for a in o.articles if a.title == title), None)
    assert article is not None, (title, [a.title for a in o.articles])
    assert o.shows[article.id].out.startswith(f"# {title}\n")
    assert any(title in row for row in o.tui_lists), (title, o.tui_lists)


# -- checks ---------------------------------------------------------------------------------

def check_markup_titles(o: Outcome) -> None:
    for title in MARKUP:
        shown_everywhere(o, title)
    assert "[@click=app.quit]Click[/]" in "\n".join(o.screens)
    assert not any("evil" in link for link in o.screen_links)
    assert o.feed.title == "[b]Feed[/b] [@click=app.quit]"
    assert "[b]Feed[/b] [@cl" in o.screens[0]  # literal, cut to the feed pane's width


def check_markup_bodies(o: Outcome) -> None:
    [show] = [c.out for c in o.shows.values()]
    [view] = o.tui_views
    # The view shows the text literally; `reader show` prints Markdown, so brackets are escaped.
    # `[link=...]y[/link]` reads as a WordPress shortcode: its text stays, it links nowhere.
    assert "[@click=app.quit]x[/] and y and" in view
    assert "\\[@click=app.quit\\]x\\[/\\] and y and" in show
    assert "[/][1]" in view and "[\\[/\\]][1]" in show
    assert not any("evil" in link for link in o.screen_links)
    assert "evil" not in view and "evil" not in show
    assert offered(o) == ["https://ok.example/a"]


def check_escapes(o: Outcome) -> None:
    shown_everywhere(o, ESC_SHOWN_RAW)
    assert "[2J" in o.screens[1]
    text = o.everything()
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text


def check_escapes_in_html_refs(o: Outcome) -> None:
    view = "\n".join(o.tui_views)
    show = "\n".join(c.out for c in o.shows.values())
    assert "before" in view and "after" in view and "before" in show
    assert CONTROL_RE.search(view) is None and CONTROL_RE.search(show) is None
    assert "\x1b" not in o.everything()


def check_json_escapes(o: Outcome) -> None:
    shown_everywhere(o, ESC_SHOWN)
    assert o.feed.title == "JSON [2J"
    assert "\x1b" not in o.everything()


def check_bidi(o: Outcome) -> None:
    shown_everywhere(o, "evil gnp.exe and שלום עולם\u200f mark")
    text = o.everything()
    assert not any(c in text for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "שלום עולם" in "\n".join(o.tui_views)


def check_huge_title(o: Outcome) -> None:
    [article] = o.articles
    assert article.title.startswith("A" * 1000) and len(article.title) >= 1_000_000
    assert o.shows[article.id].out.startswith("# AAAA")
    assert len(o.tui_lists) == 1 and "\n" not in o.tui_lists[0]
    assert o.tui_views[0].startswith("AAAA")


def check_many_entries(o: Outcome) -> None:
    assert len(o.articles) == 20_000
    assert len({a.id for a in o.articles}) == 20_000
    assert len(o.shows) == 10 and all(c.code == 0 for c in o.shows.values())
    assert o.articles[0].title == "Entry 19999"  # newest first


def check_duplicate_guids(o: Outcome) -> None:
    assert sorted(a.title for a in o.articles) == ["First with dup guid", "Other"]
    assert [a.guid for a in o.articles].count("dup") == 1


def check_missing_guids(o: Outcome) -> None:
    titles = sorted(a.title for a in o.articles)
    assert titles == ["Linked, no guid", "No guid, no link", "No guid, no link, other date"]
    by_title = {a.title: a for a in o.articles}
    assert by_title["Linked, no guid"].guid == "https://example.com/only-link"
    assert by_title["No guid, no link"].guid.startswith("sha1:")


def check_dates(o: Outcome) -> None:
    by_title = {a.title: a for a in o.articles}
    want = {"Year 9999": "9999-12-31", "Year 3000": "3000-01-01", "Moon landing": "1969-07-20",
            "Year 1900": "1900-01-01"}
    for title, day in want.items():
        stamp = by_title[title].date
        assert time.strftime("%Y-%m-%d", time.gmtime(stamp)) == day, (title, stamp)
        assert f"Date: {time.strftime('%Y-%m-%d', time.localtime(stamp))}" in \
            o.shows[by_title[title].id].out
    assert o.tui_lists[1].split()[1] == time.strftime("%Y-%m-%d",
                                                       time.localtime(by_title["Year 9999"].date))
    assert o.tui_lists[0].split()[1] == time.strftime("%Y-%m-%d", time.localtime(
        by_title["Past 9999 in UTC"].date))
    assert [a.title for a in o.articles][:3] == ["Past 9999 in UTC", "Year 9999", "Year 3000"]
    # A bookmarked article dated past what datetime can hold still exports.
    past = by_title["Past 9999 in UTC"]
    assert cli(o, "bookmark", past.id).code == 0
    export = cli(o, "notes", "export", str(o.paths.cache_dir.parent / "vault"))
    assert export.code == 0 and "Traceback" not in export.err, export
    [md] = (o.paths.cache_dir.parent / "vault").glob("past-9999-in-utc-*.md")
    assert "title: \"Past 9999 in UTC\"" in md.read_text()
    assert "published: null" in md.read_text()  # no ISO 8601 form for year 10000


def check_unreadable_date(o: Outcome) -> None:
    assert o.refresh.code == 0, o.refresh
    by_title = {a.title: a for a in o.articles}
    assert by_title["Readable date"].published == 1630929600
    bad = by_title["Unreadable date"]
    assert bad.published is None and bad.date == bad.fetched_at  # listed by when it came


def check_missing_everything(o: Outcome) -> None:
    titles = sorted(a.title for a in o.articles)
    assert titles == ["(untitled)", "Only a body that is the title"]
    assert o.feed.title == o.url  # no feed title: the URL names it
    for command in o.shows.values():
        assert command.code == 0 and "Link:" not in command.out
    assert o.app_running


def check_bad_links(o: Outcome) -> None:
    by_title = {a.title: a for a in o.articles}
    assert by_title["JS item"].link == "javascript:alert(1)"
    # feedparser squeezes "scheme:///" to "scheme://"; the fast path hands such links to it
    assert by_title["File item"].link == "file://etc/passwd"
    links = offered(o) + [u for a in o.articles for u in [a.link]]
    assert "https://ok.example/fine" in offered(o)
    for url in offered(o):
        assert url.startswith(("http://", "https://")), url
    assert "root:" not in o.everything()
    assert links


def check_relative_no_base(o: Outcome) -> None:
    [article] = o.articles
    assert article.link == "/relative/page"
    assert offered(o) == []
    assert "relative text" in o.tui_views[0] and "relative text" in o.shows[article.id].out


# -- the corpus -----------------------------------------------------------------------------

BODY_MARKUP = ("<p>[@click=app.quit]x[/] and [link=https://evil.example]y[/link] and [/bold]</p>"
               '<p><a href="https://ok.example/a">[/]</a></p>')
BIDI = "evil \u202egnp.exe\u202c and \u2067שלום עולם\u2069\u200f mark"
HUGE = "A" * 1_000_000


def many(url: str) -> bytes:
    return rss_items([dated(f"e{i}", f"Entry {i}", date=time.strftime(
        "%a, %d %b %Y %H:%M:%S +0000", time.gmtime(1_600_000_000 + i * 60)))
        for i in range(20_000)])


CASES: list[tuple[Case, Callable[[Outcome], None]]] = [
    (Case("markup-in-titles", rss_items([dated(f"m{i}", t) for i, t in enumerate(MARKUP)],
          title="[b]Feed[/b] [@click=app.quit]")), check_markup_titles),
    (Case("markup-in-bodies", rss_items([dated("b1", "Body markup", body=BODY_MARKUP)])),
     check_markup_bodies),
    (Case("esc-csi-osc52-c1-raw", rss_items([dated("c1", ESC_TITLE, body=f"<p>{ESC_TITLE}</p>")])),
     check_escapes),
    (Case("esc-csi-osc52-c1-html-refs", rss_items([dated(
        "c2", "Refs", body="<p>before &#27;[2J &#x1b;]52;c;eA==&#7; &#155;31m &#x9b; after</p>")])),
     check_escapes_in_html_refs),
    (Case("esc-csi-osc52-c1-json", json_feed([{
        "id": "j1", "title": ESC_TITLE, "content_text": ESC_TITLE,
        "date_published": "2021-09-06T12:00:00Z", "url": "https://example.com/j1"}]),
        content_type="application/feed+json"), check_json_escapes),
    (Case("bidi-overrides", rss_items([dated("d1", BIDI, body=f"<p>{BIDI}</p>")])), check_bidi),
    (Case("title-1mb", rss_items([dated("big", HUGE)])), check_huge_title),
    (Case("entries-20000", many, show_limit=10), check_many_entries),
    (Case("duplicate-guids", rss_items([dated("dup", "First with dup guid"),
          dated("dup", "Second with dup guid"), dated("o", "Other")])), check_duplicate_guids),
    (Case("missing-guids", rss_items([
        {"title": "Linked, no guid", "link": "https://example.com/only-link"},
        {"title": "No guid, no link", "pubDate": "Mon, 06 Sep 2021 12:00:00 +0000"},
        {"title": "No guid, no link, other date", "pubDate": "Tue, 07 Sep 2021 12:00:00 +0000"},
    ])), check_missing_guids),
    (Case("dates-far-future-and-before-1970", rss_items([
        dated("y9999", "Year 9999", "Fri, 31 Dec 9999 12:00:00 +0000"),
        dated("y3000", "Year 3000", "Wed, 01 Jan 3000 12:00:00 +0000"),
        dated("y1969", "Moon landing", "Sun, 20 Jul 1969 20:17:00 +0000"),
        dated("y1900", "Year 1900", "Mon, 01 Jan 1900 12:00:00 +0000"),
        dated("y10000", "Past 9999 in UTC", "Fri, 31 Dec 9999 23:59:59 -1200"),
    ])), check_dates),
    (Case("date-unreadable-year-99999", rss_items([
        dated("ok", "Readable date"),
        dated("ybad", "Unreadable date", "Sat, 31 Feb 99999 99:99:99 +9999"),
    ])), check_unreadable_date),
    (Case("missing-everything-optional", b'<?xml version="1.0"?><rss version="2.0"><channel>'
          b"<item></item><item><description>Only a body that is the title</description></item>"
          b"</channel></rss>"), check_missing_everything),
    (Case("javascript-file-data-links", rss_items([
        dated("js", "JS item", link="javascript:alert(1)",
              body='<p><a href="javascript:alert(2)">js</a> <a href="file:///etc/passwd">f</a>'
                   ' <a href="data:text/html,&lt;b&gt;x">d</a> <img src="data:image/png;base64,'
                   'AAAA" alt="img"> <a href="https://ok.example/fine">fine</a></p>'),
        dated("file", "File item", link="file:///etc/passwd"),
        dated("data", "Data item", link="data:text/html,hi"),
    ])), check_bad_links),
    (Case("relative-links-no-base", rss_items([{
        "guid": "rel", "title": "Relative", "link": "/relative/page",
        "description": '<p><a href="../up">relative text</a> <img src="pic.png" alt="p"></p>'}]),
        local=True), check_relative_no_base),
]


@pytest.mark.parametrize(("case", "check"), CASES, ids=[c.id for c, _ in CASES])
def test_hostile_content(case: Case, check: Callable[[Outcome], None], paths: object,
                         server: FeedServer, tmp_path: Path) -> None:
    outcome = run_case(tmp_path, server, case)
    outcome.check_common()
    check(outcome)
