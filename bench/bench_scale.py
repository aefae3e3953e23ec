"""Scale benchmark (issue 7): 1,000 feeds, a 20,000-entry feed, a 5 MB article, 100k articles.

Run: python bench/bench_scale.py [--feeds 1000 --per-feed 80 --big 20000 --huge-mb 5 --notes 500]

Items carry their full text (content:encoded): summary-only items would make the reader
fetch each article's web page too, a different cost (and unreachable hosts here).

Everything runs against a throw-away HOME/XDG tree and a loopback HTTP server (ETag + 304).
Each measured step is a whole `reader` command in a child process, timed by wall clock, with
the peak RSS of that child (and of any worker process it waited for) from os.wait4
in a small launcher process (a fork of the bench itself would count the bench's memory):

  refresh cold        `reader refresh` of the small feeds, first time (all 200)
  refresh warm        the same again (all 304)
  refresh big feed    `reader refresh URL` of the 20,000-entry feed, first time
  first paint         the app (Textual headless, like bench_tui.py) from process start until
                      the article list shows rows, over the whole library
  feeds               `reader feeds`
  search              `reader articles --search WORD --json` over every article
  notes export        `reader notes export DIR` with --notes annotated articles
  show 5 MB           `reader show ID` of the 5 MB article
Results: a table on stdout and bench/out/scale.json. bench/README-scale.md has the last run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

WORD = "zanzibar"
"""The search word: in the title of some articles, in the body of others (known counts)."""
BASE_DATE = 1_700_000_000
BODY = ("<p>Council members met on {day} to discuss item {n} of the agenda, including "
        "<a href=\"/items/{n}\">the budget</a> and <em>road repairs</em>.</p>"
        "<p>Residents asked questions; a decision is expected next month.{word}</p>")


def _date(seconds: int) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(seconds))


def _item(feed: int, i: int, in_title: bool, in_body: bool, body: str | None = None) -> str:
    title = f"Feed {feed} item {i}" + (f" {WORD.title()} report" if in_title else "")
    text = body if body is not None else BODY.format(
        day="Tuesday", n=i, word=f" On {WORD}." if in_body else "")
    return (f"<item><title>{title}</title><guid isPermaLink=\"false\">f{feed}-i{i}</guid>"
            f"<link>https://site{feed}.example/a/{i}</link>"
            f"<pubDate>{_date(BASE_DATE - feed * 1000 - i * 60)}</pubDate>"
            f"<description>Item {i} of feed {feed}.</description>"
            f"<content:encoded><![CDATA[{text}]]></content:encoded></item>")


def _rss(title: str, items: list[str]) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>{title}</title><link>https://example.com/</link>"
            + "".join(items) + "</channel></rss>").encode()


def small_feed(feed: int, per_feed: int) -> bytes:
    """Feed `feed`: every 40th item has WORD in its title, every 40th (offset 20) in its body."""
    return _rss(f"Small feed {feed}", [_item(feed, i, i % 40 == 0, i % 40 == 20)
                                       for i in range(per_feed)])


def big_feed(entries: int) -> bytes:
    """One feed of `entries` items; every 1000th has WORD in its body."""
    return _rss("Big feed", [_item(100_000, i, False, i % 1000 == 0) for i in range(entries)])


def huge_article_feed(megabytes: float) -> bytes:
    """One item whose body is `megabytes` MB of paragraphs, WORD once at the very end."""
    para = ("<p>A long paragraph of a very long article, with <b>bold</b> words and a "
            "<a href=\"https://example.com/x\">link</a> now and then, as long reads have.</p>")
    count = int(megabytes * 1024 * 1024 / len(para))
    body = para * count + f"<p>The end, in {WORD}.</p>"
    return _rss("Huge article", [_item(200_000, 0, False, False, body=body)])


def expected_hits(feeds: int, per_feed: int, big: int) -> int:
    """How many articles `reader articles --search WORD` must list."""
    per = sum(1 for i in range(per_feed) if i % 40 in (0, 20))
    return feeds * per + sum(1 for i in range(big) if i % 1000 == 0) + 1


class Corpus:
    """path -> body, made on first request and kept (the same bytes every time)."""

    def __init__(self, per_feed: int, big: int, huge_mb: float) -> None:
        self.per_feed, self.big, self.huge_mb = per_feed, big, huge_mb
        self.cache: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.counts = {"200": 0, "304": 0, "404": 0}

    def body(self, path: str) -> bytes | None:
        with self.lock:
            if path not in self.cache:
                if path.startswith("/f/") and path.endswith(".xml"):
                    data = small_feed(int(path[3:-4]), self.per_feed)
                elif path == "/big.xml":
                    data = big_feed(self.big)
                elif path == "/huge.xml":
                    data = huge_article_feed(self.huge_mb)
                else:
                    return None
                self.cache[path] = data
            return self.cache[path]


def start_server(corpus: Corpus) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            body = corpus.body(self.path)
            if body is None:
                status, body, headers = 404, b"no such feed", {}
            else:
                etag = f'"{len(body):x}-{hash(body[:200]) & 0xffffffff:x}"'
                headers = {"ETag": etag, "Content-Type": "application/rss+xml"}
                status = 304 if self.headers.get("If-None-Match") == etag else 200
                if status == 304:
                    body = b""
            corpus.counts[str(status)] += 1
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def home_env(root: Path) -> dict[str, str]:
    """A throw-away HOME and XDG tree under `root`, no proxies."""
    env = {k: v for k, v in os.environ.items()
           if "proxy" not in k.lower() and not k.startswith("XDG_")}
    for var, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "config"),
                     ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")):
        (root / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(root / sub)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def reader_cmd() -> list[str]:
    found = shutil.which("reader")
    return [found] if found else [sys.executable, "-m", "reader"]


@dataclass
class Run:
    seconds: float
    peak_mb: float
    code: int
    stdout: str
    stderr: str


# The child's peak RSS comes from os.wait4 in a small launcher process: a child forked
# straight from this (large) process would count this process's pages in its own peak.
LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)
"""


