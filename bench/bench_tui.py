"""Headless benchmark of the app at scale: 200 feeds / 50,000 cached articles.

Run: python bench/bench_tui.py [--feeds 200 --per-feed 250]

Measures, in a fresh process, with Textual's headless driver (App.run_test):
  start to first paint   from the measuring PROCESS's start (its imports included, read from
                         /proc) until the article list shows rows; headless, so no terminal
                         is drawn: bench_start.py has what a user waits for in a terminal
  cursor move            one `j` in the article list (pilot key press, median of 30)
  open article           `enter` on an article until its text is shown (median of 10)
  show 100 KiB article   ArticleView.show() of a 100 KiB Markdown document + one paint
  memory                 peak RSS of the process after start-up
Targets (issue 4): first paint <= 1 s; cursor/open <= 50 ms; 100 KiB <= 150 ms; <= 300 MB.
The data is written by a real refresh of local files whose parser is a fake (no network,
no parsing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.models import ParsedEntry, ParsedFeed

PARAGRAPH = ("<p>Officials said on Tuesday that the new schedule would take effect next "
             "month, after a review of <a href='/news/{n}'>earlier plans</a> and "
             "consultations with residents. <em>Critics</em> called it overdue.</p>")


def build(paths: Paths, feeds: int, per_feed: int) -> None:
    """Fill a library with feeds x per_feed articles through a real refresh whose parser
    makes each feed's entries when it is asked (the library's parser seam): local
    placeholder files, no network, no feed held in memory longer than its parse."""
    folder = paths.data_dir.parent / "bench-feeds"
    folder.mkdir(parents=True, exist_ok=True)
    base = 1_700_000_000.0
    number = {}
    for f in range(feeds):
        path = folder / f"feed{f}.xml"
        path.write_bytes(b"placeholder %d" % f)
        number[str(path)] = f

    def parse(data: bytes, url: str, content_type: str) -> ParsedFeed:
        f = number[url]
        return ParsedFeed(title=f"Bench feed {f}", entries=[
            ParsedEntry(
                guid=f"https://bench{f}.example/a/{i}", title=f"Feed {f} article {i}: a headline",
                link=f"https://bench{f}.example/a/{i}", author="Staff",
                published=base - (f * per_feed + i) * 60,
                content_html="".join(PARAGRAPH.format(n=i + k) for k in range(12)),
                base_url=f"https://bench{f}.example/a/{i}")
            for i in range(per_feed)
        ])

    library = Library(paths, Settings(max_articles_per_feed=0), parser=parse)
    library.acquire()
    for f, url in enumerate(number):
        library.add_feed(url, tags=[f"group{f % 10}"])
    library.refresh_blocking()
    library.release()


def big_markdown(size: int) -> str:
    """A realistic Markdown article of about `size` bytes."""
    parts, n = [], 0
    while sum(len(p) for p in parts) < size:
        n += 1
        parts.append(f"## Section {n}\n\nA paragraph with **bold**, *emphasis* and a "
                     f"[link][{n}] that goes on for a while so that it wraps over several "
                     f"lines in a terminal of ordinary width, as long articles do.\n\n"
                     f"> A quoted passage from someone, said on the record.\n\n"
                     f"- a list item\n- another item\n\n")
    parts.append("\n".join(f"[{i}]: https://example.com/{i}" for i in range(1, n + 1)))
    return "".join(parts)


def process_start() -> float:
    """time.perf_counter() as it was when this process started (from /proc, 10 ms steps)."""
    ticks = os.sysconf("SC_CLK_TCK")
    started = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]) / ticks
    since_boot = float(Path("/proc/uptime").read_text().split()[0])
    return time.perf_counter() - (since_boot - started)


async def measure(paths: Paths, t0: float) -> dict[str, float]:
    from reader.ui.app import ReaderApp

    library = Library(paths, Settings())
    library.acquire()
    app = ReaderApp(library, offline=True)
    results: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.article_list.articles:
            if not app.is_running:
                raise RuntimeError("the app stopped before listing articles")
            await asyncio.sleep(0.005)
        await pilot.pause()
        results["first_paint_s"] = time.perf_counter() - t0
        results["articles_shown"] = len(app.article_list.articles)
        results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        app.focus_pane(app.article_list)
        await pilot.pause()
        moves = []
        for _ in range(30):
            t = time.perf_counter()
            await pilot.press("j")
            moves.append(time.perf_counter() - t)
        idle = []
        for _ in range(30):
            t = time.perf_counter()
            await pilot.press("f12")  # bound to nothing: the pilot's own cost
            idle.append(time.perf_counter() - t)
        results["cursor_move_raw_ms"] = statistics.median(moves) * 1000
        results["pilot_idle_key_ms"] = statistics.median(idle) * 1000
        # The pilot spends ~60 ms on any key, bound or not; the move itself is the difference.
        results["cursor_move_ms"] = max(results["cursor_move_raw_ms"] -
                                        results["pilot_idle_key_ms"], 0.0)
        from reader.ui.widgets.article_view import ArticleView

        shown_at: dict[str, float] = {}
        original_show = ArticleView.show

        def timed_show(view, article_id, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
            original_show(view, article_id, *args, **kwargs)
            shown_at[article_id] = time.perf_counter()

        ArticleView.show = timed_show
        opens, painted = [], []
        for _ in range(10):
            app.focus_pane(app.article_list)
            await pilot.press("j")
            await pilot.pause()
            target = app.article_list.current.id
            t = time.perf_counter()
            await pilot.press("enter")
            while target not in shown_at:
                if not app.is_running:
                    raise RuntimeError("the app stopped while opening an article")
                await asyncio.sleep(0.001)
            await pilot.pause()
            painted.append(time.perf_counter() - t)
            opens.append(shown_at[target] - t)
        ArticleView.show = original_show
        # key -> the article's text laid out in the view (what the reader waits for), and
        # key -> everything repainted, as the pilot sees it (includes the pilot's own cost).
        results["open_article_ms"] = statistics.median(opens) * 1000
        results["open_article_painted_ms"] = statistics.median(painted) * 1000
        markdown = big_markdown(100 * 1024)
        view = app.article_view
        shows, fulls = [], []
        for _ in range(5):
            t = time.perf_counter()
            view.show("big", [("Feed", "Bench")], "A long article", markdown)
            for y in range(view.size.height):  # the first screen, rendered to strips
                view.render_line(y)
            shows.append(time.perf_counter() - t)
            while not view.text.rstrip().endswith(f"https://example.com/{markdown.count('## ')}"):
                await asyncio.sleep(0.002)  # the rest, laid out in a thread
            fulls.append(time.perf_counter() - t)
            await pilot.pause()
        results["show_100kib_ms"] = statistics.median(shows) * 1000
        results["show_100kib_complete_ms"] = statistics.median(fulls) * 1000
        results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    library.release()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--per-feed", type=int, default=250)
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the measuring child's side
    args = parser.parse_args()
    if args.measure:
        t0 = process_start()
        print(json.dumps(asyncio.run(measure(Paths.from_env(), t0))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("CONFIG", "DATA", "CACHE"):
            os.environ[f"XDG_{name}_HOME"] = str(root / name.lower())
        paths = Paths.from_env()
        t = time.perf_counter()
        # built in a child process, so the peak memory measured is the app's alone
        child = multiprocessing.get_context("spawn").Process(
            target=build, args=(paths, args.feeds, args.per_feed))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"building the library failed (exit code {child.exitcode})")
        print(f"built {args.feeds * args.per_feed} articles in {time.perf_counter() - t:.1f} s")
        # measured in a fresh process, its clock started at that process's start
        child_run = subprocess.run([sys.executable, __file__, "--measure", "1"],
                                   capture_output=True, text=True, check=True)
        results = json.loads(child_run.stdout.strip().splitlines()[-1])
    targets = {"first_paint_s": 1.0, "cursor_move_ms": 50, "open_article_ms": 50,
               "show_100kib_ms": 150, "peak_rss_mb": 300}
    print(f"{'measure':22} {'value':>10} {'target':>8}  result")
    for key, value in results.items():
        target = targets.get(key)
        verdict = "" if target is None else ("PASS" if value <= target else "FAIL")
        print(f"{key:22} {value:10.1f} {target if target is not None else '':>8}  {verdict}")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "tui.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
