"""End to end: a command of [commands] run on an article from the installed app (tmux), and
the same with `reader run`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.tmux import Terminal, open_amn_sample, reader_command

pytestmark = pytest.mark.e2e


def test_a_command_runs_on_the_article_from_a_key(xdg: dict[str, str], tmp_path: Path) -> None:
    saved = tmp_path / "saved.md"
    program = tmp_path / "save.py"
    program.write_text("import sys\n"
                       f"open({str(saved)!r}, 'a').write(sys.stdin.read())\n"
                       "print('argument:', sys.argv[1])\nprint('saved to the archive')\n")
    config = Path(xdg["XDG_CONFIG_HOME"]) / "reader" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[commands]\nsave = {{ run = "{sys.executable} {program} {{title}}", '
                      'key = "W" }\n')
    term = Terminal([reader_command(), "--offline"], xdg, width=120, height=40)
    try:
        open_amn_sample(term)
        term.keys("W")  # on the highlighted (newest) article
        screen = term.wait_for("saved to the archive")
        assert "argument: Mattis: Russia Must" in screen and "(escape closes)" in screen
        assert "save: done: saved to the archive" in screen  # the status line too
        assert saved.read_text().startswith("# Mattis: Russia Must")
        term.keys("Escape")
        term.wait_until_gone("(escape closes)")
        term.quit()
    finally:
        term.close()
    env = dict(os.environ, **xdg)
    [mattis] = [a for a in json.loads(subprocess.run(
        [reader_command(), "articles", "--json"], env=env, capture_output=True, text=True,
        check=True).stdout) if a["title"].startswith("Mattis")]
    ran = subprocess.run([reader_command(), "run", "save", mattis["id"]], env=env,
                         capture_output=True, text=True, timeout=30)
    assert ran.returncode == 0, ran.stderr
    assert "argument: Mattis: Russia Must" in ran.stdout
    assert saved.read_text().count("# Mattis: Russia Must") == 2
