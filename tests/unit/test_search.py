"""Search finds what the reader shows: converted text (clutter gone), fetched full text,
titles, authors, notes; through an index that is a cache kept current feed by feed."""

from __future__ import annotations

import pytest

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.search import has_words, highlight_spans, match_expression, query_words
from tests.conftest import AMN_SENTENCE, FeedServer, Route, rss


def open_library(paths: Paths, **settings: object) -> Library:
    library = Library(paths, Settings(**settings))
    library.acquire()
    return library


@pytest.fixture
def samples(paths: Paths):  # noqa: ANN201
    library = open_library(paths)
    library.seed_if_new()
    library.refresh_blocking()
    yield library
    library.release()


def titles(library: Library, query: str) -> list[str]:
    return [a.title for a in library.articles(search=query)]


def test_search_finds_the_shown_text_not_the_clutter(samples: Library) -> None:
    amn = next(f for f in samples.feeds() if f.title == "AMN Al-Masdar News")
    raw = samples.store.load_bodies(amn.key)
    assert any("revad2" in b["content_html"] for b in raw.values())  # in the raw HTML
    assert any("Telegram" in b["content_html"] for b in raw.values())
    assert titles(samples, "revad2") == []  # ... but not in what is shown
    assert titles(samples, "telegram") == []
    found = titles(samples, "Defense Ministerial")  # in the body of the Mattis article
    assert len(found) == 1 and found[0].startswith("Mattis")
    assert titles(samples, "Mattis Russia") == titles(samples, "russia mattis")  # any order
    mattis = samples.articles(search="Mattis")[0]
    assert samples.articles(search=mattis.author.split()[0])  # authors are searched


def test_search_finds_text_only_the_fetched_page_has(paths: Paths, amn_site: FeedServer
                                                     ) -> None:
    library = open_library(paths)
    try:
        library.add_feed(amn_site.url("/feed"))
        library.refresh_blocking()
        assert titles(library, AMN_SENTENCE) == []  # the feed carries a teaser only
        library.fetch_full_blocking(library.full_text_targets())
        assert titles(library, AMN_SENTENCE) == ["Army advances"]
        assert titles(library, "Teaser") == []  # the full text is what is shown now
    finally:
        library.release()


def test_the_index_follows_refreshes_notes_and_site_rules(paths: Paths, server: FeedServer
                                                          ) -> None:
    server.routes["/a"] = Route(rss("A", [("1", "Alpha")]))
    library = open_library(paths)
    try:
        library.add_feed(server.url("/a"))
        library.refresh_blocking()
        assert titles(library, "gamma") == []
        server.routes["/a"] = Route(rss("A", [("2", "Gamma rays"), ("1", "Alpha")]))
        library.refresh_blocking()
        assert titles(library, "gamma") == ["Gamma rays"]
        alpha = library.articles(search="alpha")[0]
        library.add_note(alpha, "a zebrafinch sang", "")
        assert titles(library, "zebrafinch") == ["Alpha"]
        library.settings.site_rules = [{"name": "no bodies", "hosts": ["example.com"],
                                        "drop_lines": ["Body of .*"]}]
        assert titles(library, "body") == []  # a new rule reaches indexed articles too
    finally:
        library.release()


def test_the_index_is_a_cache_rebuilt_when_missing_or_damaged(samples: Library,
                                                              paths: Paths) -> None:
    before = titles(samples, "Mattis")
    assert before
    samples.release()
    index = paths.cache_dir / "search.sqlite"
    assert index.exists()
    for damage in (lambda: index.unlink(), lambda: index.write_bytes(b"not a database" * 100)):
        for extra in paths.cache_dir.glob("search.sqlite-*"):
            extra.unlink()
        damage()
        again = open_library(paths)
        try:
            assert titles(again, "Mattis") == before
        finally:
            again.release()
    samples.acquire()


def test_query_words_and_highlights() -> None:
    assert query_words('Mosul "library"!') == ["mosul", "library"]
    assert match_expression('a"b') == '"a"* AND "b"*'  # quotes never reach FTS5 syntax
    assert match_expression("  ") == ""
    assert has_words("Mosul's library", ["mosul", "lib"]) and not has_words("Mosul", ["sul"])
    text = "Books from Mosul University library"
    assert [text[a:b] for a, b in highlight_spans(text, "mosul lib")] == ["Mosul", "library"]


def test_stale_words_are_dropped_and_the_index_stays_right(tmp_path) -> None:  # noqa: ANN001
    from reader.search import IndexDoc, SearchIndex

    index = SearchIndex(tmp_path / "search.sqlite")
    for round_ in range(3):  # every article's words change each round: stale rows pile up
        items = [(f"a{n}", f"v{round_}",
                  lambda n=n, r=round_: IndexDoc(f"a{n}", f"title {n}", "", f"word{r} text"))
                 for n in range(800)]
        assert index.update_feed("feed", f"s{round_}", items) == 800
        compacted = index.compact()
        assert compacted == (round_ == 2), round_  # 2,400 rows for 800 articles: emptied
        if compacted:
            assert index.search("word2") == {} and index.feed_signatures() == {}
            assert index.update_feed("feed", f"s{round_}", items) == 800
        assert len(index.search(f"word{round_}")) == 800
        assert index.search(f"word{round_ - 1}") == {} if round_ else True
    index.close()
