"""Drive the installed `reader` command in a real terminal under tmux and read the screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path


def reader_command() -> str:
    """The installed `reader` script: next to this Python first, else on PATH."""
    beside = Path(sys.executable).parent / "reader"
    if beside.exists():
        return str(beside)
    found = shutil.which("reader")
    if not found:
        raise RuntimeError("the `reader` command is not installed (pip install -e .)")
    return found


class Terminal:
    """One tmux session running a command at a fixed size."""

    def __init__(self, command: list[str], env: dict[str, str], width: int = 120,
                 height: int = 40):
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed (scripts/test.sh installs it)")
        self.name = f"reader-e2e-{uuid.uuid4().hex[:8]}"
        full_env = dict(os.environ, **env, TERM="xterm-256color")
        socket_dir = Path(env.get("XDG_CACHE_HOME", "/tmp"))
        self.socket = str(socket_dir / "tmux.sock")
        shell_line = " ".join(_quote(c) for c in command)
        # remain-on-exit keeps the pane (and its last screen) after the command ends.
        new = ["tmux", "-S", self.socket, "-f", "/dev/null", "new-session", "-d",
               "-s", self.name, "-x", str(width), "-y", str(height), shell_line]
        for _ in range(20):  # a server killed a moment ago may still hold the socket
            if subprocess.run(new, env=full_env, capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(new, env=full_env, check=True)
        subprocess.run(["tmux", "-S", self.socket, "set-option", "-t", self.name,
                        "remain-on-exit", "on"], check=False)

    def screen(self) -> str:
        """The visible text of the pane."""
        out = subprocess.run(["tmux", "-S", self.socket, "capture-pane", "-p", "-t", self.name],
                             capture_output=True, text=True)
        return out.stdout

    def keys(self, *keys: str) -> None:
        """Type keys (tmux key names, e.g. "j", "Enter", "Escape")."""
        subprocess.run(["tmux", "-S", self.socket, "send-keys", "-t", self.name, *keys],
                       check=True)

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        """Wait until `text` is on screen; return the screen (AssertionError on time-out)."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear within {timeout}s; screen:\n{screen}")

    def wait_until_gone(self, text: str, timeout: float = 10.0) -> None:
        """Wait until `text` is no longer on screen (AssertionError on time-out)."""
        deadline = time.monotonic() + timeout
        while text in self.screen():
            assert time.monotonic() < deadline, self.screen()
            time.sleep(0.1)

    def quit(self, key: str = "q", timeout: float = 10.0) -> None:
        """Press `key` and wait until the command has exited (AssertionError if it stays)."""
        self.keys(key)
        deadline = time.monotonic() + timeout
        while not self.dead() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert self.dead(), self.screen()

    def dead(self) -> bool:
        """True once the command has exited."""
        out = subprocess.run(["tmux", "-S", self.socket, "display-message", "-p", "-t",
                              self.name, "#{pane_dead}"], capture_output=True, text=True)
        return out.stdout.strip() == "1"

    def close(self) -> None:
        """Stop the tmux server and wait (bounded) until it is gone."""
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], check=False,
                       capture_output=True)
        for _ in range(50):
            if subprocess.run(["tmux", "-S", self.socket, "list-sessions"],
                              capture_output=True).returncode != 0:
                return
            time.sleep(0.1)


def open_amn_sample(term: Terminal) -> None:
    """From the start of the app on the bundled samples: open the AMN feed's article list."""
    term.wait_for("AMN Al-Masdar News (5)", timeout=30)
    for _ in range(6):  # All, Unread, Bookmarked, Notes, Podcasts, samples -> AMN
        term.keys("j")
    term.keys("Enter")
    term.wait_for("─ AMN Al-Masdar News (5 articles, 5 unread) ─")


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)
