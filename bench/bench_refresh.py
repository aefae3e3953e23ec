#!/usr/bin/env python3
"""Refresh benchmark: `reader refresh` against `newsboat -x reload` on a local HTTP corpus.

    python bench/bench_refresh.py [--quick] [--no-newsboat] [--profile] [--keep]
                                  [--feeds N] [--only-cold-warm]

What it does (nothing touches the real user's files: every run gets a fresh temporary
HOME and XDG_CONFIG_HOME / XDG_DATA_HOME / XDG_CACHE_HOME):

1. Generates a deterministic corpus: 200 RSS 2.0 feeds x 50 items, ~4 KB of article HTML
   per item in content:encoded (paragraphs, links, a list, an image), guid, pubDate, title.
   A second corpus has 250 items per feed (50k articles) for the scale cases.
2. Serves it on 127.0.0.1 (random free port) from a threaded HTTP server in this process:
   strong ETag + Last-Modified, 304 on If-None-Match / If-Modified-Since. URLs under /slow/
   wait 200 ms before answering (each request on its own thread: delays overlap).
3. Times, as whole commands (wall clock), cold / warm / cold-with-200-ms-delay refreshes for
   reader and for newsboat (reload-threads 8); median of 3 runs (1 with --quick), the two
   programs interleaved. newsboat 2.21 stores validators only from its second reload on, so
   its warm case (all 304) is its third reload. Server counts of 200/304 are printed.
4. Builds a 50k-article reader library and times `reader feeds` (median of 5) and one
   in-process `Library.mark_read` call (median of 20 different articles).
5. Prints a table with targets and writes it as JSON to bench/out/refresh.json.

Memory: while each reader refresh / newsboat reload runs, the resident memory of the command
and every process below it (parse workers, fork server, resource tracker) is summed every
20 ms (bench/memwatch.py); the largest sum is its peak of all processes together.
--feeds N serves N feeds instead of 200 (issue 19 measures 200 and 1000); --only-cold-warm
skips the 200 ms case and the 50k scale case.

newsboat is installed with apt-get when missing; if that fails its columns are skipped.
--profile also runs one cold `reader refresh` under cProfile (bench/out/refresh_cold.prof).
"""

from __future__ import annotations

import argparse
import email.utils
import functools
import hashlib
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from memwatch import PeakWatcher  # noqa: E402

FEEDS = 200
ITEMS = 50
BIG_ITEMS = 250
DELAY_S = 0.2
NEWSBOAT_THREADS = 8
OUT_DIR = Path(__file__).resolve().parent / "out"
BASE_DATE = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
LAST_MODIFIED = email.utils.format_datetime(BASE_DATE, usegmt=True)

# -- corpus ----------------------------------------------------------------------------------

WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been one all we their has would when if "
    "more no out do so can what up said about other into than its time only could new them "
    "man some these then two first may any like now my such make over our even most me state "
    "after also made many did must before back see through way where get much go well your "
    "know should down work year because come people just say each those take day good how "
    "long own too little use us very great still men here life both between old under last "
    "never place same another think house while high right might came off find states since "
    "used give against three himself look few general hand school part small american home "
    "during number again mrs around thought went without however govern don't does got public "
    "united point end become head once course fact upon need system set every war put form "
    "water took program present government thing told possible group large until always city "
    "didn't order away called want eyes something unite going face far asked interest later "
    "show knew though less night early almost let open enough side case days yet better "
    "nothing tell problem toward given why national room young social light business policy "
    "research council network software release library compiler terminal keyboard feed reader "
    "server protocol latency throughput cache database benchmark kernel storage memory parser"
).split()
NAMES = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Ken Thompson",
         "Margaret Hamilton", "Dennis Ritchie", "Frances Allen", "Edsger Dijkstra", "Radia Perlman")
CATEGORIES = ("News", "Technology", "Science", "Opinion", "Culture", "Open source", "Security")


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(WORDS, k=n))


def _sentence(rng: random.Random) -> str:
    text = _words(rng, rng.randint(8, 18))
    return text[0].upper() + text[1:] + "."


