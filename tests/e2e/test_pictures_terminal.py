"""End to end (tmux): the AMN sample shows its lead photo inline, in half-blocks (issue 18).

The sample is a local file whose lead photo is pointed at a server on 127.0.0.1 started by
the test (a local feed may reach loopback); the installed `reader` runs in a real terminal
under tmux with [images] mode = "halfblock"."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import FeedServer
from tests.e2e.tmux import Terminal, reader_command
from tests.ui.test_pictures_ui import amn_with_lead_photo

pytestmark = pytest.mark.e2e

_COLOUR = re.compile(r"\x1b\[[0-9;]*[34]8;[25];[0-9;]+m")


def test_the_amn_lead_photo_is_drawn_inline_in_half_blocks(
        xdg: dict[str, str], server: FeedServer, tmp_path: Path) -> None:
    feed = amn_with_lead_photo(server, tmp_path)
    config = Path(xdg["XDG_CONFIG_HOME"]) / "reader"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('[images]\nmode = "halfblock"\n')
    env = dict(os.environ, **xdg)
    subprocess.run([reader_command(), "add", str(feed)], env=env, check=True,
                   capture_output=True)
    subprocess.run([reader_command(), "refresh"], env=env, check=True, capture_output=True)
    term = Terminal([reader_command()], xdg, width=120, height=40)
    try:
        term.wait_for("AMN Al-Masdar News (5)", timeout=30)
        for _ in range(5):  # All, Unread, Bookmarked, Notes, Podcasts -> the feed
            term.keys("j")
        term.keys("Enter")
        term.wait_for("─ AMN Al-Masdar News (5 articles, 5 unread) ─")
        term.keys("Enter")  # the newest: Mattis, with the lead photo
        screen = term.wait_for("[image: Defense Secretary Jim Mattis", timeout=15)
        deadline = time.monotonic() + 15
        while "▀" * 20 not in screen and time.monotonic() < deadline:
            time.sleep(0.1)
            screen = term.screen()
        lines = screen.splitlines()
        picture = [n for n, line in enumerate(lines) if "▀" * 20 in line]
        assert len(picture) >= 8, screen
        assert picture == list(range(picture[0], picture[-1] + 1))  # one block of rows
        assert "[image: Defense Secretary Jim Mattis" in lines[picture[-1] + 1]  # alt under it
        assert "Mattis: Russia Must" in screen
        coloured = subprocess.run(["tmux", "-S", term.socket, "capture-pane", "-p", "-e",
                                   "-t", term.name], capture_output=True, text=True).stdout
        colours = set(_COLOUR.findall(coloured))
        assert len(colours) > 20  # drawn in colours (a gradient), not plain characters
        assert len(server.hits_for("/lead.jpg")) == 1
        term.keys("q")
    finally:
        term.close()
