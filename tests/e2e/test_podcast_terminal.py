"""End to end (tmux): a podcast episode from the real Night Vale feed downloads with a
progress bar on the terminal, is interrupted (ctrl+c, then a SIGKILL), and resumes (issue 18).
The episode bytes come from a server on 127.0.0.1 started by the test."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.tmux import Terminal, reader_command
from tests.unit.test_media import (  # noqa: F401 - episodes: a fixture
    EPISODE,
    EpisodeServer,
    episodes,
    part_of,
)

pytestmark = pytest.mark.e2e

BAR = re.compile(r"\[#*\.*\]\s+\d+% [\d.]+/3\.1 MB")


def test_an_episode_downloads_with_progress_and_resumes_after_a_kill(
        xdg: dict[str, str], episodes: EpisodeServer, tmp_path: Path) -> None:  # noqa: F811
    env = dict(os.environ, **xdg)
    subprocess.run([reader_command(), "add", episodes.url("/feed")], env=env, check=True,
                   capture_output=True)
    subprocess.run([reader_command(), "refresh"], env=env, check=True, capture_output=True)
    listing = subprocess.run([reader_command(), "articles", "--json"], env=env, check=True,
                             capture_output=True, text=True)
    [article] = json.loads(listing.stdout)
    folder = tmp_path / "episodes"
    part, final = part_of(folder, episodes), folder / "nv221_intro.mp3"
    episodes.trickle = 0.05
    command = [reader_command(), "download", article["id"], "--to", str(folder)]
    term = Terminal(["sh", "-c", " ".join(command) + "; echo EXIT:$?; sleep 30"], xdg)
    try:
        screen = term.wait_for("% ", timeout=20)
        assert BAR.search(screen), screen
        assert "221 - The Glow Cloud" in screen
        term.keys("C-c")  # interrupted: one line, the part kept
        screen = term.wait_for("interrupted", timeout=15)
        assert "Traceback" not in screen
    finally:
        term.close()
    first = part.stat().st_size
    assert 0 < first < len(EPISODE) and not final.exists()
    # A second run is killed outright (SIGKILL: no chance to clean up) ...
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and part.stat().st_size < first + 200_000:
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    second = part.stat().st_size
    assert second > first and not final.exists()
    # ... and the third finishes it, from where the second stopped, with the bar at 100%.
    episodes.trickle = 0.0
    term = Terminal(["sh", "-c", " ".join(command) + "; echo EXIT:$?; sleep 30"], xdg)
    try:
        screen = term.wait_for("EXIT:0", timeout=30)
        assert "100% 3.1/3.1 MB" in screen and str(final) in screen
    finally:
        term.close()
    assert final.read_bytes() == EPISODE and not part.exists()
    assert episodes.ranges[-2:] == [f"bytes={first}-", f"bytes={second}-"]
