"""Full articles and offline reading (issue 6), against a real HTTP server on 127.0.0.1.

A summary-only feed links to article pages on the same server; the reader fetches those
pages (on demand, after a refresh, or by sync-offline), keeps their main text, and shows it
instead of the summary. Bad pages keep the summary and say why; offline, nothing is fetched
and everything cached still reads.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from reader.cli import main
from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.models import FullTextResult
from tests.conftest import AMN_SENTENCE, HTML, FeedServer, Route, page, summary_feed


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def article_ids(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """title -> id of every article."""
    code, out, _ = run(capsys, "articles", "--json")
    return {a["title"]: a["id"] for a in json.loads(out)}


def test_refresh_fetches_full_text_of_new_summary_only_articles(
        paths: Paths, amn_site: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "add", amn_site.url("/feed"))[0] == 0
    code, out, err = run(capsys, "refresh")
    assert code == 0, err
    assert "full text: 2 fetched, 0 failed" in out
    assert len(amn_site.hits_for("/article/amn")) == 1
    ids = article_ids(capsys)
    code, out, _ = run(capsys, "show", ids["Army advances"])
    assert "Text: full article, fetched" in out and amn_site.url("/article/amn") in out
    assert AMN_SENTENCE in out
    for clutter in ("Telegram", "[revad2]", "LEAVE A REPLY", "POPULAR POSTS", "Breaking News",
                    "Iraqi forces close in", "Tag Cloud", "All rights reserved"):
        assert clutter not in out, clutter
    assert "Teaser of Army advances" not in out
    code, out, _ = run(capsys, "show", "--feed-text", ids["Army advances"])
    assert "Teaser of Army advances" in out and "(a fetched full text exists)" in out
    # A second refresh finds nothing new: no page is fetched again.
    code, out, err = run(capsys, "refresh")
    assert code == 0 and "full text" not in out
    assert len(amn_site.hits_for("/article/amn")) == 1


def test_full_content_feeds_are_not_fetched_unless_the_feed_asks(
        paths: Paths, server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/feed"] = Route(summary_feed(server, [("amn", "Army advances")],
                                                content=True))
    server.routes["/article/amn"] = Route(page("amn_wordpress.html"), headers=HTML)
    run(capsys, "add", server.url("/feed"))
    code, out, _ = run(capsys, "refresh")
    assert code == 0 and not server.hits_for("/article/amn") and "full text" not in out
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(f'[feeds."{server.url("/feed")}"]\nfull_text = true\n')
    code, out, err = run(capsys, "refresh", "--full-text")
    assert code == 0, err
    assert "full text: 1 fetched" in out and len(server.hits_for("/article/amn")) == 1


def test_fetch_full_on_demand_and_bad_pages_keep_the_summary(
        paths: Paths, server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    bad = {
        "missing": (Route(b"gone", status=404), "HTTP 404"),
        "pdf": (Route(b"%PDF-1.7\n" + b"x" * 5000, headers={"Content-Type": "application/pdf"}),
                "not an HTML page"),
        "image": (Route(b"\x89PNG\r\n\x1a\n" + b"\0" * 2000,
                        headers={"Content-Type": "image/png"}), "not an HTML page"),
        "script": (Route(b"<html><head><script>" + b"var a=1;" * 700_000
                         + b"</script></head><body></body></html>", headers=HTML), ""),
        "login": (Route(page("login_wall.html"), headers=HTML), "no article text"),
        "consent": (Route(status=302, location="/consent"), "no article text"),
    }
    server.routes["/consent"] = Route(page("cookie_consent.html"), headers=HTML)
    for slug, (route, _reason) in bad.items():
        server.routes[f"/article/{slug}"] = route
    server.routes["/feed"] = Route(summary_feed(server, [(s, f"Item {s}") for s in bad]))
    run(capsys, "add", server.url("/feed"))
    code, out, err = run(capsys, "refresh", "--no-full-text")
    assert code == 0 and "full text" not in out and not server.hits_for("/article/pdf")
    ids = article_ids(capsys)
    for slug, (_route, reason) in bad.items():
        code, out, err = run(capsys, "fetch-full", ids[f"Item {slug}"])
        assert code == 1, (slug, out)
        assert "Traceback" not in err and f"Item {slug}" in err and reason in err, (slug, err)
        code, out, _ = run(capsys, "show", ids[f"Item {slug}"])
        assert f"Teaser of Item {slug}" in out, slug
        assert "Text: the feed's summary; full text failed: " in out, slug


def test_a_failed_refetch_keeps_the_full_text_already_fetched(
        paths: Paths, amn_site: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "add", amn_site.url("/feed"))
    run(capsys, "refresh")
    ids = article_ids(capsys)
    amn_site.routes["/article/amn"] = Route(b"oops", status=500)
    code, _, err = run(capsys, "fetch-full", ids["Army advances"])
    assert code == 1 and "HTTP 500" in err
    code, out, _ = run(capsys, "show", ids["Army advances"])
    assert AMN_SENTENCE in out and "full text failed: HTTP 500" in out


def test_links_that_are_not_web_pages_are_never_fetched(
        paths: Paths, server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    secret = paths.data_dir.parent / "secret.html"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("<html><body><article><p>" + "top secret words " * 100
                      + "</p></article></body></html>")
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            f"<item><guid>1</guid><title>Local</title><link>file://{secret}</link>"
            "<description>teaser</description></item>"
            "<item><guid>2</guid><title>Script</title><link>javascript:alert(1)</link>"
            "<description>teaser</description></item></channel></rss>")
    server.routes["/feed"] = Route(feed.encode())
    run(capsys, "add", server.url("/feed"))
    code, out, err = run(capsys, "refresh", "--full-text")
    assert code == 0 and "full text" not in out  # neither is a candidate
    ids = article_ids(capsys)
    code, out, err = run(capsys, "fetch-full", ids["Local"], ids["Script"])
    assert code == 1 and err.count("its link is not a web page") == 2
    code, out, _ = run(capsys, "show", ids["Local"])
    assert "top secret" not in out


def test_offline_flag_and_setting_fetch_nothing(
        paths: Paths, amn_site: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "add", amn_site.url("/feed"))
    code, out, err = run(capsys, "--offline", "refresh")
    assert code == 0 and "offline: 1 network feed not refreshed" in err
    assert not amn_site.hits
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("[refresh]\noffline = true\n")
    code, out, err = run(capsys, "sync-offline")
    assert code == 0 and "offline" in err and not amn_site.hits
    code, out, err = run(capsys, "fetch-full", "abcd")
    assert code == 2 and "offline" in err and not amn_site.hits


def test_no_network_reads_as_offline_and_changes_nothing(
        paths: Paths, amn_site: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "add", amn_site.url("/feed"))
    run(capsys, "refresh")
    before = {p: p.read_bytes() for p in paths.data_dir.rglob("*.json")}
    code, out, _ = run(capsys, "feeds", "--json")
    feeds_before = json.loads(out)
    amn_site.httpd.shutdown()
    amn_site.httpd.server_close()  # the server goes away: connections are refused
    code, out, err = run(capsys, "refresh")
    assert code == 3  # offline has its own exit code: nothing failed, nothing changed
    assert "offline: no feed server could be reached (cannot connect" in err
    assert "1 offline" in out and "error:" not in err
    code, out, _ = run(capsys, "feeds", "--json")
    feeds_after = json.loads(out)
    assert feeds_after[0]["last_error"] is None
    assert feeds_after[0]["total"] == feeds_before[0]["total"] == 2
    assert {p: p.read_bytes() for p in paths.data_dir.rglob("*.json")} == before
    ids = article_ids(capsys)
    code, out, _ = run(capsys, "show", ids["Army advances"])
    assert code == 0 and AMN_SENTENCE in out  # the full text reads offline


def test_sync_offline_fetches_what_offline_reading_needs(
        paths: Paths, server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/feed"] = Route(summary_feed(server, [("amn", "Army advances")]))
    server.routes["/full"] = Route(summary_feed(server, [("blog", "A blog post")],
                                                content=True))
    server.routes["/article/amn"] = Route(page("amn_wordpress.html"), headers=HTML)
    server.routes["/article/blog"] = Route(page("blog_ghost.html"), headers=HTML)
    run(capsys, "add", server.url("/feed"))
    run(capsys, "add", server.url("/full"))
    run(capsys, "refresh", "--no-full-text")
    code, out, err = run(capsys, "sync-offline")
    assert code == 0, err
    assert "full text: 1 fetched, 0 failed" in out  # the full-content feed needs no page
    assert not server.hits_for("/article/blog")
    code, out, _ = run(capsys, "sync-offline")
    assert "full text" not in out and len(server.hits_for("/article/amn")) == 1


def test_bookmarked_full_text_outlives_the_feed_and_cleanup(
        paths: Paths, amn_site: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "add", amn_site.url("/feed"))
    run(capsys, "refresh")
    ids = article_ids(capsys)
    assert run(capsys, "bookmark", ids["Army advances"])[0] == 0
    code, out, _ = run(capsys, "cache-info", "--json")
    info = json.loads(out)
    assert info["feeds"][0]["full_texts"] == 2 and info["feeds"][0]["bytes"] > 0
    assert run(capsys, "remove", amn_site.url("/feed"))[0] == 0
    assert not (paths.cache_dir / "full").exists() or not any((paths.cache_dir / "full").iterdir())
    code, out, _ = run(capsys, "show", ids["Army advances"])
    assert code == 0 and AMN_SENTENCE in out and "Text: full article" in out
    code, out, err = run(capsys, "cleanup")
    assert code == 0, err
    code, out, _ = run(capsys, "show", ids["Army advances"])
    assert AMN_SENTENCE in out


def test_cleanup_applies_limits_and_removes_strays_but_never_kept_articles(
        paths: Paths, server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    items = [(f"s{i}", f"Story {i}") for i in range(6)]
    server.routes["/feed"] = Route(summary_feed(server, items))
    for slug, _ in items:
        server.routes[f"/article/{slug}"] = Route(page("blog_ghost.html"), headers=HTML)
    run(capsys, "add", server.url("/feed"))
    run(capsys, "refresh")
    ids = article_ids(capsys)
    run(capsys, "bookmark", ids["Story 0"])
    run(capsys, "note", "add", ids["Story 1"], "--text", "mine")
    server.routes["/feed"] = Route(summary_feed(server, items[5:]))  # five leave the feed
    run(capsys, "refresh")
    stray = paths.cache_dir / "feeds" / "0123456789ab.json"
    stray.write_text("{}")
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("[cache]\nmax_articles_per_feed = 3\n")
    code, out, err = run(capsys, "cleanup")
    assert code == 0, err
    assert "removed 3 articles past the cache limits and 1 stray files" in out
    assert not stray.exists()
    left = article_ids(capsys)
    assert set(left) == {"Story 0", "Story 1", "Story 5"}
    full = paths.cache_dir / "full"
    assert sum(1 for _ in full.rglob("*.json")) == 3
    code, out, _ = run(capsys, "notes")
    assert "mine" in out


def test_library_fetch_full_reports_progress(paths: Paths, amn_site: FeedServer) -> None:
    lib = Library(paths, Settings())
    lib.acquire()
    try:
        lib.add_feed(amn_site.url("/feed"))
        lib.refresh_blocking()
        targets = lib.full_text_targets()
        assert sorted(a.title for a in targets) == ["A blog post", "Army advances"]
        seen: list[tuple[int, int]] = []
        results = lib.fetch_full_blocking(targets, lambda d, t, r: seen.append((d, t)))
        assert [r.status for r in results] == ["ok", "ok"] and seen == [(1, 2), (2, 2)]
        assert lib.full_text_targets() == []
        text = lib.text(targets[0])
        assert text.source == "full" and text.full_available
        assert lib.text(targets[0], prefer="feed").source == "summary"
    finally:
        lib.release()


def test_dns_failures_and_timeouts_everywhere_read_as_offline(paths: Paths) -> None:
    import httpx

    def no_network(request: httpx.Request) -> httpx.Response:
        if request.url.host.endswith(".slow"):
            raise httpx.ConnectTimeout("timed out", request=request)
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    lib = Library(paths, Settings(), transport=httpx.MockTransport(no_network))
    lib.acquire()
    try:
        for i in range(12):
            lib.add_feed(f"https://site{i}.{'slow' if i % 2 else 'example'}/feed")
        results = lib.refresh_blocking()
        assert {r.status for r in results} == {"offline"} and len(results) == 12
        assert lib.network_down
        assert all(f.last_error == "" and not f.last_checked for f in lib.feeds())
    finally:
        lib.release()


def test_one_feed_answering_means_the_others_really_failed(paths: Paths, server: FeedServer
                                                           ) -> None:
    server.routes["/ok"] = Route(summary_feed(server, [("a", "A")], content=True))
    lib = Library(paths, Settings(connect_timeout=2))
    lib.acquire()
    try:
        lib.add_feed(server.url("/ok"))
        lib.add_feed("http://127.0.0.1:9/feed")  # the discard port: connection refused
        results = {r.url: r for r in lib.refresh_blocking()}
        assert results[server.url("/ok")].status == "new"
        refused = results["http://127.0.0.1:9/feed"]
        assert refused.status == "error" and "cannot connect" in refused.error
        assert not lib.network_down
        assert "cannot connect" in lib.find_feed("http://127.0.0.1:9/feed").last_error
    finally:
        lib.release()


def test_automatic_fetching_is_capped_per_feed_newest_first(
        paths: Paths, server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    items = [(f"s{i}", f"Story {i}") for i in range(6)]
    body = summary_feed(server, items).decode()
    for i in range(6):  # Story 5 is the newest
        body = body.replace(f"<guid>s{i}</guid>",
                            f"<guid>s{i}</guid><pubDate>Mon, 0{i + 1} Jan 2024 10:00:00 +0000"
                            "</pubDate>")
    server.routes["/feed"] = Route(body.encode())
    for slug, _ in items:
        server.routes[f"/article/{slug}"] = Route(page("blog_ghost.html"), headers=HTML)
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("[full_text]\nmax_per_feed = 2\n")
    run(capsys, "add", server.url("/feed"))
    code, out, _ = run(capsys, "refresh")
    assert code == 0 and "full text: 2 fetched" in out
    fetched = sorted(h.path for h in server.hits if h.path.startswith("/article/"))
    assert fetched == ["/article/s4", "/article/s5"]
    code, out, _ = run(capsys, "sync-offline")  # the next run takes the next two
    assert "full text: 2 fetched" in out


def fetch_from_a_public_feed(paths: Paths, handler: Any) -> FullTextResult:
    """Subscribe to https://public.example/feed served by `handler` (a MockTransport
    function), refresh, and fetch the full text of its one article."""
    import httpx

    lib = Library(paths, Settings(), transport=httpx.MockTransport(handler))
    lib.acquire()
    try:
        lib.add_feed("https://public.example/feed")
        [result] = lib.refresh_blocking()
        [article] = lib.full_text_targets(result.new_ids)
        [full] = lib.fetch_full_blocking([article])
        return full
    finally:
        lib.release()


@pytest.mark.parametrize("how", ["link", "redirect"])
def test_a_feed_from_the_internet_cannot_make_the_reader_fetch_local_addresses(
        paths: Paths, server: FeedServer, how: str) -> None:
    """Neither by linking an article to a local address nor by a page redirecting there."""
    import httpx

    server.routes["/admin"] = Route(page("blog_ghost.html"), headers=HTML)
    link = server.url("/admin") if how == "link" else "https://public.example/story"
    feed = summary_feed(server, [("x", "Sneaky")]).replace(
        server.url("/article/x").encode(), link.encode())

    def public(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/feed":
            return httpx.Response(200, stream=httpx.ByteStream(feed),
                                  headers={"Content-Type": "application/rss+xml"})
        return httpx.Response(302, headers={"Location": server.url("/admin")})

    full = fetch_from_a_public_feed(paths, public)
    assert full.status == "error"
    assert (("its link points into this computer or the local network" in full.error)
            if how == "link" else
            ("redirected into this computer or the local network" in full.error))
    assert not server.hits_for("/admin")


def test_a_public_name_that_resolves_to_a_local_address_is_not_fetched(
        paths: Paths, server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS can point any name at the local network: the address is checked, not the name."""
    import socket

    import httpx

    feed = summary_feed(server, [("x", "Intranet")]).replace(
        server.url("/article/x").encode(), b"https://intranet.example/secret")
    asked: list[str] = []

    def transport(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, stream=httpx.ByteStream(feed),
                              headers={"Content-Type": "application/rss+xml"})

    real = socket.getaddrinfo

    def resolve(host: object, *args: object, **kwargs: object) -> object:
        if host == "intranet.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))]
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    full = fetch_from_a_public_feed(paths, transport)
    assert full.status == "error"
    assert "intranet.example is an address on this computer or the local network" in full.error
    assert asked == ["https://public.example/feed"]
