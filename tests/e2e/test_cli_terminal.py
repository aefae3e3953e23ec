"""End to end: the installed `reader` command in a real terminal (tmux), first run, offline."""

from __future__ import annotations

import pytest

from tests.e2e.tmux import Terminal, reader_command

pytestmark = pytest.mark.e2e



def test_first_run_lists_sample_articles_in_a_terminal(xdg: dict[str, str]) -> None:
    term = Terminal([reader_command(), "--offline", "articles"], xdg, width=120, height=40)
    try:
        screen = term.wait_for("Mattis: Russia Must")
        assert "AMN Al-Masdar News" in screen
        assert "Terminal Notes" in screen
        assert "Traceback" not in screen
    finally:
        term.close()


def test_show_prints_the_article_in_a_terminal(xdg: dict[str, str]) -> None:
    import json
    import os
    import subprocess

    env = dict(os.environ, **xdg)
    listing = subprocess.run([reader_command(), "--offline", "articles", "--json"], env=env,
                             capture_output=True, text=True, check=True)
    mattis = next(a for a in json.loads(listing.stdout) if a["title"].startswith("Mattis"))
    # The pane stays alive after the output: a dead tmux pane can scroll its first line away.
    command = f"{reader_command()} show {mattis['id']} | head -n 12; sleep 30"
    term = Terminal(["sh", "-c", command], xdg)
    try:
        screen = term.wait_for("Defense Secretary Jim Mattis")
        assert screen.lstrip().startswith("# Mattis: Russia Must")
        assert "Link: https://www.almasdarnews.com/article/" in screen
        assert "Text: the feed's text" in screen
    finally:
        term.close()
