"""The core API against a real loopback server: refresh, identity, user state, limits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reader.config import Settings
from reader.library import Library, LibraryError, article_id
from reader.locations import Paths
from tests.conftest import FeedServer, Route, rss


def open_library(paths: Paths, **settings: object) -> Library:
    library = Library(paths, Settings(**settings))
    library.acquire()
    return library


def test_refresh_stores_articles_and_status(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("Feed A", [("1", "one"), ("2", "two")]), etag='"a1"')
    lib = open_library(paths)
    feed = lib.add_feed(server.url("/a"), tags=["news"])
    [result] = lib.refresh_blocking()
    assert (result.status, result.new, result.error) == ("new", 2, "")
    assert lib.find_feed(feed.url).title == "Feed A"
    assert {a.title for a in lib.articles()} == {"one", "two"}
    assert lib.counts()[feed.key] == (2, 2)
    lib.release()
    again = Library(paths, Settings())  # a fresh process sees the same
    assert again.feeds()[0].last_success > 0 and again.feeds()[0].tags == ["news"]
    assert len(again.articles(unread=True)) == 2


def test_304_costs_no_parse_and_no_write(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("A", [("1", "one")]), etag='"a1"')
    lib = open_library(paths)
    feed = lib.add_feed(server.url("/a"))
    lib.refresh_blocking()
    cache = paths.cache_dir / "feeds" / f"{feed.key}.json"
    bodies = paths.cache_dir / "bodies" / f"{feed.key}.json"
    before = (cache.stat().st_mtime_ns, bodies.stat().st_mtime_ns)
    [result] = lib.refresh_blocking()
    assert result.status == "unchanged"
    assert server.hits_for("/a")[-1].headers["if-none-match"] == '"a1"'
    assert (cache.stat().st_mtime_ns, bodies.stat().st_mtime_ns) == before


def test_same_body_without_validators_is_not_parsed_again(paths: Paths,
                                                          server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("A", [("1", "one")]))
    lib = open_library(paths)
    lib.add_feed(server.url("/a"))
    lib.refresh_blocking()
    [result] = lib.refresh_blocking()
    assert result.status == "unchanged"


def test_updated_article_keeps_read_state_and_bookmark(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("A", [("1", "one"), ("2", "two")]))
    lib = open_library(paths)
    lib.add_feed(server.url("/a"))
    lib.refresh_blocking()
    one = next(a for a in lib.articles() if a.title == "one")
    lib.mark_read(one)
    lib.set_bookmark(one)
    server.routes["/a"] = Route(rss("A", [("1", "one, corrected"), ("2", "two"), ("3", "new")]))
    [result] = lib.refresh_blocking()
    assert (result.new, result.updated) == (1, 1)
    again = next(a for a in lib.articles() if a.id == one.id)
    assert again.title == "one, corrected" and again.read and again.bookmarked
    assert lib.bookmarks()[one.id]["article"]["title"] == "one, corrected"
    assert "one, corrected" in lib.body(again)["summary_html"]


def test_one_failing_feed_stops_nothing_and_touches_nothing(paths: Paths,
                                                            server: FeedServer) -> None:
    server.routes["/good"] = Route(rss("Good", [("1", "one")]))
    server.routes["/bad"] = Route(rss("Bad", [("1", "kept")]))
    lib = open_library(paths)
    lib.add_feed(server.url("/good"))
    bad = lib.add_feed(server.url("/bad"))
    lib.refresh_blocking()
    server.routes["/bad"] = Route(b"<html>oops</html>", status=500)
    server.routes["/good"] = Route(rss("Good", [("1", "one"), ("2", "two")]))
    results = {r.url: r for r in lib.refresh_blocking()}
    assert results[server.url("/bad")].error == "HTTP 500 Internal Server Error"
    assert results[server.url("/good")].new == 1
    assert [a.title for a in lib.articles(bad.url)] == ["kept"]
    assert lib.find_feed(bad.url).last_error == "HTTP 500 Internal Server Error"
    server.routes["/bad"] = Route(b"this is not a feed at all")
    results = {r.url: r for r in lib.refresh_blocking()}
    assert "not a feed" in results[server.url("/bad")].error
    assert [a.title for a in lib.articles(bad.url)] == ["kept"]


def test_permanent_redirect_updates_the_url_and_keeps_state(paths: Paths,
                                                            server: FeedServer) -> None:
    server.routes["/old"] = Route(rss("A", [("1", "one")]))
    lib = open_library(paths)
    feed = lib.add_feed(server.url("/old"))
    lib.refresh_blocking()
    [article] = lib.articles()
    lib.mark_read(article)
    server.routes["/old"] = Route(status=301, location=server.url("/new"))
    server.routes["/new"] = Route(rss("A", [("1", "one")]))
    [result] = lib.refresh_blocking()
    assert result.new_url == server.url("/new")
    lib.release()
    again = Library(paths, Settings())
    assert again.find_feed(feed.key).url == server.url("/new")
    assert again.articles()[0].id == article.id and again.articles()[0].read


def test_cache_limits_keep_bookmarks_and_current_items(paths: Paths, server: FeedServer) -> None:
    lib = open_library(paths, max_articles_per_feed=3)
    server.routes["/a"] = Route(rss("A", [(str(i), f"t{i}") for i in range(5)]))
    feed = lib.add_feed(server.url("/a"))
    lib.refresh_blocking()
    assert len(lib.articles()) == 5  # all still in the feed: never dropped
    keep = next(a for a in lib.articles() if a.title == "t0")
    lib.set_bookmark(keep)
    lib.mark_read(next(a for a in lib.articles() if a.title == "t1"))
    server.routes["/a"] = Route(rss("A", [("9", "t9")]))
    lib.refresh_blocking()
    titles = {a.title for a in lib.articles()}
    assert "t9" in titles and "t0" in titles and len(titles) == 3
    assert lib.store.read_ids(feed.key) <= {a.id for a in lib.articles()}


def test_remove_feed_keeps_bookmarked_articles(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("A", [("1", "one"), ("2", "two")]))
    lib = open_library(paths)
    feed = lib.add_feed(server.url("/a"))
    lib.refresh_blocking()
    one = next(a for a in lib.articles() if a.title == "one")
    lib.set_bookmark(one)
    lib.remove_feed(feed.url)
    assert not (paths.cache_dir / "feeds" / f"{feed.key}.json").exists()
    kept = lib.articles(bookmarked=True)
    assert [a.title for a in kept] == ["one"]
    assert "Body of one" in lib.body(kept[0])["summary_html"]
    lib.release()
    assert [a.id for a in Library(paths, Settings()).articles()] == [one.id]


def test_add_rejects_duplicates_and_bad_schemes(paths: Paths, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "relative").mkdir()
    (tmp_path / "relative" / "feed.xml").write_text("<rss/>")
    lib = open_library(paths)
    lib.add_feed("https://x.example/rss")
    with pytest.raises(LibraryError, match="already subscribed"):
        lib.add_feed("https://x.example/rss")
    with pytest.raises(LibraryError, match="unsupported URL scheme"):
        lib.add_feed("javascript:alert(1)")
    assert lib.add_feed("feed://y.example/rss").url == "https://y.example/rss"
    assert lib.add_feed("relative/feed.xml").url == str(Path("relative/feed.xml").resolve())
    with pytest.raises(LibraryError, match="no such file"):  # a file must exist
        lib.add_feed("relative/missing.xml")


def test_edit_feed_and_tags_without_commas(paths: Paths) -> None:
    lib = open_library(paths)
    lib.add_feed("https://x.example/rss", tags=["a,b", "a b", "  "])
    feed = lib.edit_feed("https://x.example/rss", title="Mine", tags=["z"])
    assert (feed.title, feed.tags) == ("Mine", ["z"])
    assert lib.add_feed("https://w.example/rss", tags=["a,b"]).tags == ["a b"]


def test_import_then_export_round_trip(paths: Paths, tmp_path: Path) -> None:
    lib = open_library(paths)
    report = lib.import_subscriptions(
        b'https://a.example/rss tech "~A Title"\nhttps://b.example/rss\n', "urls")
    assert [f.url for f in report.added] == ["https://a.example/rss", "https://b.example/rss"]
    exported = lib.export_opml()
    other = Paths(tmp_path / "c2", tmp_path / "d2", tmp_path / "x2")
    lib2 = open_library(other)
    lib2.import_subscriptions(exported.encode(), "subs.opml")
    assert [(f.url, f.custom_title, f.tags) for f in lib2.feeds()] == [
        (f.url, f.custom_title, f.tags) for f in lib.feeds()]
    again = lib.import_subscriptions(exported.encode(), "subs.opml")
    assert not again.added and len(lib.feeds()) == 2  # importing twice adds nothing


def test_first_run_subscribes_to_the_samples_once(paths: Paths) -> None:
    lib = open_library(paths)
    assert lib.seed_if_new()
    assert all(f.tags == ["samples"] for f in lib.feeds()) and len(lib.feeds()) == 4
    results = lib.refresh_blocking()
    assert all(r.status == "new" for r in results), results
    assert len(lib.articles()) >= 20
    for feed in lib.feeds():
        lib.remove_feed(feed.key)
    assert not lib.seed_if_new()  # removing them all does not bring them back


def test_article_lookup_by_prefix(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("A", [("1", "one")]))
    lib = open_library(paths)
    feed = lib.add_feed(server.url("/a"))
    lib.refresh_blocking()
    aid = article_id(feed.key, "1")
    assert lib.article(aid[:6]).id == aid
    with pytest.raises(LibraryError, match="at least 4"):
        lib.article("ab")
    with pytest.raises(LibraryError, match="no such article"):
        lib.article("zzzzzz")


def test_search_covers_titles_and_text(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("A", [("1", "Alpha"), ("2", "Beta")]))
    lib = open_library(paths)
    lib.add_feed(server.url("/a"))
    lib.refresh_blocking()
    assert [a.title for a in lib.articles(search="alpha")] == ["Alpha"]
    assert [a.title for a in lib.articles(search="body of beta")] == ["Beta"]
    assert lib.articles(search="p>") == []  # markup is not text


def test_mark_feed_read_and_unread_filter(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("A", [("1", "one"), ("2", "two")]))
    lib = open_library(paths)
    feed = lib.add_feed(server.url("/a"))
    lib.refresh_blocking()
    assert lib.mark_feed_read(feed.url) == 2
    assert lib.articles(unread=True) == [] and lib.counts()[feed.key] == (0, 2)
    lib.set_read([a.id for a in lib.articles()], read=False)
    assert len(lib.articles(unread=True)) == 2


def test_writes_need_the_lock(paths: Paths) -> None:
    lib = Library(paths, Settings())
    with pytest.raises(LibraryError, match="lock"):
        lib.add_feed("https://x.example/rss")


def test_corrupt_cache_file_is_set_aside_and_refetched(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("A", [("1", "one")]), etag='"e"')
    lib = open_library(paths)
    feed = lib.add_feed(server.url("/a"))
    lib.refresh_blocking()
    lib.release()
    cache = paths.cache_dir / "feeds" / f"{feed.key}.json"
    cache.write_bytes(b'{"meta": {"1": {"etag": "')
    lib = open_library(paths)
    [result] = lib.refresh_blocking()
    assert result.status == "new"  # the validators were lost with the file: fetched again
    assert any("was corrupt" in p and str(cache) in p for p in lib.problems)
    aside = [p for p in cache.parent.iterdir() if ".corrupt-" in p.name]
    assert aside and aside[0].read_bytes() == b'{"meta": {"1": {"etag": "'


def test_corrupt_subscriptions_are_reported_not_replaced(paths: Paths) -> None:
    lib = open_library(paths)
    lib.add_feed("https://x.example/rss")
    lib.release()
    subs = paths.data_dir / "subscriptions.json"
    subs.write_bytes(b"\x00garbage")
    lib = Library(paths, Settings())
    assert lib.feeds() == [] and any(str(subs) in p for p in lib.problems)
    saved = [p for p in subs.parent.iterdir() if p.name.startswith("subscriptions.json.corrupt")]
    assert saved[0].read_bytes() == b"\x00garbage"
    assert os.path.exists(saved[0])


@pytest.mark.parametrize("failure", ["pool does not start", "workers die"])
def test_parse_workers_that_fail_never_fail_a_feed(paths: Paths, server: FeedServer,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   failure: str) -> None:
    """Worker processes are a speed-up: when they cannot start or die mid-refresh, the feeds
    are parsed in threads instead, and none is recorded as failed."""
    import signal

    import reader.core.parsepool as parsepool_module

    real_start = parsepool_module.start_process_pool
    started: list[object] = []
    seen_processes: list = []
    real_stop = parsepool_module._stop_pool

    def stop(pool):  # noqa: ANN001, ANN202 - remember every worker the pool had
        seen_processes.extend(pool._processes.values())
        real_stop(pool)

    monkeypatch.setattr(parsepool_module, "_stop_pool", stop)

    def failing_start():  # noqa: ANN202
        if failure == "pool does not start":
            raise ValueError("bad value(s) in fds_to_keep")
        pool = real_start()
        started.append(pool)
        for process in list(pool._processes.values()):  # killed, as by the OOM killer
            os.kill(process.pid, signal.SIGKILL)
            process.join(5)
        import time

        deadline = time.monotonic() + 10  # until the pool has noticed (a race under load)
        while not pool._broken and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool._broken
        return pool

    monkeypatch.setattr(parsepool_module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(parsepool_module, "PROCESS_POOL_AFTER_S", 0.0)  # workers at once
    monkeypatch.setattr(parsepool_module, "start_process_pool", failing_start)
    lib = open_library(paths)
    for n in range(10):
        server.routes[f"/f{n}"] = Route(rss(f"Feed {n}", [(f"{n}a", f"Story {n}")]))
        lib.add_feed(server.url(f"/f{n}"))
    results = lib.refresh_blocking()
    assert [r.status for r in results] == ["new"] * 10, [r.error for r in results]
    assert len(lib.articles()) == 10
    assert bool(started) == (failure == "workers die")
    if started:  # no worker is left waiting for work (Python then hung at exit, joining it)
        import time

        processes = [p for pool in started for p in seen_processes]
        deadline = time.monotonic() + 10
        while any(p.is_alive() for p in processes) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes and not any(p.is_alive() for p in processes)
