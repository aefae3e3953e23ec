"""End to end: a query feed and `/` with a query in the installed app under tmux."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.e2e.tmux import Terminal, reader_command

pytestmark = pytest.mark.e2e


def test_a_query_feed_and_a_query_search(xdg: dict[str, str]) -> None:
    env = dict(os.environ, **xdg)
    added = subprocess.run([reader_command(), "--offline", "query-feeds", "add", "Mosul",
                            'title ~ "mosul"'], env=env, capture_output=True, text=True,
                           timeout=60)
    assert added.returncode == 0, added.stderr
    term = Terminal([reader_command(), "--offline"], xdg, width=120, height=40)
    try:
        term.wait_for("⌕ Mosul (1)", timeout=30)
        for _ in range(4):  # All, Unread, Bookmarked, Notes -> the query feed
            term.keys("j")
        term.keys("Enter")
        screen = term.wait_for("Query: Mosul (1 article, 1 unread)")
        assert "Volunteers begin cataloguing" in screen
        term.keys("/")
        term.wait_for("Search everything")
        term.keys("-l", "title ~")
        term.keys("Enter")
        term.wait_for("at column 8: expected a value after '~'")  # and the prompt stays
        term.keys("-l", ' "sqlite" and feed = "Terminal Notes"')
        term.keys("Enter")
        screen = term.wait_for('Search: title ~ "sqlite" and feed = "Terminal Notes" (1 article')
        assert "SQLite WAL mode" in screen
        term.keys("s")
        term.wait_for("sorted oldest first")  # the status line at once,
        term.wait_for("1 unread, oldest f")  # the list's title once listed (cut to its width)
        term.keys("q")
        deadline = time.monotonic() + 10
        while not term.dead() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert term.dead(), term.screen()
    finally:
        term.close()
