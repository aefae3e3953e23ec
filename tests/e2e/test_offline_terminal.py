"""End to end: refresh online, the server goes away, `reader --offline` reads everything.

The installed `reader` command, a real HTTP server on 127.0.0.1 started by the test, and
the app in a real terminal under tmux.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from tests.conftest import AMN_SENTENCE, HTML, FeedServer, Route, page, summary_feed
from tests.e2e.tmux import Terminal, reader_command

pytestmark = pytest.mark.e2e


def test_read_full_articles_on_a_plane(xdg: dict[str, str], server: FeedServer) -> None:
    server.routes["/feed"] = Route(summary_feed(server, [("amn", "Army advances")]))
    server.routes["/article/amn"] = Route(page("amn_wordpress.html"), headers=HTML)
    env = dict(os.environ, **xdg)

    def reader(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([reader_command(), *args], env=env, capture_output=True,
                              text=True, timeout=60)

    assert reader("add", server.url("/feed"), "--title", "Summaries").returncode == 0
    online = reader("refresh")
    assert online.returncode == 0, online.stderr
    assert "full text: 1 fetched, 0 failed" in online.stdout
    server.httpd.shutdown()
    server.httpd.server_close()  # the network is gone
    gone = reader("refresh")
    assert gone.returncode == 3 and "offline: no feed server could be reached" in gone.stderr
    assert "Traceback" not in gone.stderr

    term = Terminal([reader_command(), "--offline"], xdg, width=120, height=40)
    try:
        screen = term.wait_for("Summaries (1)", timeout=30)
        assert "offline" in screen
        for _ in range(5):  # All, Unread, Bookmarked, Notes, Podcasts -> the feed
            term.keys("j")
        term.keys("Enter")
        term.wait_for("─ Summaries (1 article, 1 unread) ─")
        term.keys("Enter")
        screen = term.wait_for("Text: full article, fetched")
        assert "Army advances" in screen and "Teaser of" not in screen
        for _ in range(6):  # page down until the article's body passage shows
            if AMN_SENTENCE in screen:
                break
            term.keys("space")
            time.sleep(0.3)
            screen = term.screen()
        assert AMN_SENTENCE in screen, screen
        assert "Telegram" not in screen and "[revad2]" not in screen
        term.keys("t")
        screen = term.wait_for("Teaser of Army advances")
        assert "(t: the full article)" in screen
        term.keys("q")
    finally:
        term.close()
    [article] = json.loads(reader("articles", "--json").stdout)
    shown = reader("--offline", "show", article["id"])
    assert AMN_SENTENCE in shown.stdout and "Telegram" not in shown.stdout
