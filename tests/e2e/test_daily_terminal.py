"""End to end: daily reading in the installed app in a small real terminal (tmux, 80x24)."""

from __future__ import annotations

import time

import pytest

from tests.e2e.tmux import Terminal, reader_command

pytestmark = pytest.mark.e2e


def pane_rows(screen: str) -> int:
    """Rows inside the one bordered pane shown (narrow terminal: one pane at a time)."""
    lines = screen.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("╭"))
    bottom = next(i for i, line in enumerate(lines) if line.startswith("╰"))
    return bottom - top - 1


def test_reading_at_80x24(xdg: dict[str, str]) -> None:
    term = Terminal([reader_command(), "--offline"], xdg, width=80, height=24)
    try:
        term.wait_for("Unread (24)", timeout=30)
        for _ in range(6):  # All, Unread, Bookmarked, Notes, Podcasts, samples -> AMN
            term.keys("j")
        term.keys("Enter")
        term.wait_for("AMN Al-Masdar News (5 articles, 5 unread)")
        term.keys("A")  # asks first; n keeps them unread
        term.wait_for("Mark 5 unread articles in “AMN Al-Masdar News” read?")
        term.keys("n")
        term.wait_for("nothing marked read")
        term.keys("Enter")
        screen = term.wait_for("Defense Secretary Jim Mattis")
        assert pane_rows(screen) >= 17, screen  # the article gets the room (was 12)
        for _ in range(4):  # the four other AMN articles
            term.keys("n")
            time.sleep(0.3)
        term.keys("n")  # none left in AMN: on to the next feed with unread articles
        screen = term.wait_for("next unread: ")
        assert "Terminal Notes" in screen or "World Wire" in screen or "Plot" in screen
        term.keys("z")  # the article alone
        time.sleep(0.5)
        screen = term.screen()
        assert pane_rows(screen) >= 20, screen
        term.keys("Escape")
        time.sleep(0.5)
        term.keys("q")
        deadline = time.monotonic() + 10
        while not term.dead() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert term.dead(), term.screen()
    finally:
        term.close()


def test_a_terminal_browser_gets_the_terminal_and_gives_it_back(
        xdg: dict[str, str], tmp_path) -> None:  # noqa: ANN001
    """$BROWSER=lynx (here a stand-in named lynx) draws in the terminal: the app is suspended
    while it runs (it once froze the app and drew over it), and comes back after."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    lynx = bin_dir / "lynx"
    lynx.write_text('#!/bin/sh\necho "FAKE LYNX SHOWS $1"\nread answer\necho "lynx saw $answer"\n'
                    'sleep 0.5\n')
    lynx.chmod(0o755)
    env = dict(xdg, BROWSER=str(lynx))
    env.pop("DISPLAY", None)
    term = Terminal(["env", "-u", "DISPLAY", "-u", "WAYLAND_DISPLAY", reader_command(),
                     "--offline"], env, width=100, height=30)
    try:
        term.wait_for("Unread (24)", timeout=30)
        for _ in range(6):  # past the five virtual feeds and the samples folder
            term.keys("j")
        term.keys("Enter")
        term.wait_for("AMN Al-Masdar News (5 articles")
        term.keys("o")
        screen = term.wait_for("FAKE LYNX SHOWS https://www.almasdarnews.com/", timeout=15)
        assert "╭" not in screen  # the app is not drawn over the browser
        term.keys("-l", "ok")
        term.keys("Enter")
        screen = term.wait_for("opened https://www.almasdarnews.com/", timeout=15)
        assert "Feeds" in screen and "FAKE LYNX" not in screen
        term.keys("q")
        deadline = time.monotonic() + 10
        while not term.dead() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert term.dead(), term.screen()
    finally:
        term.close()
