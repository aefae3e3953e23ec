"""End to end: the README's first command, exactly as written, as a newcomer runs it.

From the root of a fresh copy of the checkout, in a fresh venv, with empty config, data and
cache folders, in a real terminal (tmux): the app must come up on the sample feeds. Run from
the checkout's root, `python3 -m reader` imports the source `reader/` rather than the
installed package; that is how `No module named 'reader.seeds'` once shipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.tmux import Terminal

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def readme_first_command() -> str:
    """The first command in the README's first fenced shell block."""
    block = re.search(r"^```(?:sh|bash|console)?\n(.*?)^```", (ROOT / "README.md").read_text(),
                      re.M | re.S)
    assert block, "the README has no fenced command"
    return block.group(1).splitlines()[0].removeprefix("$ ").strip()


def fresh_checkout(into: Path) -> Path:
    """The files a clone of this checkout holds (tracked files, as they are now)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return into


def test_readme_first_command_starts_the_app_on_the_samples(tmp_path: Path) -> None:
    command = readme_first_command()
    assert command == "python3 -m pip install . && python3 -m reader"
    clone = fresh_checkout(tmp_path / "clone")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    home = tmp_path / "home"
    home.mkdir()
    env = {f"XDG_{n}_HOME": str(tmp_path / n.lower()) for n in ("CONFIG", "DATA", "CACHE")}
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
               # pip's downloads are the only thing kept from this machine (speed, not state)
               PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR",
                                            str(Path.home() / ".cache" / "pip")),
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    (tmp_path / "cache").mkdir()
    script = f"cd {clone} && {command}; echo FIRST-RUN-EXIT:$?; sleep 60"
    term = Terminal(["bash", "-c", script], env, width=120, height=36)
    try:
        deadline = time.monotonic() + 300  # pip installs Textual & co. into the fresh venv
        screen = ""
        while time.monotonic() < deadline:
            screen = term.screen()
            assert "Traceback" not in screen and "FIRST-RUN-EXIT:" not in screen, screen
            if "AMN Al-Masdar News" in screen and "╭" in screen:
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"no app on the sample feeds after 300 s:\n{screen}")
        screen = term.wait_for("Unread (24)", timeout=30)
        assert "samples" in screen
        term.keys("q")
        term.wait_for("FIRST-RUN-EXIT:0", timeout=20)
    finally:
        term.close()
