"""Refresh schedules in the app: it refreshes due feeds by itself, `r` fetches regardless,
and a feed's next refresh shows in the status line."""

from __future__ import annotations

from reader.config import Settings
from reader.locations import Paths
from reader.models import View
from reader.ui.app import ReaderApp
from tests.conftest import FeedServer, Route, rss
from tests.ui.conftest import make_library, wait_until
from tests.ui.test_app import SIZE, visible_text


async def test_the_app_refreshes_due_feeds_by_itself(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("Auto", [("1", "first")]))
    server.routes["/manual"] = Route(rss("Manual", [("m", "by hand")]))
    library = make_library(paths, Settings(
        refresh_interval_minutes=1 / 60,  # every second
        feeds={server.url("/manual"): {"interval": 0.0}}))  # this one only on demand
    library.add_feed(server.url("/a"))
    library.add_feed(server.url("/manual"))
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(server.hits_for("/a")) >= 1)
        await wait_until(pilot, lambda: "first" in [a.title for a in app.article_list.articles])
        server.routes["/a"] = Route(rss("Auto", [("1", "first"), ("2", "second")]))
        await wait_until(pilot, lambda: "second" in [a.title for a in app.article_list.articles])
        assert len(server.hits_for("/a")) >= 2  # no key was pressed
        assert server.hits_for("/manual") == []  # interval "off": left to the user
    library.release()


async def test_r_fetches_a_feed_that_is_not_due(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("Polite", [("1", "first")]),
                                headers={"Cache-Control": "max-age=7200"})
    library = make_library(paths, Settings(refresh_interval_minutes=60))
    feed = library.add_feed(server.url("/a"))
    await library.refresh()
    assert library.due_feeds() == []
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert len(server.hits_for("/a")) == 1  # not due: the app left it alone
        app.focus_pane(app.feed_list)
        app.feed_list.select_view(View("feed", feed.key))
        await pilot.pause()
        status = visible_text(app.status)
        assert "Polite: next refresh" in status
        assert "every 1h; the server asks for 2h" in status
        await pilot.press("r")
        await wait_until(pilot, lambda: len(server.hits_for("/a")) == 2)
        await app.workers.wait_for_complete()
    library.release()
