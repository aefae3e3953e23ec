"""The command line as a script would use it: output, --json shapes, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reader.cli import main
from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from tests.conftest import FeedServer, Route, rss


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_first_run_shows_the_samples_offline(paths: Paths,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--offline", "feeds", "--json")
    assert code == 0, err
    feeds = json.loads(out)
    assert {f["title"] for f in feeds} >= {"AMN Al-Masdar News"}
    assert all(f["total"] > 0 and f["last_error"] is None for f in feeds)
    code, out, _ = run(capsys, "articles", "--json")
    titles = [a["title"] for a in json.loads(out)]
    assert any(t.startswith("Mattis: Russia Must") for t in titles)


def test_add_refresh_articles_show(paths: Paths, server: FeedServer,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/a"] = Route(rss("Feed A", [("1", "one"), ("2", "two")]))
    assert run(capsys, "add", server.url("/a"), "--title", "Mine", "--tag", "x")[0] == 0
    code, out, err = run(capsys, "refresh", "--json")
    data = json.loads(out)
    assert code == 0 and data["new"] == 2 and data["failed"] == 0
    assert data["feeds"][0]["title"] == "Mine" and data["feeds"][0]["status"] == "new"
    code, out, _ = run(capsys, "articles", "--json", "--feed", "Mine")
    articles = json.loads(out)
    assert sorted(a["title"] for a in articles) == ["one", "two"]
    assert set(articles[0]) == {"id", "feed_key", "feed_title", "guid", "title", "link", "author",
                                "published", "updated", "read", "bookmarked", "summary_only"}
    first = articles[0]["id"]
    code, out, _ = run(capsys, "show", first[:8])
    assert code == 0 and out.startswith(f"# {articles[0]['title']}")
    assert f"Body of {articles[0]['title']}" in out
    assert run(capsys, "read", first)[0] == 0
    code, out, _ = run(capsys, "articles", "--unread")
    assert first not in out and len(out.strip().splitlines()) == 1
    assert run(capsys, "bookmark", first)[0] == 0
    code, out, _ = run(capsys, "articles", "--bookmarked", "--json")
    assert [a["id"] for a in json.loads(out)] == [first]
    code, out, _ = run(capsys, "feeds")
    assert "1/2" in out and "Mine [x]" in out


def test_failed_feed_gives_exit_1_and_names_it(paths: Paths, server: FeedServer,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/ok"] = Route(rss("Fine", [("1", "one")]))
    run(capsys, "add", server.url("/ok"))
    run(capsys, "add", server.url("/missing"), "--title", "Gone")
    code, out, err = run(capsys, "refresh")
    assert code == 1
    assert f"error: Gone ({server.url('/missing')}): HTTP 404 Not Found" in err
    assert "2 feeds refreshed: 1 new articles" in out and "1 failed" in out
    assert "Traceback" not in err
    code, out, _ = run(capsys, "feeds")
    assert "ERROR: HTTP 404 Not Found" in out


def test_usage_and_config_errors_exit_2(paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "remove", "https://nope.example/")
    assert code == 2 and err.startswith("error: https://nope.example/: no such feed")
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text("[refresh]\nconcurrency = \n")
    code, _, err = run(capsys, "feeds")
    assert code == 2 and err.startswith(f"config error: {paths.config_file}: ")
    assert "line 2" in err
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_import_export(paths: Paths, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    urls = tmp_path / "urls"
    urls.write_text('https://a.example/rss tech "~A"\nquery:x:y\n')
    code, out, err = run(capsys, "import", str(urls))
    assert code == 0 and "1 feeds added" in out and "not supported" in err
    code, out, _ = run(capsys, "export")
    assert 'xmlUrl="https://a.example/rss"' in out and 'category="tech"' in out
    target = tmp_path / "out.opml"
    assert run(capsys, "export", str(target))[0] == 0
    assert target.read_text() .startswith("<?xml")
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline")
    code, _, err = run(capsys, "import", str(bad))
    assert code == 2 and "bad.opml: line 1" in err
    code, _, err = run(capsys, "import", str(tmp_path / "missing"))
    assert code == 2 and "cannot read" in err


def test_lock_conflict_is_a_clear_error(paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    from reader.store import InstanceLock

    run(capsys, "feeds")  # first run
    holder = InstanceLock(paths.data_dir / "lock")
    holder.acquire()
    try:
        code, _, err = run(capsys, "add", "https://x.example/rss")
        assert code == 2 and "another reader is running" in err
        code, out, _ = run(capsys, "feeds")  # reading still works
        assert code == 0 and "AMN" in out
    finally:
        holder.release()


def test_offline_refresh_skips_the_network(paths: Paths, server: FeedServer,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/a"] = Route(rss("A", [("1", "one")]))
    run(capsys, "add", server.url("/a"))
    code, _, err = run(capsys, "--offline", "refresh")
    assert code == 0 and "1 network feeds not refreshed" in err
    assert server.hits == []


def test_python_dash_m_works(paths: Paths) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "reader", "--version"], capture_output=True,
                          text=True)
    assert done.returncode == 0 and done.stdout.startswith("reader ")


def test_show_lists_the_enclosures_after_the_text(paths: Paths, server: FeedServer,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    feed = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            b'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Pod</title>'
            b"<item><title>Episode 1</title><guid>ep1</guid><description>Show notes</description>"
            b'<enclosure url="https://cdn.example/ep1.mp3" type="audio/mpeg" length="12345678"/>'
            b"<itunes:duration>1:02:03</itunes:duration></item></channel></rss>")
    server.routes["/pod"] = Route(feed, headers={"Content-Type": "application/rss+xml"})
    assert run(capsys, "add", server.url("/pod"))[0] == 0
    assert run(capsys, "refresh")[0] == 0
    code, out, _ = run(capsys, "articles", "--json")
    code, out, _ = run(capsys, "show", json.loads(out)[0]["id"])
    assert code == 0
    text, _, files = out.partition("Enclosures:")
    assert "Show notes" in text
    assert "- audio/mpeg, 12.3 MB, 1:02:03: https://cdn.example/ep1.mp3" in files
    # the kept copy of a bookmarked article keeps them too (the cache may drop the episode)
    aid = json.loads(run(capsys, "articles", "--json")[1])[0]["id"]
    assert run(capsys, "bookmark", aid)[0] == 0
    copy = Library(paths, Settings()).kept_copy(aid)
    assert copy is not None
    assert copy["body"]["enclosures"][0]["url"] == "https://cdn.example/ep1.mp3"
