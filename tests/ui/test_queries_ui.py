"""The app's queries (Pilot): query feeds and the hidden articles in the feed list, `/` with
a query (and a bad one to mend), and sort orders cycled with `s`, remembered per view."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.models import View
from reader.query import parse
from reader.ui.app import ReaderApp
from tests.ui.conftest import make_library
from tests.ui.test_app import SIZE, open_feed, visible_text


@pytest.fixture
def filtered_library(paths: Paths) -> Iterator[Library]:
    """The samples with a query feed in config.toml, one saved, a hiding rule and a bad
    rule."""
    from reader.config import FilterRule

    settings = Settings(query_feeds=[{"title": "Mosul", "query": 'title ~ "mosul"'}],
                        filters=[FilterRule(parse('title ~ "snowstorm"'), "hide")],
                        problems=["config.toml: [[filters]] 2 (title ~): at column 8: "
                                  "expected a value after '~'; rule skipped"])
    library = make_library(paths, settings)
    library.seed_if_new()
    library.refresh_blocking()
    library.add_query_feed("Garden", 'feed = "Plot Number Twelve" and unread')
    yield library
    library.release()


def feed_row(app: ReaderApp, view: View) -> int:
    for index in range(app.feed_list.option_count):
        if app.feed_list.view_at(index) == view:
            return index
    raise AssertionError(f"no row for {view}")


async def test_query_feeds_and_hidden_articles_in_the_feed_list(filtered_library: Library
                                                                 ) -> None:
    app = ReaderApp(filtered_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        feeds = visible_text(app.feed_list)
        assert "⌕ Mosul (1)" in feeds and "⌕ Garden (5)" in feeds and "Hidden (1)" in feeds
        assert "[[filters]] 2 (title ~): at column 8" in visible_text(app.status)
        app.focus_pane(app.feed_list)
        app.feed_list.highlighted = feed_row(app, View("query", "Garden"))
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert app.view == View("query", "Garden")
        assert {a.feed_title for a in app.article_list.articles} == {"Plot Number Twelve"}
        assert str(app.article_list.border_title) == "Query: Garden (5 articles, 5 unread)"
        await pilot.press("enter")  # reading one marks it read: the query feed counts again
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause(1.2)  # counts come at most once a second
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "⌕ Garden (4)" in visible_text(app.feed_list)
        app.focus_pane(app.feed_list)
        app.feed_list.highlighted = feed_row(app, View("hidden"))
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert [a.title for a in app.article_list.articles] == [
            "Snowstorm closes mountain roads in Lebanon, schools shut in Bekaa"]
        assert str(app.article_list.border_title).startswith("Hidden by filters (1 article")


async def test_slash_takes_a_query_and_plain_words(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *'feed ~ "terminal" and title ~ "sqlite"', "enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert app.view.kind == "search"
        assert [a.title for a in app.article_list.articles] == [
            "SQLite WAL mode for a single-user app"]
        await pilot.press("slash", *"wal mode", "enter")  # plain words: a plain search
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert [a.title for a in app.article_list.articles] == [
            "SQLite WAL mode for a single-user app"]
        assert app.article_list.search == "wal mode"  # words are highlighted


async def test_a_bad_query_comes_back_to_be_mended(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = app.view
        await pilot.press("slash", *"title ~", "enter")
        await pilot.pause()
        assert app.view == before  # nothing was searched
        assert "at column 8: expected a value after '~'" in visible_text(app.status)
        problem = app.screen.query_one("#search-problem")
        assert "at column 8" in str(problem.render())
        from textual.widgets import Input

        assert app.screen.query_one(Input).value == "title ~"  # what was typed is kept
        await pilot.press(*' "mosul"', "enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert app.view == View("search", 'title ~ "mosul"', "")
        assert len(app.article_list.articles) == 1


async def test_s_cycles_the_sort_order_and_it_is_remembered(paths: Paths,
                                                          sample_library: Library) -> None:
    sample_library.save_ui_state({"theme": "nord", "config_theme": "textual-dark"})
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "Terminal Notes")
        await app.workers.wait_for_complete()
        dates = [a.date for a in app.article_list.articles]
        assert dates == sorted(dates, reverse=True)
        await pilot.press("s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        dates = [a.date for a in app.article_list.articles]
        assert dates == sorted(dates)
        assert str(app.article_list.border_title).endswith(", oldest first)")
        await pilot.press("s")  # by feed, then by title
        await pilot.press("s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        titles = [a.title for a in app.article_list.articles]
        assert titles == sorted(titles, key=str.casefold)
        assert str(app.article_list.border_title).endswith(", by title)")
        await app.workers.wait_for_complete()
    state = sample_library.ui_state()
    assert state["theme"] == "nord" and any(v == "title" for v in state.values())
    again = ReaderApp(sample_library, offline=True)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, again, "Terminal Notes")
        await again.workers.wait_for_complete()
        titles = [a.title for a in again.article_list.articles]
        assert titles == sorted(titles, key=str.casefold)  # remembered for this feed
        again.open_view(View("all"))
        await pilot.pause()
        await again.workers.wait_for_complete()
        dates = [a.date for a in again.article_list.articles]
        assert dates == sorted(dates, reverse=True)  # other views keep theirs
        assert again.theme == "nord"


async def test_help_lists_the_sort_key_and_the_query_language(sample_library: Library) -> None:
    from textual.widgets import Static

    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        shown = "\n".join(str(w.render()) for w in app.screen.query(Static))
        assert ("s", "Sort order (cycle)") in app.binding_rows()
        assert 'title ~ "ukraine" and feed = "AMN" and unread and age < 3d' in shown
        assert "fields: title author feed" in shown


async def test_query_counts_come_at_most_once_a_second(filtered_library: Library,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = filtered_library.query_counts
    monkeypatch.setattr(filtered_library, "query_counts", lambda: calls.append(1) or real())
    app = ReaderApp(filtered_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert len(calls) == 1  # at start
        for _ in range(10):  # a refresh storing ten feeds, one after another
            app.main_screen.load_query_counts()
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert len(calls) == 1
        await pilot.pause(1.3)
        await app.workers.wait_for_complete()
        assert len(calls) == 2  # once for the ten
