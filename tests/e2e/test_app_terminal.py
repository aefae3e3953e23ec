"""End to end: the installed `reader` app in a real terminal (tmux): read an article, quit."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from tests.e2e.tmux import Terminal, reader_command

pytestmark = pytest.mark.e2e



def test_read_an_article_and_quit(xdg: dict[str, str]) -> None:
    term = Terminal([reader_command(), "--offline"], xdg, width=120, height=40)
    try:
        screen = term.wait_for("AMN Al-Masdar News (5)", timeout=30)
        assert "Unread (24)" in screen and "offline" in screen
        for _ in range(6):  # All, Unread, Bookmarked, Notes, Podcasts, samples -> AMN
            term.keys("j")
        term.keys("Enter")
        # the article list shows the feed
        term.wait_for("─ AMN Al-Masdar News (5 articles, 5 unread) ─")
        term.keys("Enter")  # the newest AMN article
        screen = term.wait_for("Defense Secretary Jim Mattis stated")
        assert "Mattis: Russia Must" in screen
        assert "Telegram" not in screen and "[revad2]" not in screen
        term.wait_for("AMN Al-Masdar News (4)")  # read: the count went down
        term.keys("q")
        deadline = time.monotonic() + 10
        while not term.dead() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert term.dead(), term.screen()
    finally:
        term.close()
    env = dict(os.environ, **xdg)
    listing = subprocess.run([reader_command(), "articles", "--json"], env=env,
                             capture_output=True, text=True, check=True)
    mattis = next(a for a in json.loads(listing.stdout) if a["title"].startswith("Mattis"))
    assert mattis["read"] is True  # the app saved it


def test_a_note_survives_quitting_and_restarting(xdg: dict[str, str]) -> None:
    def open_mattis(term: Terminal) -> None:
        term.wait_for("AMN Al-Masdar News (", timeout=30)
        for _ in range(6):  # All, Unread, Bookmarked, Notes, Podcasts, samples -> AMN
            term.keys("j")
        term.keys("Enter")
        term.wait_for("─ AMN Al-Masdar News (5 articles, ")  # read on the second run
        term.keys("Enter")
        term.wait_for("Defense Secretary Jim Mattis stated")

    term = Terminal([reader_command(), "--offline"], xdg, width=120, height=40)
    try:
        open_mattis(term)
        term.keys("a")
        term.wait_for("Note on: Mattis")
        term.keys("C-o")
        term.wait_for("Quote which paragraph?")
        term.keys("j", "j", "Enter")  # the caption, "On Thursday…", then this one
        term.wait_for("▌ During a press conference")
        term.keys("-l", "Worth re-reading after the summit")  # -l: typed literally
        term.keys("C-s")
        term.wait_for("note saved")
        term.keys("q")
        deadline = time.monotonic() + 10
        while not term.dead() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert term.dead()
    finally:
        term.close()
    term = Terminal([reader_command(), "--offline"], xdg, width=120, height=40)
    try:
        term.wait_for("Notes (1)", timeout=30)
        open_mattis(term)
        screen = term.wait_for("Worth re-reading after the summit")
        assert "During a press conference" in screen
    finally:
        term.keys("q")
        term.close()
