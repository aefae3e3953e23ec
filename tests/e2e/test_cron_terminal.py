"""End to end: `reader refresh` from cron while the installed app is open (issue 11).

The app once held the lock for its whole life: cron's refresh exited 2 and the app would not
start while cron refreshed. Now each write holds the lock for a moment, the open app shows
what cron stored without a restart, and two refreshes never fetch at once (exit 4: busy).
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

FEEDS = 50


def run(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([reader_command(), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def serve(server: FeedServer, stories: int, delay: float = 0.0) -> None:
    for n in range(FEEDS):
        items = [(f"{n}-{k}", f"Story {n:02d}-{k}") for k in range(stories, 0, -1)]
        server.routes[f"/feed/{n}"] = Route(rss(f"Feed {n:02d}", items), delay=delay)


def test_cron_refresh_beside_the_open_app(xdg: dict[str, str], server: FeedServer,
                                          tmp_path) -> None:  # noqa: ANN001
    env = dict(os.environ, **xdg)
    serve(server, 1)
    listing = tmp_path / "urls"
    listing.write_text("".join(server.url(f"/feed/{n}") + "\n" for n in range(FEEDS)))
    assert run(env, "import", str(listing)).returncode == 0
    assert run(env, "refresh").returncode == 0

    app = Terminal([reader_command()], xdg, width=120, height=40)
    try:
        app.wait_for(f"Unread ({FEEDS})", timeout=30)
        serve(server, 2)  # one more story in every feed
        cron = run(env, "refresh")  # the app is open: cron refreshes all the same
        assert cron.returncode == 0, cron.stderr
        assert f"{FEEDS} new articles" in cron.stdout
        screen = app.wait_for(f"Unread ({2 * FEEDS})", timeout=15)  # no restart
        assert "Story 49-2" in screen or "Story 00-2" in screen, screen

        serve(server, 3, delay=4.0)  # a slow cron refresh: the app starts meanwhile
        slow = subprocess.Popen([reader_command(), "refresh"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(1.0)
            assert slow.poll() is None  # still fetching
            second = Terminal([reader_command()], xdg, width=120, height=40)
            second.wait_for(f"Unread ({2 * FEEDS})", timeout=30)  # started, not refused
            assert slow.poll() is None
            busy = run(env, "refresh")  # a second refresh fetches nothing and says so
            assert busy.returncode == 4, (busy.stdout, busy.stderr)
            assert busy.stderr.startswith("busy: another reader (pid ")
            assert "is refreshing the feeds now" in busy.stderr
            app.keys("R")  # so does the app's refresh
            screen = app.wait_for("is refreshing the feeds now", timeout=10)
            assert "failed" not in screen
            out, err = slow.communicate(timeout=60)
            assert slow.returncode == 0, err
            assert f"{FEEDS} new articles" in out
        finally:
            if slow.poll() is None:
                slow.kill()
                slow.wait()
        for term in (app, second):  # both open apps show cron's articles
            term.wait_for(f"Unread ({3 * FEEDS})", timeout=15)
        app.keys("q")
        second.keys("q")
        deadline = time.monotonic() + 10
        while not (app.dead() and second.dead()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert app.dead() and second.dead()
    finally:
        app.close()
    feeds = json.loads(run(env, "feeds", "--json").stdout)
    assert len(feeds) == FEEDS
    assert all(f["total"] == 3 and f["failures"] == 0 for f in feeds), feeds