def measured(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = 600) -> Run:
    """Run `cmd`; wall seconds and the peak RSS of the child (and of any worker process it
    waited for), from os.wait4 in a launcher."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, rss.name, *cmd], env=env,
                                cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        seconds = time.perf_counter() - t0
        peak_kb = float(rss.read() or 0)
        out.seek(0)
        err.seek(0)
        return Run(seconds, peak_kb / 1024, code,
                   out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def reader(args: list[str], env: dict[str, str], cwd: Path, ok: tuple[int, ...] = (0,)) -> Run:
    result = measured(reader_cmd() + args, env, cwd)
    if result.code not in ok:
        raise RuntimeError(f"reader {' '.join(args)} exited {result.code}:\n"
                           f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result


def add_notes(env: dict[str, str], count: int) -> float:
    """Notes on `count` articles through the Library API (set-up, in this process)."""
    from reader.config import Settings
    from reader.library import Library
    from reader.locations import Paths

    saved = dict(os.environ)
    os.environ.update({k: env[k] for k in env if k.startswith("XDG_") or k == "HOME"})
    try:
        library = Library(Paths.from_env(), Settings())
        library.acquire()
        t0 = time.perf_counter()
        articles = library.articles()
        step = max(1, len(articles) // count)
        for article in articles[::step][:count]:
            library.add_note(article, f"A note on {article.title}", quote="Council members")
        library.release()
        return time.perf_counter() - t0
    finally:
        os.environ.clear()
        os.environ.update(saved)


def first_paint_child(started: float) -> None:
    """In a child process: open the app headless and print seconds from `started` (the
    parent's clock when it started this process) to the first article rows."""
    import asyncio

    from reader.config import Settings
    from reader.library import Library
    from reader.locations import Paths
    from reader.ui.app import ReaderApp

    async def go() -> dict[str, float]:
        library = Library(Paths.from_env(), Settings())
        library.acquire()
        app = ReaderApp(library, offline=True)
        async with app.run_test(size=(120, 40)) as pilot:
            while not app.article_list.articles:
                if not app.is_running:
                    raise RuntimeError("the app stopped before listing articles")
                await asyncio.sleep(0.005)
            await pilot.pause()
            shown = time.time() - started
            rows = len(app.article_list.articles)
        library.release()
        return {"first_paint_s": shown, "rows": rows}

    print(json.dumps(asyncio.run(go())))


Step = tuple[str, Callable[[], Run], str]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--per-feed", type=int, default=80)
    parser.add_argument("--big", type=int, default=20_000)
    parser.add_argument("--huge-mb", type=float, default=5.0)
    parser.add_argument("--notes", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    parser.add_argument("--first-paint-child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_paint_child is not None:
        first_paint_child(args.first_paint_child)
        return 0

    load_before = os.getloadavg()
    root = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    env = home_env(root)
    corpus = Corpus(args.per_feed, args.big, args.huge_mb)
    server, base = start_server(corpus)
    rows: list[dict[str, Any]] = []

    def record(case: str, run: Run, detail: str) -> None:
        rows.append({"case": case, "seconds": round(run.seconds, 3),
                     "peak_rss_mb": round(run.peak_mb, 1), "detail": detail})
        print(f"{case:28} {run.seconds:8.2f} s {run.peak_mb:8.1f} MB  {detail}", flush=True)

    try:
        t0 = time.perf_counter()
        for path in [f"/f/{i:04d}.xml" for i in range(args.feeds)] + ["/big.xml", "/huge.xml"]:
            corpus.body(path)
        size = sum(len(b) for b in corpus.cache.values()) / 1e6
        print(f"corpus: {args.feeds} feeds x {args.per_feed} + {args.big} + 1 articles, "
              f"{size:.0f} MB, made in {time.perf_counter() - t0:.1f} s; load {load_before}")
        urls = root / "urls"
        urls.write_text("".join(f"{base}/f/{i:04d}.xml\n" for i in range(args.feeds)))
        reader(["import", str(urls)], env, root)

        corpus.counts.update({"200": 0, "304": 0})
        run = reader(["refresh"], env, root)
        record("refresh cold (small feeds)", run,
               f"{corpus.counts['200']} x 200, {args.feeds * args.per_feed} articles")
        corpus.counts.update({"200": 0, "304": 0})
        run = reader(["refresh"], env, root)
        record("refresh warm (small feeds)", run, f"{corpus.counts['304']} x 304")
        reader(["add", f"{base}/big.xml"], env, root)
        reader(["add", f"{base}/huge.xml"], env, root)
        run = reader(["refresh", f"{base}/big.xml"], env, root)
        record("refresh 20k-entry feed", run, f"{args.big} entries")
        run = reader(["refresh", f"{base}/huge.xml"], env, root)
        record("refresh 5 MB-article feed", run, f"{len(corpus.cache['/huge.xml']) / 1e6:.1f} MB")

        run = reader(["feeds", "--json"], env, root)
        total = sum(f["total"] for f in json.loads(run.stdout))
        expected_total = args.feeds * args.per_feed + args.big + 1
        assert total == expected_total, (total, expected_total)
        record("reader feeds", reader(["feeds"], env, root), f"{total} articles")

        run = reader(["articles", "--search", WORD, "--json"], env, root)
        hits = len(json.loads(run.stdout))
        assert hits == expected_hits(args.feeds, args.per_feed, args.big), hits
        record("articles --search (100k)", run, f"{hits} hits (expected)")

        setup = add_notes(env, args.notes)
        print(f"  (set-up: {args.notes} notes through Library.add_note in {setup:.1f} s)")
        out_dir = root / "vault"
        run = reader(["notes", "export", str(out_dir)], env, root)
        files = len(list(out_dir.glob("*.md")))
        assert files == args.notes, files
        record("notes export", run, f"{files} files")
        run = reader(["notes", "export", str(out_dir)], env, root)
        record("notes export again", run, "unchanged files")

        run = reader(["articles", "--feed", f"{base}/huge.xml", "--json"], env, root)
        huge_id = json.loads(run.stdout)[0]["id"]
        run = reader(["show", huge_id], env, root)
        cut = "cut short here" in run.stdout[-3000:]
        assert cut or WORD in run.stdout[-2000:], "the 5 MB article is shown, or says it is cut"
        record("show 5 MB article", run, f"{len(run.stdout) / 1e6:.1f} MB of Markdown"
               + (" (cut at the converter's bound, and says so)" if cut else ""))

        run = measured([sys.executable, __file__, "--first-paint-child", str(time.time())],
                       env, root)
        if run.code != 0:
            raise RuntimeError(run.stderr[-3000:])
        paint = json.loads(run.stdout.strip().splitlines()[-1])
        run.seconds = paint["first_paint_s"]
        record("app start to first paint", run, f"{paint['rows']} rows listed")
        cache_mb = sum(p.stat().st_size for p in Path(env["XDG_CACHE_HOME"]).rglob("*")
                       if p.is_file()) / 1e6
        data_mb = sum(p.stat().st_size for p in Path(env["XDG_DATA_HOME"]).rglob("*")
                      if p.is_file()) / 1e6
        print(f"cache {cache_mb:.0f} MB, data {data_mb:.1f} MB; load {os.getloadavg()}")
    finally:
        server.shutdown()
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "scale.json").write_text(json.dumps(
        {"args": vars(args), "rows": rows, "load_before": load_before,
         "load_after": os.getloadavg(), "cache_mb": cache_mb, "data_mb": data_mb}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
