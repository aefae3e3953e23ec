"""What a refresh costs per feed (issue 19): a 304 leaves its connection reusable, the cache's
folders are fsynced once per refresh (each file still is), and the feeds between fetch and
write are bounded."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import reader.storage.store as store_module
from reader.config import Settings
from reader.core.refresh import Refresher
from reader.library import Library
from reader.locations import Paths
from reader.models import ParsedEntry
from tests.conftest import FeedServer, Route, rss
from tests.fakeparser import FakeParser


def test_a_warm_refresh_reuses_one_connection(paths: Paths, server: FeedServer) -> None:
    for n in range(6):
        server.routes[f"/f{n}"] = Route(rss(f"F{n}", [(str(n), f"item {n}")]), etag=f'"e{n}"')
    lib = Library(paths, Settings(concurrency=1))
    lib.acquire()
    for n in range(6):
        lib.add_feed(server.url(f"/f{n}"))
    lib.refresh_blocking()
    server.hits.clear()
    results = lib.refresh_blocking()
    lib.release()
    assert {r.status for r in results} == {"unchanged"}
    assert len(server.hits) == 6
    assert len({hit.client_port for hit in server.hits}) == 1  # 304s read: one connection


def test_an_error_answer_leaves_its_connection_reusable_too(paths: Paths,
                                                            server: FeedServer) -> None:
    for n in range(4):
        server.routes[f"/gone{n}"] = Route(b"<html>not here</html>", status=404)
    lib = Library(paths, Settings(concurrency=1))
    lib.acquire()
    for n in range(4):
        lib.add_feed(server.url(f"/gone{n}"))
    results = lib.refresh_blocking()
    lib.release()
    assert {r.status for r in results} == {"error"}
    assert len({hit.client_port for hit in server.hits}) == 1


def test_cache_folders_are_fsynced_once_per_refresh_and_user_data_each_time(
        paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[Path] = []
    files: list[int] = []
    real_dir, real_fsync = store_module._fsync_dir, store_module.os.fsync
    monkeypatch.setattr(store_module, "_fsync_dir", lambda f: (synced.append(f), real_dir(f)))
    monkeypatch.setattr(store_module.os, "fsync", lambda fd: (files.append(fd), real_fsync(fd)))
    fake = FakeParser()
    lib = Library(paths, Settings(), parser=fake)
    lib.acquire()
    for n in range(5):
        lib.add_feed(fake.feed(tmp_path, f"f{n}", f"F{n}", [
            ParsedEntry(guid=f"g{n}", title=f"t{n}", link=f"https://x.test/{n}",
                        content_html="<p>x</p>")]))
    synced.clear()
    files.clear()
    lib.refresh_blocking()
    feeds, bodies = paths.cache_dir / "feeds", paths.cache_dir / "bodies"
    assert synced.count(feeds) == 1 and synced.count(bodies) == 1
    assert len(files) >= 10  # every cache file itself is still fsynced before its rename
    synced.clear()
    article = lib.articles()[0]
    lib.mark_read(article)  # user data, after the refresh: its folder is fsynced at once
    lib.set_bookmark(article)
    assert paths.data_dir / "read" in synced and paths.data_dir in synced
    lib.release()


def test_feeds_between_fetch_and_write_are_bounded(
        paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inside, most = [0], [0]
    original = Refresher._refresh_one

    async def counted(self, *args):  # noqa: ANN001, ANN002, ANN202
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        try:
            await asyncio.sleep(0.01)
            return await original(self, *args)
        finally:
            inside[0] -= 1

    monkeypatch.setattr(Refresher, "_refresh_one", counted)
    fake = FakeParser()
    lib = Library(paths, Settings(concurrency=3), parser=fake)
    lib.acquire()
    for n in range(12):
        lib.add_feed(fake.feed(tmp_path, f"f{n}", f"F{n}", [
            ParsedEntry(guid=f"g{n}", title=f"t{n}", link=f"https://x.test/{n}")]))
    results = lib.refresh_blocking()
    lib.release()
    assert [r.status for r in results] == ["new"] * 12
    assert most[0] == 3
