"""Queries through the library: listing with a query and a sort order, query feeds (saved,
from config.toml, imported from newsboat), and filter rules applied at refresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.config import FilterRule, Settings, load_settings
from reader.core.filters import rule_hits
from reader.library import Library, LibraryError
from reader.locations import Paths
from reader.models import View
from reader.query import QueryError, parse
from tests.conftest import FeedServer, Route, rss
from tests.unit.test_query import NOW, Item


def open_library(paths: Paths, **settings: object) -> Library:
    library = Library(paths, Settings(**settings))
    library.acquire()
    return library


def rule(query: str, action: str, tag: str = "", feed: str = "") -> FilterRule:
    return FilterRule(parse(query), action, tag, feed, f"[[filters]] ({query})")


@pytest.fixture
def two_feeds(server: FeedServer) -> FeedServer:
    server.routes["/a"] = Route(rss("Alpha", [("1", "Ukraine talks"), ("2", "Sponsored post"),
                                              ("3", "Weather")]))
    server.routes["/b"] = Route(rss("Beta", [("4", "ukraine grain deal"), ("5", "Zebra news")]))
    return server


def test_articles_with_a_query_and_each_sort_order(paths: Paths, two_feeds: FeedServer
                                                   ) -> None:
    lib = open_library(paths)
    lib.add_feed(two_feeds.url("/a"), tags=["news"])
    lib.add_feed(two_feeds.url("/b"))
    lib.refresh_blocking()
    found = lib.articles(query=parse('title ~ "ukraine" and feed = "beta"'))
    assert [a.title for a in found] == ["ukraine grain deal"]
    assert {a.title for a in lib.articles(query=parse('tag = "news"'))} == {
        "Ukraine talks", "Sponsored post", "Weather"}
    assert {a.title for a in lib.articles(query=parse('text ~ "body weather"'))} == {"Weather"}
    lib.mark_read(next(a for a in lib.articles() if a.title == "Weather"))
    assert "Weather" not in {a.title for a in lib.articles(query=parse("unread"))}
    titles = [a.title for a in lib.articles(sort="title")]
    assert titles == sorted(titles, key=str.casefold)
    assert [a.feed_title for a in lib.articles(sort="feed")] == ["Alpha"] * 3 + ["Beta"] * 2
    assert lib.articles(sort="unread")[-1].title == "Weather"
    newest = lib.articles()
    assert [a.date for a in newest] == sorted((a.date for a in newest), reverse=True)
    assert [a.id for a in lib.articles(sort="oldest")] == [
        a.id for a in sorted(newest, key=lambda a: a.date)]
    with pytest.raises(LibraryError, match="unknown sort order"):
        lib.articles(sort="sideways")


def test_query_feeds_saved_listed_counted_and_removed(paths: Paths, two_feeds: FeedServer
                                                     ) -> None:
    lib = open_library(paths, query_feeds=[{"title": "From config", "query": "read"}])
    lib.add_feed(two_feeds.url("/a"))
    lib.add_feed(two_feeds.url("/b"))
    lib.refresh_blocking()
    lib.add_query_feed("Ukraine", 'title ~ "ukraine"')
    with pytest.raises(QueryError, match="column 8"):
        lib.add_query_feed("Bad", "title ~ ")
    with pytest.raises(LibraryError, match="exists already"):
        lib.add_query_feed("ukraine", "unread")
    assert [(q.title, q.origin) for q in lib.query_feeds()] == [("From config", "config"),
                                                               ("Ukraine", "data")]
    assert lib.query_counts() == {"From config": (0, 0), "Ukraine": (2, 2)}
    assert {a.title for a in lib.view_articles(View("query", "Ukraine"))} == {
        "Ukraine talks", "ukraine grain deal"}
    with pytest.raises(LibraryError, match="remove it there"):
        lib.remove_query_feed("From config")
    lib.release()
    again = open_library(paths)  # kept in data/queries.json
    assert [q.title for q in again.query_feeds()] == ["Ukraine"]
    again.remove_query_feed("UKRAINE")
    assert again.query_feeds() == []
    assert json.loads((paths.data_dir / "queries.json").read_text()) == {"feeds": []}


def test_a_search_view_with_a_query_and_one_with_words(paths: Paths, two_feeds: FeedServer
                                                       ) -> None:
    lib = open_library(paths)
    lib.add_feed(two_feeds.url("/a"))
    lib.refresh_blocking()
    assert [a.title for a in lib.view_articles(View("search", 'title ~ "eather"'))] == [
        "Weather"]
    assert lib.view_articles(View("search", "eather")) == []  # words: starts of words
    assert [a.title for a in lib.view_articles(View("search", "weath"))] == ["Weather"]
    with pytest.raises(QueryError):
        lib.view_articles(View("search", "title ~"))


def test_filters_hide_mark_read_and_tag_new_articles_once(paths: Paths, two_feeds: FeedServer
                                                          ) -> None:
    rules = [rule('title ~ "sponsored"', "hide"), rule('title ~ "ukraine"', "tag", "war"),
             rule("title = weather", "read", feed="Alpha"),
             rule('title = "zebra news"', "read", feed="nothing of the kind")]
    lib = open_library(paths, filters=rules)
    alpha = lib.add_feed(two_feeds.url("/a"))
    beta = lib.add_feed(two_feeds.url("/b"))
    results = lib.refresh_blocking()
    assert [r.new for r in results] == [2, 2]  # the hidden one is no news
    shown = {a.title: a for a in lib.articles()}
    assert set(shown) == {"Ukraine talks", "Weather", "ukraine grain deal", "Zebra news"}
    assert shown["Ukraine talks"].tags == ["war"] and shown["ukraine grain deal"].tags == ["war"]
    assert shown["Weather"].read and not shown["Zebra news"].read
    hidden = lib.articles(hidden=True)
    assert [a.title for a in hidden] == ["Sponsored post"] and hidden[0].hidden
    assert lib.counts()[alpha.key] == (1, 2) and lib.counts()[beta.key] == (2, 2)
    assert lib.hidden_counts() == {alpha.key: 1, beta.key: 0}
    assert lib.article(hidden[0].id[:6]).title == "Sponsored post"  # still reachable
    assert [a.title for a in lib.articles(query=parse('tag = "war"'))] != []
    assert [a.title for a in lib.view_articles(View("hidden"))] == ["Sponsored post"]
    lib.set_bookmark(hidden[0])  # bookmarked from the Hidden view: listed with the others
    assert [a.title for a in lib.articles(bookmarked=True)] == ["Sponsored post"]
    assert "Sponsored post" not in {a.title for a in lib.articles()}
    lib.mark_read(shown["Ukraine talks"], False)
    # applied once: a later refresh with other rules changes nothing already stored
    lib.release()
    two_feeds.routes["/a"] = Route(rss("Alpha", [("1", "Ukraine talks"), ("2", "Sponsored post"),
                                                 ("3", "Weather"), ("6", "Sponsored too")]))
    lib = open_library(paths)
    lib.refresh_blocking()
    assert [a.title for a in lib.articles(hidden=True)] == ["Sponsored post"]
    assert "Sponsored too" in {a.title for a in lib.articles()}
    assert next(a for a in lib.articles() if a.title == "Ukraine talks").tags == ["war"]
    lib.release()
    fresh = Library(paths, Settings())  # counts from the summary, without reading the cache
    assert fresh.counts()[alpha.key] == (2, 3) and fresh.hidden_counts()[alpha.key] == 1


def test_a_text_rule_reads_the_new_articles_text(paths: Paths, two_feeds: FeedServer) -> None:
    lib = open_library(paths, filters=[rule('text ~ "body of zebra"', "hide")])
    lib.add_feed(two_feeds.url("/b"))
    lib.refresh_blocking()
    assert [a.title for a in lib.articles(hidden=True)] == ["Zebra news"]


def test_config_rules_and_query_feeds(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('''
[[filters]]
query = 'title ~ "sponsored"'
action = "hide"

[[filters]]
query = 'title ~'
action = "hide"

[[filters]]
query = "unread"
action = "explode"

[[filters]]
query = "unread"
action = "tag"

[[filters]]
query = 'feed = "x"'
action = "tag"
tag = "ads"
feed = "https://example.com/feed.xml"

[[query_feeds]]
title = "Week"
query = "age < 7d"

[[query_feeds]]
title = "No query"
''')
    settings = load_settings(path)
    assert [(r.action, r.tag, r.feed) for r in settings.filters] == [
        ("hide", "", ""), ("tag", "ads", "https://example.com/feed.xml")]
    assert settings.query_feeds == [{"title": "Week", "query": "age < 7d"}]
    problems = settings.problems
    assert len(problems) == 4 and all("skipped" in p for p in problems)
    assert "[[filters]] 2 (title ~): at column 8: expected a value after '~'" in problems[0]
    assert 'action must be "hide", "read", "tag"' in problems[1]
    assert 'action "tag" needs tag = "..."' in problems[2]
    assert "[[query_feeds]] 2" in problems[3]


def test_newsboat_query_feeds_are_imported(paths: Paths, tmp_path: Path) -> None:
    urls = tmp_path / "urls"
    urls.write_text('https://example.com/a.xml news\n'
                    '"query:Unread news:unread = \\"yes\\" and tags # \\"news\\""\n'
                    '"query:Anchored:title =~ \\"^x\\""\n'
                    '"query:No expression:"\n')
    lib = open_library(paths)
    report = lib.import_subscriptions(urls.read_bytes(), str(urls))
    assert report.queries_added == ["Unread news"]
    assert [q.source for q in lib.query_feeds()] == ['unread and tag = "news"']
    assert any("line 3: query feed 'Anchored' not imported" in w and "^x" in w
               for w in report.warnings)
    assert any("line 4" in w for w in report.warnings)
    again = lib.import_subscriptions(urls.read_bytes(), str(urls))
    assert again.queries_added == [] and any("exists already" in w for w in again.warnings)


def test_rule_read_marks_are_one_write_and_unread_wins(paths: Paths, two_feeds: FeedServer
                                                       ) -> None:
    lib = open_library(paths, filters=[rule("unread", "read")])
    alpha = lib.add_feed(two_feeds.url("/a"))
    beta = lib.add_feed(two_feeds.url("/b"))
    lib.refresh_blocking()
    assert all(a.read for a in lib.articles()) and lib.counts()[alpha.key] == (0, 3)
    read_dir = paths.data_dir / "read"
    assert sorted(p.name for p in read_dir.iterdir()) == ["by-rules.json"]  # one file
    weather = next(a for a in lib.articles() if a.title == "Weather")
    lib.mark_read(weather, False)
    lib.release()
    again = open_library(paths)
    assert [a.title for a in again.articles(unread=True)] == ["Weather"]
    assert again.counts() == {alpha.key: (1, 3), beta.key: (0, 2)}
    again.remove_feed(beta.url)
    two_feeds.routes["/a"] = Route(rss("Alpha", [("7", "Fresh")]))
    again.release()
    third = open_library(paths, filters=[rule("unread", "read")])
    third.refresh_blocking()
    marks = json.loads((read_dir / "by-rules.json").read_text())
    assert list(marks) == [alpha.key] and len(marks[alpha.key]) == 3  # beta's are gone
    assert [a.title for a in third.articles(unread=True)] == ["Weather"]


@pytest.mark.parametrize("screened", [False, True])
def test_rules_tested_where_parsed_or_at_the_merge_agree(screened: bool) -> None:
    import copy
    import time

    from reader.core.filters import FeedScreen, apply_filters
    from reader.core.merge import Limits, decide
    from reader.models import Feed, ParsedEntry, ParsedFeed

    parsed = ParsedFeed(title="Alpha", entries=[
        ParsedEntry("1", title="Sponsored: a deal", summary_html="<p>buy <b>now</b></p>"),
        ParsedEntry("2", title="ok", content_html="<p>Grain &amp; wheat</p>")])
    feed = Feed(key="k1", url="http://a.example/feed")
    rules = [rule('title ~ "sponsored"', "hide"), rule("title = ok", "read", feed="Alpha"),
             rule('text ~ "wheat grain"', "tag", "food"), rule("unread", "read", feed="Beta")]
    parsed = copy.deepcopy(parsed)
    now = time.time()
    if screened:  # as the parse worker does, before the feed's title is known
        FeedScreen(tuple(r.query.source for r in rules), "", feed.url, (), now).mark(parsed)
        assert [e.rule_hits for e in parsed.entries] == [[0, 3], [1, 2, 3]]
    decision = decide(feed.key, parsed, [], had_meta=False, bodies_lost=False, kept=set(),
                      limits=Limits(), now=now)
    feed.feed_title = parsed.title  # as store_parsed does before the rules apply
    read = apply_filters(feed, decision, rules, now)
    docs = {d["title"]: d for d in decision.docs}
    assert docs["Sponsored: a deal"].get("hidden") and not docs["ok"].get("hidden")
    assert docs["ok"].get("tags") == ["food"] and read == {docs["ok"]["id"]}
    assert decision.new_ids == [docs["ok"]["id"]]


@pytest.mark.parametrize(("markup", "words", "expected"), [
    ("<p>x &lt; y then zebra</p>", "zebra", True),  # an escaped < opens no tag
    ('<a href="https://zebra.example">no</a>', "zebra", False),  # inside a tag
    ("<p>caf&eacute; au lait</p>", "café lait", True),
    ("<p>prezebra</p>", "zebra", False),  # a word's start, as the search finds it
    ("<p>Zebras <b>run</b></p>", "zebra ru", True),
    ("", "t", True),  # the title counts
    ("<b>x</b>", "b", False),
    ("<p>AT&amp;T</p>", "amp", False),  # a reference's name is no word
    ("<p>&#233;t&#233; ok</p>", "été", True),  # nor does a reference hide one
])
def test_a_rules_text_test(markup: str, words: str, expected: bool) -> None:
    from reader.core.filters import NewArticle
    from reader.models import Feed

    article = NewArticle({"id": "1", "title": "T", "author": "", "link": ""},  # type: ignore
                         Feed(key="k", url="u"), {"content_html": markup})
    assert article.has_text(words) is expected
    titled = NewArticle({"id": "1", "title": "a < b zebra", "author": "", "link": ""},  # type: ignore
                        Feed(key="k", url="u"), {"content_html": markup})
    assert titled.has_text("zebra")  # a title's < opens no tag


def test_the_parse_worker_tests_no_rule_on_articles_already_cached() -> None:
    import time

    from reader.core.filters import FeedScreen
    from reader.core.merge import article_id
    from reader.models import ParsedEntry, ParsedFeed

    parsed = ParsedFeed(title="A", entries=[ParsedEntry("old", title="x"),
                                            ParsedEntry("new", title="x")])
    FeedScreen(("title = x",), "", "u", (), time.time(), "k1",
               frozenset({article_id("k1", "old")})).mark(parsed)
    assert [e.rule_hits for e in parsed.entries] == [None, [0]]


SUBJECTS = [None, {"read": True, "bookmarked": True, "notes": 2, "title": "", "tags": []},
            {"date": 0.0, "author": "ÉCOLE Doe", "categories": ["News", "world/x"],
             "tags": ["world/europe/east", "News"], "feed_title": "Site 007"}]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list('()=!~<>"') + [
    "title", "author", "feed", "feedurl", "link", "tag", "category", "text", "unread", "read",
    "bookmarked", "annotated", "age", "date", "and", "or", "not", "3d", "2w", "30m",
    "2026-11-28", "2026-11-28T12:00", '"world"', '"news"', "doe", '"école"', "talks",
    '"site 007"', "x", '"world/europe"', "geneva"]), min_size=1, max_size=12).map(" ".join))
def test_the_compiled_rule_set_agrees_with_the_query(source: str) -> None:
    try:
        query = parse(source)
    except QueryError:
        return
    hits = rule_hits((source, "unread"), int(NOW))
    for changes in SUBJECTS:
        item = Item(**(changes or {}))
        expected = [i for i, q in enumerate((query, parse("unread"))) if q.matches(item, int(NOW))]
        assert hits(item) == expected, source
