"""Start-up as the user waits for it: `reader` and newsboat in a real terminal (tmux), from
process start until the article list (newsboat: its feed list) is on screen, side by side on
the same data; then `reader articles --limit 20` and `--json` as whole commands.

Run: python bench/bench_start.py [--sizes 10000,100000] [--rounds 3] [--newsboat-timeout 60]

- Data: 200 feeds of N/200 articles each (about 2 KB of HTML per article), written for the
  reader by a real refresh whose parser is a fake (bench_tui.build), and for newsboat straight
  into its SQLite cache.db (same titles, dates and HTML) with a urls file of the same feeds.
- Clock: started just before `tmux new-session` runs the command; stopped by the first
  `tmux capture-pane` (polled every 20 ms) that shows the newest article's title (reader) or
  newsboat's "Your feeds" title line. Both pay the same tmux cost.
- Memory: the peak RSS (VmHWM) of every process in the pane, summed, read once the list is
  shown and again 1 s later (the reader keeps loading in the background; the larger is kept).
- Rounds: reader and newsboat interleaved, sizes interleaved; medians [min-max].
- CLI: `reader articles --limit 20` and `reader articles --json` (output to a file), wall clock
  from process start, peak RSS from /usr/bin/time (see run_cli); medians of the same rounds.
The `reader` run is the one beside this Python (the venv's), never a pyenv shim.
Results: a table on stdout and bench/out/start.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_tui import PARAGRAPH, build  # noqa: E402
from memwatch import tree_peak_mb  # noqa: E402

from reader.locations import Paths  # noqa: E402

FEEDS = 200
BASE = 1_700_000_000.0


def reader_bin() -> str:
    """The venv's `reader` (beside this Python): a pyenv shim would add 0.1 s per command."""
    beside = Path(sys.executable).parent / "reader"
    if not beside.exists():
        raise SystemExit("no `reader` beside this Python: pip install -e . in this venv")
    return str(beside)