def _title(rng: random.Random) -> str:
    text = _words(rng, rng.randint(4, 9))
    if rng.random() < 0.15:
        text += " & " + _words(rng, 2)
    return text[0].upper() + text[1:]


def _paragraph(rng: random.Random, site: str) -> str:
    parts = []
    for _ in range(rng.randint(3, 5)):
        sentence = _sentence(rng)
        roll = rng.random()
        if roll < 0.25:
            words = sentence.split(" ")
            at = rng.randrange(1, len(words) - 2)
            slug = "-".join(rng.choices(WORDS, k=3)).replace("'", "")
            words[at] = f'<a href="{site}/{slug}/">{words[at]} {words[at + 1]}</a>'
            del words[at + 1]
            sentence = " ".join(words)
        elif roll < 0.35:
            sentence = f"<em>{sentence}</em>"
        elif roll < 0.42:
            sentence = f"<strong>{sentence}</strong>"
        parts.append(sentence)
    return "<p>" + " ".join(parts) + "</p>"


@functools.lru_cache(maxsize=None)
def article_html(feed: int, item: int, site: str) -> str:
    """About 4 KB of typical blog-post HTML, deterministic for (feed, item)."""
    rng = random.Random(f"html-{feed}-{item}")
    blocks = [_paragraph(rng, site), _paragraph(rng, site)]
    blocks.append(
        f'<figure><img src="https://img.example.net/f{feed:03d}/{item}.jpg" '
        f'alt="{escape(_title(rng))}" width="800" height="450" loading="lazy" />'
        f"<figcaption>{escape(_sentence(rng))}</figcaption></figure>"
    )
    blocks.append(_paragraph(rng, site))
    blocks.append(f"<h2>{escape(_title(rng))}</h2>")
    items = []
    for n in range(rng.randint(4, 6)):
        text = escape(_words(rng, rng.randint(4, 10)))
        if n % 2:
            text = f'<a href="https://docs.example.org/{feed}/{item}/{n}">{text}</a>'
        items.append(f"<li>{text}</li>")
    blocks.append("<ul>" + "".join(items) + "</ul>")
    while sum(len(b) for b in blocks) < 3700:
        if rng.random() < 0.15:
            blocks.append(f"<blockquote><p>{_sentence(rng)}</p></blockquote>")
        else:
            blocks.append(_paragraph(rng, site))
    blocks.append(f'<p>The post <a href="{site}/p/{item}/">first appeared on Site {feed}</a>.</p>')
    return "\n".join(blocks)


def feed_xml(feed: int, items: int) -> bytes:
    """One RSS 2.0 feed, newest item first, deterministic."""
    site = f"https://site{feed:03d}.example.com"
    rng = random.Random(f"feed-{feed}")
    channel_title = f"Site {feed:03d}: {_title(rng)}"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        "<channel>\n",
        f"<title>{escape(channel_title)}</title>\n<link>{site}/</link>\n",
        f"<description>{escape(_sentence(rng))}</description>\n<language>en</language>\n",
        f"<lastBuildDate>{email.utils.format_datetime(BASE_DATE)}</lastBuildDate>\n",
    ]
    for item in range(items):
        irng = random.Random(f"item-{feed}-{item}")
        date = BASE_DATE - timedelta(hours=6 * item, minutes=7 * feed)
        title = _title(irng)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
        summary = " ".join(_sentence(irng) for _ in range(2))
        out.append(
            "<item>\n"
            f"<title>{escape(title)}</title>\n"
            f"<link>{site}/{date:%Y/%m/%d}/{slug}/</link>\n"
            f'<guid isPermaLink="false">{site}/?p={feed * 10000 + item}</guid>\n'
            f"<pubDate>{email.utils.format_datetime(date)}</pubDate>\n"
            f"<dc:creator><![CDATA[{irng.choice(NAMES)}]]></dc:creator>\n"
            f"<category><![CDATA[{irng.choice(CATEGORIES)}]]></category>\n"
            f"<description><![CDATA[<p>{summary}</p>]]></description>\n"
            # Items past the 50th reuse a body (the 50k corpus is about metadata volume).
            f"<content:encoded><![CDATA[{article_html(feed, item % ITEMS, site)}]]>"
            "</content:encoded>\n"
            "</item>\n"
        )
    out.append("</channel>\n</rss>\n")
    return "".join(out).encode("utf-8")


