"""Crash safety: `reader refresh` and a note/bookmark writer SIGKILLed at random moments.

One long test. A loopback server serves FEEDS feeds x ITEMS items; every cycle changes some
feeds, so a refresh always has real writes to make. The runs alternate:

  * `python -m reader refresh` (a real subprocess, its parse workers in its process group),
    killed with SIGKILL (the whole group) after a random delay;
  * a note-maker process (core API: Library.acquire(), add_note / edit_note / set_bookmark)
    that logs each change on stdout only AFTER the call returned, killed the same way.

Only one writer holds the lock, so the two never run at once. After every kill: a fresh
Library opens with no problem reported, every note and bookmark logged as saved is there with
its text equal (the one change in flight may or may not have landed), and every few kills a
`reader refresh` runs to the end with exit 0.

READER_CRASH_RUNS (default 50) sets how many kills; READER_CRASH_SEED replays a run (the seed
is printed in every failure message).
"""

from __future__ import annotations

import faulthandler
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from tests.conftest import FeedServer, Route

ROOT = Path(__file__).resolve().parents[2]
FEEDS = 100
ITEMS = 50
CHANGED_PER_CYCLE = 10
"""Feeds whose content changes before each refresh run (the others answer 304)."""
COMPLETE_EVERY = 5
"""A refresh that must complete with exit 0 runs after every this many kills."""
RUNS = int(os.environ.get("READER_CRASH_RUNS", "50"))


def feed_body(n: int, generation: int, base: str) -> bytes:
    """Feed n at a generation: items slide by one per generation. Summary-only items whose
    links point at the loopback server (`base`), so the automatic full-text fetch of a refresh
    runs too (the pages 404: the summary is kept) and never leaves the machine."""
    items = []
    for i in range(generation, generation + ITEMS):
        items.append(
            f"<item><guid>f{n}-i{i}</guid><title>Feed {n} item {i}</title>"
            f"<link>{base}/page/{n}/{i}</link>"
            f"<pubDate>Mon, 06 Sep 2021 16:{i % 60:02d}:00 +0000</pubDate>"
            f"<description>&lt;p&gt;Item {i} of feed {n}, generation {generation}. "
            + "Some words to make a body. " * 8 + "&lt;/p&gt;</description></item>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Feed {n}</title><link>{base}/site/{n}</link>"
            + "".join(items) + "</channel></rss>").encode()


NOTE_MAKER = textwrap.dedent("""
    import random, sys
    from reader.config import Settings
    from reader.library import Library
    from reader.locations import Paths

    rng = random.Random(int(sys.argv[1]))
    lib = Library(Paths.from_env(), Settings())
    lib.acquire()
    articles = lib.articles()
    print("ready", flush=True)
    serial = 0
    while True:
        serial += 1
        roll = rng.random()
        notes = lib.notes()
        if roll < 0.45 or not notes:
            a = rng.choice(articles)
            text = f"note {sys.argv[1]}-{serial}\\nsecond line é"
            print("begin add", flush=True)
            note = lib.add_note(a, text, quote=f"q{serial}")
            print("note", note.id, repr(text), flush=True)
        elif roll < 0.7:
            n = rng.choice(notes)
            text = f"edited {sys.argv[1]}-{serial}"
            print("begin edit", n.id, repr(text), flush=True)
            lib.edit_note(n.id, text)
            print("note", n.id, repr(text), flush=True)
        else:
            a = rng.choice(articles)
            on = not a.bookmarked if a.id not in lib.bookmarks() else False
            print("begin bookmark", a.id, int(on), flush=True)
            lib.set_bookmark(a, on)
            print("bookmark", a.id, int(on), flush=True)
            articles = lib.articles()
""")


def _env() -> dict[str, str]:
    """The `paths` fixture put XDG_* into os.environ; the children inherit them."""
    return dict(os.environ, PYTHONPATH=str(ROOT))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


class Expected:
    """What the note-maker logged as saved: note id -> text, article id -> bookmarked."""

    def __init__(self) -> None:
        self.notes: dict[str, str] = {}
        self.bookmarks: dict[str, bool] = {}
        self.in_flight: list[str] = []

    def feed(self, lines: list[str]) -> None:
        self.in_flight = []
        for line in lines:
            kind, _, rest = line.partition(" ")
            if kind == "note":
                nid, text = rest.split(" ", 1)
                self.notes[nid] = eval(text)  # noqa: S307 - our own repr() output
                self.in_flight = []
            elif kind == "bookmark":
                aid, on = rest.split()
                self.bookmarks[aid] = on == "1"
                self.in_flight = []
            elif kind == "begin":
                self.in_flight = rest.split(" ", 2)

    def check(self, lib: Library, where: str) -> None:
        stored = {n.id: n.text for n in lib.notes()}
        marks = lib.bookmarks()
        flight = self.in_flight
        for nid, text in self.notes.items():
            if flight[:2] == ["edit", nid] and stored.get(nid) == eval(flight[2]):  # noqa: S307
                continue  # the edit in flight landed: fine
            assert stored.get(nid) == text, f"{where}: note {nid} lost or changed"
        for aid, on in self.bookmarks.items():
            if flight[:2] == ["bookmark", aid]:
                continue
            assert (aid in marks) == on, f"{where}: bookmark {aid} should be {on}"
        # What landed unlogged (the change in flight) becomes the truth from now on.
        for nid, text in stored.items():
            self.notes[nid] = text
        for aid in marks:
            self.bookmarks[aid] = True
        for aid in [a for a, on in self.bookmarks.items() if on and a not in marks]:
            self.bookmarks[aid] = False