def env_for(root: Path) -> dict[str, str]:
    """A throw-away HOME/XDG tree, the venv's bin first on PATH, no proxies."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(HOME=str(root), XDG_CONFIG_HOME=str(root / "config"),
               XDG_DATA_HOME=str(root / "data"), XDG_CACHE_HOME=str(root / "cache"),
               PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
               TERM="xterm-256color", LANG="C.UTF-8")
    return env


def build_reader(root: Path, per_feed: int) -> None:
    env = env_for(root)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        paths = Paths.from_env()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    child = multiprocessing.get_context("spawn").Process(target=build,
                                                         args=(paths, FEEDS, per_feed))
    child.start()
    child.join()
    if child.exitcode:
        raise SystemExit(f"building the reader's library failed ({child.exitcode})")


def build_newsboat(root: Path, per_feed: int) -> None:
    """newsboat's cache.db with the same articles (schema made by newsboat itself)."""
    root.mkdir(parents=True, exist_ok=True)
    urls = [f"http://127.0.0.1:9/bench/feed{f}.xml" for f in range(FEEDS)]
    (root / "urls").write_text("\n".join(urls) + "\n")
    (root / "config").write_text("")
    subprocess.run(["newsboat", "-u", "urls", "-c", "cache.db", "-C", "config", "-x",
                    "print-unread"], cwd=root, check=True, capture_output=True, timeout=60)
    db = sqlite3.connect(root / "cache.db")
    db.executemany("INSERT INTO rss_feed (rssurl, url, title) VALUES (?, ?, ?)",
                   [(u, f"https://bench{f}.example/", f"Bench feed {f}")
                    for f, u in enumerate(urls)])
    for f, url in enumerate(urls):
        rows = []
        for i in range(per_feed):
            html = "".join(PARAGRAPH.format(n=i + k) for k in range(12))
            rows.append((f"https://bench{f}.example/a/{i}", f"Feed {f} article {i}: a headline",
                         "Staff", f"https://bench{f}.example/a/{i}", url,
                         int(BASE - (f * per_feed + i) * 60), html, 1))
        db.executemany("INSERT INTO rss_item (guid, title, author, url, feedurl, pubDate, "
                       "content, unread) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    db.close()


class Pane:
    """One tmux server and session running a command; the screen read by capture-pane."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.socket = str(Path(tempfile.gettempdir()) / f"perf-bench-{uuid.uuid4().hex[:8]}")
        self.name = "perf-start"
        line = " ".join(subprocess.list2cmdline([c]) for c in command)
        subprocess.run(["tmux", "-S", self.socket, "-f", "/dev/null", "new-session", "-d",
                        "-s", self.name, "-x", "160", "-y", "45", "-c", str(cwd),
                        f"exec {line}"], env=env, check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "-S", self.socket, "capture-pane", "-p", "-t",
                               self.name], capture_output=True, text=True).stdout

    def pid(self) -> int:
        out = subprocess.run(["tmux", "-S", self.socket, "display-message", "-p", "-t",
                              self.name, "#{pane_pid}"], capture_output=True, text=True)
        return int(out.stdout.strip() or 0)

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)
        Path(self.socket).unlink(missing_ok=True)


def time_to_screen(command: list[str], env: dict[str, str], cwd: Path, marker: str,
                   timeout: float) -> tuple[float | None, float, str]:
    """(seconds from start until `marker` is on screen or None, peak RSS MB, last screen)."""
    t0 = time.perf_counter()
    pane = Pane(command, env, cwd)
    try:
        screen, shown = "", None
        while time.perf_counter() - t0 < timeout:
            screen = pane.screen()
            if marker in screen:
                shown = time.perf_counter() - t0
                break
            time.sleep(0.02)
        pid = pane.pid()
        rss = tree_peak_mb(pid)
        time.sleep(1.0)
        rss = max(rss, tree_peak_mb(pid))
        return shown, rss, screen
    finally:
        pane.close()


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one whole `reader` command, output to a file. The peak
    is /usr/bin/time's: a child's ru_maxrss counts the RSS its parent had when it was
    spawned (Linux carries the pre-exec high-water mark over), so os.wait4 from this
    process would add the bench's own memory; /usr/bin/time is a few MB."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        code = subprocess.run(["/usr/bin/time", "-f", "%M", reader_bin(), *args], env=env,
                              stdout=out, stderr=err).returncode
        wall = time.perf_counter() - t0
        err.seek(0)
        lines = err.read().decode(errors="replace").strip().splitlines()
        if code != 0:
            raise SystemExit(f"reader {' '.join(args)} failed: {lines[-5:]}")
        return wall, int(lines[-1]) / 1024


def summary(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.3f} [{min(values):.3f}-{max(values):.3f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--newsboat-timeout", type=float, default=60.0)
    parser.add_argument("--no-newsboat", action="store_true")
    parser.add_argument("--keep", help="build the data here (and keep it; reused next time)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    newsboat = not args.no_newsboat and shutil.which("newsboat") is not None
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="perf-start-"))
    results: dict[str, dict[str, list[float]]] = {}
    try:
        for size in sizes:
            per_feed = size // FEEDS
            home = base / f"reader-{size}"
            if not (home / "data").exists():
                t = time.perf_counter()
                build_reader(home, per_feed)
                print(f"reader data, {size} articles: {time.perf_counter() - t:.0f} s")
            nb = base / f"newsboat-{size}"
            if newsboat and not (nb / "cache.db").exists():
                build_newsboat(nb, per_feed)
        print(f"load average before: {os.getloadavg()}")
        for rnd in range(args.rounds):
            for size in sizes:
                home, nb = base / f"reader-{size}", base / f"newsboat-{size}"
                env = env_for(home)
                shown, rss, screen = time_to_screen(
                    [reader_bin(), "--offline"], env, home, "Feed 0 article 0:", 30)
                if shown is None:
                    print(screen)
                    raise SystemExit(f"reader never showed its list at {size}")
                row = results.setdefault(f"app start to list, {size}", {})
                row.setdefault("reader", []).append(shown)
                results.setdefault(f"app peak RSS MB, {size}", {}).setdefault(
                    "reader", []).append(rss)
                if newsboat:
                    shown, rss, screen = time_to_screen(
                        ["newsboat", "-u", "urls", "-c", "cache.db", "-C", "config"],
                        env_for(nb), nb, "Your feeds", args.newsboat_timeout)
                    row.setdefault("newsboat", []).append(
                        shown if shown is not None else float("inf"))
                    results[f"app peak RSS MB, {size}"].setdefault("newsboat", []).append(rss)
                for label, cli in (("articles --limit 20", ["articles", "--limit", "20"]),
                                   ("articles --json", ["articles", "--json"])):
                    wall, peak = run_cli(cli, env)
                    results.setdefault(f"{label}, {size}", {}).setdefault(
                        "reader", []).append(wall)
                    results.setdefault(f"{label} peak RSS MB, {size}", {}).setdefault(
                        "reader", []).append(peak)
                print(f"round {rnd + 1} size {size} done", flush=True)
        print(f"load average after: {os.getloadavg()}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"\n{'case':40} {'reader':>28} {'newsboat':>28}")
    for case, row in results.items():
        print(f"{case:40} {summary(row.get('reader', [])):>28} "
              f"{summary(row.get('newsboat', [])):>28}")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, cwd=Path(__file__).parent).stdout.strip()
    (out / "start.json").write_text(json.dumps({"head": head, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