class Corpus:
    """Feed bodies by (corpus name, feed number), generated once and kept in memory."""

    SIZES = {"feeds": ITEMS, "big": BIG_ITEMS}

    def __init__(self) -> None:
        self._bodies: dict[tuple[str, int], tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def get(self, name: str, feed: int) -> tuple[bytes, str]:
        """(body, strong ETag)."""
        key = (name, feed)
        with self._lock:
            found = self._bodies.get(key)
        if found is None:
            body = feed_xml(feed, self.SIZES[name])
            found = (body, '"' + hashlib.sha1(body).hexdigest()[:20] + '"')
            with self._lock:
                self._bodies[key] = found
        return found

    def generate(self, name: str) -> None:
        for feed in range(FEEDS):
            self.get(name, feed)


# -- server ----------------------------------------------------------------------------------

@dataclass
class Stats:
    """What the server answered since the last reset."""

    status: dict[int, int] = field(default_factory=dict)
    bytes_sent: int = 0
    max_in_flight: int = 0
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.status, self.bytes_sent, self.max_in_flight = {}, 0, 0

    def begin(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def end(self, code: int, size: int) -> None:
        with self.lock:
            self.in_flight -= 1
            self.status[code] = self.status.get(code, 0) + 1
            self.bytes_sent += size

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {"status": {str(k): v for k, v in sorted(self.status.items())},
                    "bytes": self.bytes_sent, "max_in_flight": self.max_in_flight}


_PATH_RE = re.compile(r"/(feeds|big)/(\d{3})\.xml")


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


class FeedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real feed servers do
    corpus: Corpus
    stats: Stats

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.stats.begin()
        code, size = 500, 0
        try:
            code, size = self._answer()
        finally:
            self.stats.end(code, size)

    def _answer(self) -> tuple[int, int]:
        path = self.path.split("?", 1)[0]
        if path.startswith("/slow/"):
            path = path[len("/slow"):]
            time.sleep(DELAY_S)  # latency of a far server; this thread only
        match = _PATH_RE.fullmatch(path)
        if match is None or int(match.group(2)) >= FEEDS:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return 404, 0
        body, etag = self.corpus.get(match.group(1), int(match.group(2)))
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        fresh = False
        if inm is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
            fresh = _etag_matches(inm, etag)
        elif ims:
            try:
                fresh = email.utils.parsedate_to_datetime(ims) >= BASE_DATE
            except (TypeError, ValueError):
                fresh = False
        if fresh:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.end_headers()
            return 304, 0
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", LAST_MODIFIED)
        self.send_header("Cache-Control", "max-age=0")
        self.end_headers()
        self.wfile.write(body)
        return 200, len(body)


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops SYNs under 16 concurrent connects


def start_server(corpus: Corpus) -> tuple[FeedServer, Stats, str]:
    stats = Stats()
    handler = type("Handler", (FeedHandler,), {"corpus": corpus, "stats": stats})
    server = FeedServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, name="feed-server", daemon=True).start()
    host, port = server.server_address[:2]
    return server, stats, f"http://{host}:{port}"


# -- isolated homes and commands -------------------------------------------------------------

@dataclass
class Home:
    root: Path
    env: dict[str, str]

    @property
    def config(self) -> Path:
        return Path(self.env["XDG_CONFIG_HOME"])

    @property
    def data(self) -> Path:
        return Path(self.env["XDG_DATA_HOME"])


class Homes:
    """Fresh, throw-away HOME + XDG folders under one temporary root."""

    def __init__(self, keep: bool):
        self.root = Path(tempfile.mkdtemp(prefix="bench_refresh_"))
        self.keep = keep
        self._n = 0

    def new(self, tag: str) -> Home:
        self._n += 1
        root = self.root / f"{self._n:02d}-{tag}"
        env = {k: v for k, v in os.environ.items()
               if "proxy" not in k.lower() and not k.startswith("XDG_")}
        for var, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "config"),
                         ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")):
            (root / sub).mkdir(parents=True)
            env[var] = str(root / sub)
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        return Home(root, env)

    def cleanup(self) -> None:
        if self.keep:
            print(f"kept the temporary homes in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


PEAK_MB: list[float] = [0.0]
"""Peak resident memory of the last `run` command and all its processes together (MB)."""


def run(cmd: list[str], home: Home, check: bool = True
        ) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a whole command; (wall seconds, result); its peak memory goes to PEAK_MB[0]."""
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, env=home.env, cwd=home.root, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher = PeakWatcher(child.pid)
    out, err = child.communicate()
    elapsed = time.perf_counter() - t0
    PEAK_MB[0] = watcher.stop()
    proc = subprocess.CompletedProcess(cmd, child.returncode, out, err)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed, proc


def feed_urls(base: str, corpus: str, slow: bool) -> list[str]:
    prefix = "/slow" if slow else ""
    return [f"{base}{prefix}/{corpus}/{i:03d}.xml" for i in range(FEEDS)]


def reader_cmd() -> list[str]:
    found = shutil.which("reader")
    return [found] if found else [sys.executable, "-m", "reader"]


def reader_subscribe(home: Home, urls: list[str]) -> None:
    urls_file = home.root / "urls"
    urls_file.write_text("\n".join(urls) + "\n")
    run(reader_cmd() + ["import", str(urls_file)], home)


def reader_total(home: Home) -> int:
    _, proc = run(reader_cmd() + ["feeds", "--json"], home)
    return sum(f["total"] for f in json.loads(proc.stdout))


def ensure_newsboat() -> tuple[str | None, str]:
    """(path to newsboat or None, a note)."""
    found = shutil.which("newsboat")
    if found:
        return found, ""
    print("newsboat not found: apt-get install -y newsboat ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "install", "-y", "-q", "newsboat"],
                ["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "newsboat"]):
        try:
            subprocess.run(cmd, env=env, capture_output=True, timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired):
            break
        found = shutil.which("newsboat")
        if found:
            return found, ""
    return None, "newsboat could not be installed (apt-get install -y newsboat failed)"


class Newsboat:
    """A newsboat set up in an isolated home with its own urls, config and cache."""

    def __init__(self, exe: str, home: Home, urls: list[str]):
        self.exe, self.home = exe, home
        folder = home.config / "newsboat"
        folder.mkdir(parents=True)
        (home.data / "newsboat").mkdir(parents=True)
        self.urls = folder / "urls"
        self.config = folder / "config"
        self.cache = home.data / "newsboat" / "cache.db"
        self.error_log = home.root / "newsboat-errors.log"
        self.urls.write_text("\n".join(urls) + "\n")
        self.config.write_text(f"reload-threads {NEWSBOAT_THREADS}\n"
                               f'error-log "{self.error_log}"\n')

    def reload(self) -> float:
        cmd = [self.exe, "-x", "reload", "-u", str(self.urls), "-c", str(self.cache),
               "-C", str(self.config)]
        return run(cmd, self.home)[0]

    def items(self) -> int:
        with sqlite3.connect(self.cache) as db:
            return db.execute("select count(*) from rss_item").fetchone()[0]

    def errors(self) -> int:
        if not self.error_log.exists():
            return 0
        return sum(1 for line in self.error_log.read_text(errors="replace").splitlines() if line)


# -- the cases --------------------------------------------------------------------------------

@dataclass
class Bench:
    base: str
    stats: Stats
    homes: Homes
    newsboat: str | None
    samples: dict[str, list[float]] = field(default_factory=dict)
    log: dict[str, Any] = field(default_factory=dict)

    def note(self, key: str, value: Any) -> None:
        self.log.setdefault(key, []).append(value)
        print(f"  {key}: {value}", flush=True)

    def sample(self, key: str, seconds: float, **details: Any) -> None:
        self.samples.setdefault(key, []).append(seconds)
        self.note(key, {"s": round(seconds, 3), "server": self.stats.summary(), **details})

    def reader_round(self, slow: bool) -> None:
        """One cold refresh in a fresh home (subscribing is not timed), then a warm one."""
        tag = "reader slow" if slow else "reader"
        home = self.homes.new(tag.replace(" ", "-"))
        reader_subscribe(home, feed_urls(self.base, "feeds", slow))
        self.stats.reset()
        seconds, proc = run(reader_cmd() + ["refresh"], home)
        peak = PEAK_MB[0]
        self.samples.setdefault(f"{tag} cold MB", []).append(peak)
        self.sample(f"{tag} cold", seconds, articles=reader_total(home), peak_mb=round(peak, 1),
                    output=proc.stdout.strip())
        if not slow:
            self.stats.reset()
            seconds, proc = run(reader_cmd() + ["refresh"], home)
            self.samples.setdefault(f"{tag} warm MB", []).append(PEAK_MB[0])
            self.sample(f"{tag} warm", seconds, peak_mb=round(PEAK_MB[0], 1),
                        output=proc.stdout.strip())

    def newsboat_round(self, slow: bool) -> None:
        """The same for `newsboat -x reload`; warm is measured once validators are stored."""
        if not self.newsboat:
            return
        tag = "newsboat slow" if slow else "newsboat"
        boat = Newsboat(self.newsboat, self.homes.new(tag.replace(" ", "-")),
                        feed_urls(self.base, "feeds", slow))
        self.stats.reset()
        seconds = boat.reload()
        self.samples.setdefault(f"{tag} cold MB", []).append(PEAK_MB[0])
        self.sample(f"{tag} cold", seconds, rss_items=boat.items(), errors=boat.errors(),
                    peak_mb=round(PEAK_MB[0], 1))
        if slow:
            return
        # newsboat 2.21 saves ETag/Last-Modified with an UPDATE that runs before the feed's
        # row exists, so its second reload still downloads everything; warm is the third.
        self.stats.reset()
        seconds = boat.reload()
        self.note(f"{tag} second reload (untimed)", {"s": round(seconds, 3),
                                                     "server": self.stats.summary()})
        self.stats.reset()
        seconds = boat.reload()
        self.samples.setdefault(f"{tag} warm MB", []).append(PEAK_MB[0])
        self.sample(f"{tag} warm", seconds, rss_items=boat.items(), errors=boat.errors(),
                    peak_mb=round(PEAK_MB[0], 1))

    def scale(self, feeds_runs: int, marks: int) -> tuple[list[float], list[float]]:
        home = self.homes.new("reader-50k")
        reader_subscribe(home, feed_urls(self.base, "big", False))
        self.stats.reset()
        seconds, _ = run(reader_cmd() + ["refresh"], home)
        total = reader_total(home)
        self.note("reader 50k build (untimed)", {"refresh s": round(seconds, 1),
                                                 "server": self.stats.summary(),
                                                 "articles": total})
        feeds = [run(reader_cmd() + ["feeds"], home)[0] for _ in range(feeds_runs)]
        self.note("reader feeds 50k", [round(s, 3) for s in feeds])
        marks_s = mark_read_times(home, marks)
        self.note("mark_read ms", [round(s * 1000, 2) for s in marks_s])
        return feeds, marks_s

    def profile(self) -> Path:
        """One cold refresh under cProfile (main process only: parsing runs in workers)."""
        home = self.homes.new("reader-profile")
        reader_subscribe(home, feed_urls(self.base, "feeds", False))
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        out = OUT_DIR / "refresh_cold.prof"
        run([sys.executable, "-m", "cProfile", "-o", str(out)] + reader_cmd() + ["refresh"], home)
        return out


def mark_read_times(home: Home, count: int) -> list[float]:
    """Time Library.mark_read in this process, on `count` articles spread over the library."""
    saved = {k: os.environ.get(k) for k in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                                             "XDG_CACHE_HOME")}
    os.environ.update({k: home.env[k] for k in saved})
    try:
        from reader.library import Library
        from reader.locations import Paths

        lib = Library(Paths.from_env())
        lib.acquire()
        try:
            articles = lib.articles()
            step = max(1, len(articles) // count)
            times = []
            for k in range(0, step * count, step):
                article = articles[(k + 7) % len(articles)]
                t0 = time.perf_counter()
                lib.mark_read(article, True)
                times.append(time.perf_counter() - t0)
            return times
        finally:
            lib.release()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# -- report ----------------------------------------------------------------------------------

def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def row(case: str, reader_s: float | None, newsboat_s: float | None, target: str,
        measured: float | None, limit: float, unit: str) -> dict[str, Any]:
    ratio = reader_s / newsboat_s if reader_s and newsboat_s else None
    return {
        "case": case, "reader_s": reader_s, "newsboat_s": newsboat_s,
        "ratio_reader_newsboat": ratio, "target": target, "measured": measured, "unit": unit,
        "limit": limit, "pass": None if measured is None else measured <= limit,
    }


def fmt(value: float | None, spec: str) -> str:
    if value is not None and spec == ".3f" and value < 0.01:
        spec = ".5f"
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict[str, Any]]) -> None:
    head = ("case", "reader s", "newsboat s", "ratio r/n", "target", "measured", "result")
    lines = [head]
    for r in rows:
        spec = ".1f" if r["unit"] == "ms" else ".3f" if r["unit"] == "s" else ".2f"
        measured = fmt(r["measured"], spec)
        lines.append((
            r["case"], fmt(r["reader_s"], ".3f"), fmt(r["newsboat_s"], ".3f"),
            fmt(r["ratio_reader_newsboat"], ".2f"), r["target"],
            measured + (r["unit"] if r["measured"] is not None and r["unit"] != "x" else
                        "x" if r["measured"] is not None else ""),
            {True: "PASS", False: "FAIL", None: "skip"}[r["pass"]],
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for n, line in enumerate(lines):
        print("  ".join(cell.ljust(w) if i in (0, 4) else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(line, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def git_state() -> dict[str, Any]:
    """Which reader code was measured (others may have uncommitted edits in reader/)."""
    repo = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              check=False)
        return proc.stdout.strip()

    return {"head": git("rev-parse", "--short", "HEAD"),
            "reader_uncommitted": git("status", "--porcelain", "--", "reader").splitlines()}


def main() -> int:
    global FEEDS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run per case (~2 minutes)")
    parser.add_argument("--no-newsboat", action="store_true", help="reader columns only")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one cold reader refresh (bench/out/refresh_cold.prof)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary homes")
    parser.add_argument("--feeds", type=int, default=FEEDS, help="feeds served (default 200)")
    parser.add_argument("--only-cold-warm", action="store_true",
                        help="skip the 200 ms delay case and the 50k scale case")
    args = parser.parse_args()
    FEEDS = args.feeds
    started = time.perf_counter()
    runs = 1 if args.quick else 3
    feeds_runs = 3 if args.quick else 5

    newsboat, newsboat_note = (None, "skipped (--no-newsboat)") if args.no_newsboat \
        else ensure_newsboat()
    version = ""
    if newsboat:
        version = subprocess.run([newsboat, "--version"], capture_output=True, text=True,
                                 check=False).stdout.splitlines()[0]
    print(f"reader: {' '.join(reader_cmd())}\nnewsboat: {version or newsboat_note}")

    # A pip install compiles bytecode; an editable one under PYTHONDONTWRITEBYTECODE never
    # does, and every run would then recompile reader/ (~60 ms). Compile it once up front.
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "reader"), quiet=1)
    load_before = os.getloadavg()
    git = git_state()
    if load_before[0] > 0.5:
        print(f"note: the machine is busy before the run (load {load_before[0]:.2f} on "
              f"{os.cpu_count()} CPUs): timings will be noisy")
    t0 = time.perf_counter()
    corpus = Corpus()
    corpus.generate("feeds")
    size = sum(len(corpus.get("feeds", i)[0]) for i in range(FEEDS))
    print(f"corpus: {FEEDS} feeds x {ITEMS} items, {size / 1e6:.1f} MB, "
          f"generated in {time.perf_counter() - t0:.1f}s")
    server, stats, base = start_server(corpus)
    print(f"serving on {base} ({'/slow/ adds ' + str(int(DELAY_S * 1000)) + ' ms'})\n")
    homes = Homes(args.keep)
    bench = Bench(base, stats, homes, newsboat)
    try:
        for n in range(runs):  # interleaved, so both programs see the same machine load
            print(f"cold + warm, no delay (round {n + 1}/{runs})", flush=True)
            bench.reader_round(slow=False)
            bench.newsboat_round(slow=False)
        feeds_s, marks_s = [], []
        for n in range(0 if args.only_cold_warm else runs):
            print(f"cold, 200 ms per request (round {n + 1}/{runs})", flush=True)
            bench.reader_round(slow=True)
            bench.newsboat_round(slow=True)
        if not args.only_cold_warm:
            print("scale: 200 feeds x 250 articles", flush=True)
            feeds_s, marks_s = bench.scale(feeds_runs, 20)
        prof = bench.profile() if args.profile else None
    finally:
        server.shutdown()
        homes.cleanup()

    def med(key: str) -> float | None:
        return median(bench.samples.get(key, []))

    rc, nc, rw, nw = med("reader cold"), med("newsboat cold"), med("reader warm"), \
        med("newsboat warm")
    rs, ns = med("reader slow cold"), med("newsboat slow cold")
    rcm, ncm = med("reader cold MB"), med("newsboat cold MB")
    rwm, nwm = med("reader warm MB"), med("newsboat warm MB")
    rows = [
        row("refresh cold", rc, nc, "<= 1.0x newsboat",
            rc / nc if rc and nc else None, 1.0, "x"),
        row("refresh warm (all 304)", rw, nw, "<= 0.25x reader cold",
            rw / rc if rw and rc else None, 0.25, "x"),
        row("refresh warm, wall", rw, nw, "<= 0.6 s", rw, 0.6, "s"),
        row("refresh cold, 200 ms delay", rs, ns, "<= 0.6x newsboat",
            rs / ns if rs and ns else None, 0.6, "x"),
        row("cold peak MB, all processes", rcm, ncm, "<= 1.5x newsboat",
            rcm / ncm if rcm and ncm else None, 1.5, "x"),
        row("warm peak MB, all processes", rwm, nwm, "<= 1.5x newsboat",
            rwm / nwm if rwm and nwm else None, 1.5, "x"),
        row("reader feeds, 50k articles", median(feeds_s), None, "<= 0.5 s",
            median(feeds_s), 0.5, "s"),
        row("mark one article read", median(marks_s), None, "<= 20 ms",
            median(marks_s) * 1000 if marks_s else None, 20.0, "ms"),
    ]
    print()
    print_table(rows)
    if not newsboat:
        print(f"\nnote: newsboat columns skipped: {newsboat_note}")
    total = time.perf_counter() - started
    print(f"\ntotal run time {total:.0f}s; runs per cold/warm case: {runs}; "
          f"load average before/after: {load_before[0]:.2f}/{os.getloadavg()[0]:.2f}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "loadavg_before": load_before,
                    "loadavg_after": os.getloadavg()},
        "git": git,
        "newsboat": version or newsboat_note, "newsboat_reload_threads": NEWSBOAT_THREADS,
        "quick": args.quick, "runs": runs, "corpus": {"feeds": FEEDS, "items": ITEMS,
                                                     "bytes": size, "big_items": BIG_ITEMS},
        "rows": rows,
        "samples": dict(bench.samples, reader_feeds_50k=feeds_s, mark_read=marks_s),
        "log": bench.log, "total_s": total,
    }
    (OUT_DIR / "refresh.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {OUT_DIR / 'refresh.json'}")
    if prof:
        import pstats

        print(f"\nprofile of one cold reader refresh: {prof}\n(main thread of the main process "
              "only: parsing runs in worker processes and storing in a thread; a sampling "
              "profiler such as py-spy --subprocesses sees those)")
        pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