def _check_store(paths: Paths, expected: Expected, where: str) -> Library:
    lib = Library(paths, Settings())
    assert lib.problems == [], f"{where}: {lib.problems}"
    assert len(lib.feeds()) == FEEDS, where
    for path in list(paths.data_dir.rglob("*.json")) + list(paths.cache_dir.rglob("*.json")):
        json.loads(path.read_bytes())  # every file parses (atomic writes: never half a file)
    assert not [p for p in paths.data_dir.rglob("*corrupt*")], where
    expected.check(lib, where)
    return lib


def test_sigkill_refresh_and_note_maker_at_random_moments(paths: Paths,
                                                         server: FeedServer) -> None:
    # The whole test is one case: its own hang guard instead of the per-case 60 s.
    faulthandler.dump_traceback_later(max(300, RUNS * 8), exit=True, file=sys.__stderr__)
    seed = int(os.environ.get("READER_CRASH_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    tag = f"[seed {seed}, replay with READER_CRASH_SEED={seed} READER_CRASH_RUNS={RUNS}]"
    generation = [0] * FEEDS
    base = server.url("")
    for n in range(FEEDS):
        server.routes[f"/f{n}"] = Route(feed_body(n, 0, base), etag=f'"{n}-0"')
    lib = Library(paths, Settings())
    lib.acquire()
    for n in range(FEEDS):
        lib.add_feed(server.url(f"/f{n}"))
    assert all(r.status == "new" for r in lib.refresh_blocking())
    lib.release()
    env = _env()
    expected = Expected()
    timings: dict[str, list[float]] = {"refresh": [], "notes": [], "complete": []}
    started = time.monotonic()
    kills = 0
    finished_before_kill = 0
    while kills < RUNS:
        where = f"kill {kills + 1}/{RUNS} {tag}"
        if kills % 2 == 0:  # a refresh with real work to do, killed at a random moment
            for n in rng.sample(range(FEEDS), CHANGED_PER_CYCLE):
                generation[n] += 1
                server.routes[f"/f{n}"] = Route(feed_body(n, generation[n], base),
                                                etag=f'"{n}-{generation[n]}"')
            delay = rng.uniform(0.1, 2.0)
            proc = subprocess.Popen([sys.executable, "-m", "reader", "refresh"], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True)
            time.sleep(delay)
            finished = proc.poll() is not None
            _kill_group(proc)
            err = proc.stderr.read().decode()
            assert "Traceback" not in err, f"{where}: {err}"
            timings["refresh"].append(delay)
            finished_before_kill += finished
            where += f" (refresh killed after {delay:.2f}s{', had finished' if finished else ''})"
        else:  # the note-maker, killed at a random moment
            delay = rng.uniform(0.0, 1.0)
            proc = subprocess.Popen([sys.executable, "-c", NOTE_MAKER, str(rng.randrange(1 << 30))],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True)
            first = proc.stdout.readline().decode().strip()
            assert first == "ready", f"{where}: {first!r} {proc.stderr.read().decode()}"
            time.sleep(delay)
            _kill_group(proc)
            lines = proc.stdout.read().decode().splitlines()
            err = proc.stderr.read().decode()
            assert "Traceback" not in err, f"{where}: {err}"
            expected.feed(lines)
            timings["notes"].append(delay)
            where += f" (note-maker killed after {delay:.2f}s, {len(lines)} lines)"
        kills += 1
        _check_store(paths, expected, where)
        if kills % COMPLETE_EVERY == 0 or kills == RUNS:
            t0 = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "reader", "refresh"], env=env,
                                  capture_output=True, timeout=120)
            timings["complete"].append(time.monotonic() - t0)
            assert done.returncode == 0, f"{where}: next refresh: {done.stderr.decode()}"
            assert b"Traceback" not in done.stderr, where
            _check_store(paths, expected, where + " after a complete refresh")
    assert expected.notes, f"no note was ever saved {tag}"
    assert any(h.path.startswith("/page/") for h in server.hits)  # full text was fetched too
    final = _check_store(paths, expected, f"end {tag}")
    total = sum(len(final.articles(f.key)) for f in final.feeds()[:3])
    assert total >= 3 * ITEMS
    print(f"\n{RUNS} kills in {time.monotonic() - started:.1f}s {tag}; "
          f"{len(expected.notes)} notes, {sum(expected.bookmarks.values())} bookmarks; "
          f"{finished_before_kill} refreshes had finished before their kill; "
          f"complete refresh {max(timings['complete']):.2f}s at most")
