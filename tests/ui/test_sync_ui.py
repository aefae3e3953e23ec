"""The app with a server account: R refreshes and syncs, reading and starring go to the
server at the next sync, the status line says when the account last synced and why not."""

from __future__ import annotations

import asyncio

import pytest

from reader.config import Settings
from reader.locations import Paths
from reader.sync.greader import long_item_id
from reader.ui.app import ReaderApp
from tests.fakes.greader import FakeGReader
from tests.ui.conftest import make_library
from tests.ui.test_app import SIZE, open_feed, visible_text


@pytest.mark.parametrize("personality", ["freshrss", "miniflux"])
async def test_read_star_in_the_app_and_r_syncs(paths: Paths, personality: str) -> None:
    with FakeGReader(personality) as server:
        fid = server.add_feed("Server news", "News")
        ids = server.add_items(fid, 3)
        library = make_library(paths, Settings(connect_timeout=2, read_timeout=5))
        try:
            await asyncio.to_thread(library.add_account_blocking, "greader", server.url,
                                    "alice", "secret", "home")
            await asyncio.to_thread(library.sync_blocking)
            app = ReaderApp(library)
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                assert "Server news (3)" in visible_text(app.feed_list)
                await open_feed(pilot, app, "Server news")
                assert "from home, last synced" in visible_text(app.status)
                await pilot.press("l")  # read the newest
                await app.workers.wait_for_complete()
                await pilot.press("b")  # and star it
                await app.workers.wait_for_complete()
                await pilot.pause()
                newest = max(ids)
                server.mark(min(ids), read=True)  # the phone reads the oldest
                await pilot.press("escape")
                await pilot.press("R")
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.pause()
                assert "home synced" in visible_text(app.status)
                assert server.state.entries[newest].read and server.state.entries[newest].starred
                articles = {a.guid: a for a in library.articles()}
                assert articles[long_item_id(min(ids))].read
                assert "Server news (1)" in visible_text(app.feed_list)
                server.fail("subscription/list", "500")
                await pilot.press("R")
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.pause()
                assert "home: " in visible_text(app.status) and "HTTP 500" in visible_text(
                    app.status)
        finally:
            library.release()


async def test_r_brings_the_feeds_of_a_new_account(paths: Paths) -> None:
    with FakeGReader("miniflux") as server:
        server.add_items(server.add_feed("Fresh news", "News"), 2)
        library = make_library(paths, Settings(connect_timeout=2, read_timeout=5))
        try:
            await asyncio.to_thread(library.add_account_blocking, "greader", server.url,
                                    "alice", "secret", "home")
            app = ReaderApp(library)
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                assert "Fresh news" not in visible_text(app.feed_list)
                await pilot.press("R")
                await pilot.pause()
                await app.workers.wait_for_complete()
                for _ in range(20):  # the list is drawn again once the sync's worker ends
                    if "Fresh news (2)" in visible_text(app.feed_list):
                        break
                    await pilot.pause(0.05)
                assert "Fresh news (2)" in visible_text(app.feed_list)
                assert "home synced (2 new articles)" in visible_text(app.status)
                assert "feeds refreshed" not in visible_text(app.status)
        finally:
            library.release()


async def test_the_app_says_at_start_when_the_last_sync_failed(paths: Paths) -> None:
    with FakeGReader("freshrss") as server:
        server.add_items(server.add_feed("Tech"), 1)
        library = make_library(paths, Settings(connect_timeout=2, read_timeout=5))
        try:
            await asyncio.to_thread(library.add_account_blocking, "greader", server.url,
                                    "alice", "secret", "home")
            server.fail("subscription/list", "500")
            await asyncio.to_thread(library.sync_blocking)  # a cron sync that failed
            app = ReaderApp(library)
            async with app.run_test(size=SIZE) as pilot:
                await pilot.pause()
                status = visible_text(app.status)
                assert "home: the last sync failed:" in status and "HTTP 500" in status
        finally:
            library.release()
