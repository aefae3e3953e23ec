"""End to end (installed app under tmux): nested tag folders, the app refreshing a due feed
by itself, and marking read while scrolling, with a loopback feed server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FeedServer, Route, rss
from tests.e2e.tmux import Terminal, reader_command

pytestmark = pytest.mark.e2e


def test_folders_auto_refresh_and_scroll_read(xdg: dict[str, str], server: FeedServer) -> None:
    env = dict(os.environ, **xdg)
    server.routes["/me"] = Route(rss("Levant Daily", [("1", "First story"), ("2", "Second")]))
    server.routes["/w"] = Route(rss("World Wire", [("w", "World story")]))
    config = Path(xdg["XDG_CONFIG_HOME"]) / "reader" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[refresh]\ninterval = "2s"\n[ui]\nmark_read_on_scroll = true\n')
    for path, tag in (("/me", "news/middle-east"), ("/w", "news")):
        subprocess.run([reader_command(), "add", server.url(path), "--tag", tag], env=env,
                       check=True, capture_output=True)
    term = Terminal([reader_command()], xdg, width=120, height=30)
    try:
        term.wait_for("Levant Daily (2)", timeout=30)  # fetched at start: due
        screen = term.wait_for("World Wire (1)")
        assert "▾ news (3)" in screen and "  ▾ middle-east (2)" in screen
        assert "    Levant Daily (2)" in screen and "  World Wire (1)" in screen
        server.routes["/me"] = Route(rss("Levant Daily", [("1", "First story"), ("2", "Second"),
                                                          ("3", "Breaking news")]))
        screen = term.wait_for("Breaking news", timeout=20)  # no key pressed
        term.wait_for("Levant Daily (3)")
        term.keys("Tab")  # the article list (its keys show once it has the focus)
        term.wait_for("m Read/unread")
        term.keys("g", "j", "j")  # the cursor stays on its article as others come: to the top
        screen = term.wait_for("▾ news (2)")  # two passed: read, counts follow
        assert "Levant Daily (1)" in screen and "World Wire (1)" in screen
        term.quit()
    finally:
        term.close()
    listed = json.loads(subprocess.run([reader_command(), "articles", "--json"], env=env,
                                       capture_output=True, text=True, check=True).stdout)
    assert sorted(a["title"] for a in listed if a["read"]) == ["First story", "Second"]
