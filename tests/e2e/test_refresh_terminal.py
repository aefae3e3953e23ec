"""End to end: the installed app refreshes many feeds from a loopback server (`R`).

With 8 or more feeds the refresh parses in worker processes; under Textual `sys.stderr` has
no file descriptor, and every feed once failed with "bad value(s) in fds_to_keep". Only a
real terminal with a user's number of feeds shows it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from tests.conftest import FeedServer, Route, rss
from tests.e2e.tmux import Terminal, reader_command

pytestmark = pytest.mark.e2e

FEEDS = 60


def test_refresh_all_in_the_app_with_many_feeds(xdg: dict[str, str], server: FeedServer,
                                                 tmp_path) -> None:  # noqa: ANN001
    urls = []
    for n in range(FEEDS):
        path = f"/feed/{n}"
        server.routes[path] = Route(rss(f"Feed {n:02d}", [(f"{n}-1", f"Story {n}-1")]))
        urls.append(server.url(path))
    listing = tmp_path / "urls"
    listing.write_text("\n".join(urls) + "\n")
    env = dict(os.environ, **xdg)
    imported = subprocess.run([reader_command(), "import", str(listing)], env=env,
                              capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0, imported.stderr
    for n in range(FEEDS):  # a second article appears in every feed after the app started
        server.routes[f"/feed/{n}"] = Route(rss(f"Feed {n:02d}", [
            (f"{n}-2", f"Story {n}-2"), (f"{n}-1", f"Story {n}-1")]))

    term = Terminal([reader_command()], xdg, width=120, height=40)
    try:
        term.wait_for("Feeds", timeout=30)
        deadline = time.monotonic() + 30  # a start-up refresh may be under way: let it end
        while "refreshed" not in term.screen() and time.monotonic() < deadline:
            time.sleep(0.2)
        term.keys("R")
        screen = term.wait_for(f"{FEEDS} feeds refreshed", timeout=60)
        status = [line for line in screen.splitlines() if "feeds refreshed" in line][0]
        assert "failed" not in status, screen
        assert "fds_to_keep" not in screen and "internal error" not in screen
        term.keys("q")
        deadline = time.monotonic() + 10
        while not term.dead() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert term.dead(), term.screen()
    finally:
        term.close()
    feeds = json.loads(subprocess.run([reader_command(), "feeds", "--json"], env=env,
                                      capture_output=True, text=True, check=True).stdout)
    assert len(feeds) == FEEDS
    assert all(f["last_error"] is None and f["failures"] == 0 for f in feeds), feeds
    assert all(f["total"] == 2 for f in feeds), [f["total"] for f in feeds]
