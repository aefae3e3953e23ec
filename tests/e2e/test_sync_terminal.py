"""End to end: a server account in the installed `reader` (tmux): add it, sync, read and star
in the app, change state on the server "from another device", R, see it."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.e2e.tmux import Terminal, reader_command
from tests.fakes.greader import FakeGReader

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("personality", ["freshrss", "miniflux"])
def test_sync_read_star_and_r_in_the_app(xdg: dict[str, str], personality: str) -> None:
    with FakeGReader(personality) as server:
        fid = server.add_feed("Server news", "News")
        ids = server.add_items(fid, 3)
        env = dict(os.environ, **xdg, READER_PASSWORD=server.password)
        added = subprocess.run([reader_command(), "account", "add", "greader", server.url,
                                "--user", server.user, "--name", "home"], env=env,
                               capture_output=True, text=True, timeout=60)
        assert added.returncode == 0, added.stderr
        synced = subprocess.run([reader_command(), "sync"], env=env, capture_output=True,
                                text=True, timeout=60)
        assert synced.returncode == 0 and "home: 3 new articles" in synced.stdout, synced.stderr
        term = Terminal([reader_command()], {**xdg, "READER_PASSWORD": ""})
        try:
            term.wait_for("Server news (3)", timeout=30)
            for _ in range(5):  # All, Unread, Bookmarked, Notes, the News folder -> the feed
                term.keys("j")
            term.wait_for("from home, last synced")
            term.keys("Enter")
            term.wait_for("─ Server news (3 articles, 3 unread) ─")
            term.keys("Enter")  # the newest: read
            term.wait_for(f"Text of item {max(ids)}")
            term.wait_for("Server news (2)")
            term.keys("b")  # starred
            term.wait_for("Bookmarked (1)")
            server.mark(min(ids), read=True)  # the phone reads the oldest
            term.keys("R")
            term.wait_for("home synced", timeout=30)
            term.wait_for("Server news (1)")
            assert server.state.entries[max(ids)].read
            assert server.state.entries[max(ids)].starred
            term.keys("q")
            deadline = time.monotonic() + 10
            while not term.dead() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert term.dead(), term.screen()
        finally:
            term.close()
