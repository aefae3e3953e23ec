"""Full articles and offline reading in the app (Pilot), against a loopback server."""

from __future__ import annotations

import pytest

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.ui.app import ReaderApp
from tests.conftest import AMN_SENTENCE, FeedServer, Route
from tests.ui.conftest import make_library
from tests.ui.test_app import SIZE, open_feed, visible_text


@pytest.fixture
def site(amn_site: FeedServer) -> FeedServer:
    """A summary-only feed of two articles whose pages are realistic article pages."""
    return amn_site


async def summaries_without_full_text(paths: Paths, site: FeedServer) -> Library:
    """A library holding the feed, with no full text fetched automatically."""
    library = make_library(paths, Settings(full_text_feeds="none"))
    library.add_feed(site.url("/feed"))
    await library.refresh()
    return library


async def settle(app: ReaderApp, pilot) -> None:  # noqa: ANN001
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_article(app: ReaderApp, pilot, title: str) -> None:  # noqa: ANN001
    await open_feed(pilot, app, "Summaries")
    for index, article in enumerate(app.article_list.articles):
        if article.title == title:
            app.article_list.highlighted = index
            break
    else:
        raise AssertionError(f"no article {title!r}")
    await pilot.press("enter")
    await settle(app, pilot)


async def test_f_fetches_the_full_article_and_t_toggles(paths: Paths, site: FeedServer) -> None:
    library = await summaries_without_full_text(paths, site)
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_article(app, pilot, "Army advances")
        view = app.article_view
        assert "Teaser of Army advances" in view.markdown
        assert "Text: the feed's summary  (f: fetch the full article)" in visible_text(view)
        assert not site.hits_for("/article/amn")
        await pilot.press("f")
        await settle(app, pilot)
        assert len(site.hits_for("/article/amn")) == 1
        assert AMN_SENTENCE in view.markdown and "Telegram" not in view.markdown
        assert "Text: full article, fetched" in visible_text(view)
        assert "showing the full article" in visible_text(app.status)
        await pilot.press("t")
        await settle(app, pilot)
        assert "Teaser of Army advances" in view.markdown
        assert "(a fetched full text exists)  (t: the full article)" in visible_text(view)
        await pilot.press("t")
        await settle(app, pilot)
        assert AMN_SENTENCE in view.markdown
        # A page that fails keeps what is shown and says why.
        site.routes["/article/amn"] = Route(b"gone", status=404)
        await pilot.press("f")
        await settle(app, pilot)
        assert "full text failed: HTTP 404" in visible_text(app.status)
        assert AMN_SENTENCE in view.markdown
    library.release()


async def test_t_without_a_full_text_says_how_to_get_one(paths: Paths, site: FeedServer
                                                          ) -> None:
    library = await summaries_without_full_text(paths, site)
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_article(app, pilot, "A blog post")
        await pilot.press("t")
        await pilot.pause()
        assert "no full text yet: f fetches the article's page" in visible_text(app.status)
    library.release()


async def test_refresh_fetches_new_full_texts_in_the_background(paths: Paths, site: FeedServer
                                                                ) -> None:
    library = make_library(paths)
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        library.add_feed(site.url("/feed"))
        await pilot.press("R")
        await settle(app, pilot)
        assert len(site.hits_for("/article/amn")) == len(site.hits_for("/article/blog")) == 1
        assert "full text of 2 new articles fetched" in visible_text(app.status)
        await open_article(app, pilot, "Army advances")
        assert AMN_SENTENCE in app.article_view.markdown
    library.release()


async def test_the_server_going_away_mid_session(paths: Paths, site: FeedServer) -> None:
    library = make_library(paths)
    library.add_feed(site.url("/feed"))
    results = await library.refresh()
    await library.fetch_full(library.full_text_targets([i for r in results for i in r.new_ids]))
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "offline" not in visible_text(app.status)
        site.httpd.shutdown()
        site.httpd.server_close()
        await pilot.press("R")
        await settle(app, pilot)
        status = visible_text(app.status)
        assert status.startswith(" offline") or "offline " in status
        assert "no feed server answered (cannot connect" in status
        assert "!" not in visible_text(app.feed_list)  # no feed is marked as failed
        await open_article(app, pilot, "Army advances")
        assert AMN_SENTENCE in app.article_view.markdown
        assert {a.title for a in app.article_list.articles} == {"Army advances", "A blog post"}
        await pilot.press("b")  # bookmarks made offline are kept
        await settle(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        assert "full text not fetched: offline" in visible_text(app.status)
        assert AMN_SENTENCE in app.article_view.markdown
    library.release()
    again = Library(paths, Settings())
    marked = [a.title for a in again.articles(bookmarked=True)]
    assert marked == ["Army advances"]
    assert (again.full_text(again.articles(bookmarked=True)[0]) or {}).get("html")


async def test_started_offline_every_cached_article_reads(paths: Paths, site: FeedServer
                                                          ) -> None:
    library = make_library(paths)
    library.add_feed(site.url("/feed"))
    results = await library.refresh()
    await library.fetch_full(library.full_text_targets([i for r in results for i in r.new_ids]))
    hits = len(site.hits)
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "offline" in visible_text(app.status)
        await open_feed(pilot, app, "Summaries")
        titles = [a.title for a in app.article_list.articles]
        assert sorted(titles) == ["A blog post", "Army advances"]
        for index in range(len(titles)):
            app.article_list.highlighted = index
            await pilot.press("enter")
            await settle(app, pilot)
            assert "Text: full article" in visible_text(app.article_view)
            await pilot.press("h")
        await pilot.press("f")
        await pilot.pause()
        assert "offline: the full article cannot be fetched now" in visible_text(app.status)
        await pilot.press("R")
        await pilot.pause()
        assert "offline: not refreshing" in visible_text(app.status)
    assert len(site.hits) == hits  # nothing touched the network
    library.release()
