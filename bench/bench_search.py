"""Search benchmark: 100k articles, the first search (which builds the index) and the next ones.

Run: python bench/bench_search.py [--feeds 1000 --per-feed 80 --big 20000] [--keep]

The corpus and server are bench_scale.py's (1,000 feeds x 80 items + a 20,000-entry feed;
the word "zanzibar" is in the title or body of 4,021 articles). After `reader refresh`:

  cli first        `reader articles --search WORD --json`: builds the index (a cache)
  cli again        the same command once more (a new process: index current, nothing to do)
  app first        Library.articles(search=WORD) in one process, as the app's `/` does,
                   caches warm as after start-up (All listed once)
  app again        the median of 5 further searches for other words, then the same word
  common word      a word in every article (100k hits: the cost of listing them)
  after refresh    one feed changed (a new item): the next search indexes that feed only

Results on stdout and bench/out/search.json. bench/README-search.md has the last run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import WORD, Corpus, expected_hits, home_env, reader, start_server  # noqa: E402


def timed(fn, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t0, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--per-feed", type=int, default=80)
    parser.add_argument("--big", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench_search_"))
    env = home_env(root)
    corpus = Corpus(args.per_feed, args.big, 0.01)
    server, base = start_server(corpus)
    rows: list[dict[str, object]] = []

    def record(case: str, seconds: float, detail: str) -> None:
        rows.append({"case": case, "seconds": round(seconds, 4), "detail": detail})
        print(f"{case:16} {seconds * 1000:10.1f} ms  {detail}", flush=True)

    try:
        urls = root / "urls"
        urls.write_text("".join(f"{base}/f/{i:04d}.xml\n" for i in range(args.feeds))
                        + f"{base}/big.xml\n")
        reader(["import", str(urls)], env, root)
        reader(["refresh"], env, root)
        hits = expected_hits(args.feeds, args.per_feed, args.big) - 1  # no 5 MB feed here
        for case in ("cli first", "cli again"):
            run = reader(["articles", "--search", WORD, "--json"], env, root)
            found = len(json.loads(run.stdout))
            assert found == hits, (found, hits)
            record(case, run.seconds, f"{found} hits, whole process")

        os.environ.update(env)
        from reader.config import Settings
        from reader.library import Library
        from reader.locations import Paths

        library = Library(Paths.from_env(), Settings())
        library.acquire()
        try:
            total = len(library.articles())  # the app lists All at start-up
            seconds, found = timed(library.articles, search=WORD)
            assert len(found) == hits
            record("app first", seconds, f"{len(found)} hits of {total} articles")
            times = []
            for word in ("agenda item 7", "council", "nonexistentword", "met discuss", WORD):
                seconds, found = timed(library.articles, search=word)
                times.append(seconds)
            record("app again", statistics.median(times),
                   f"median of {len(times)} searches, max {max(times) * 1000:.0f} ms")
            seconds, found = timed(library.articles, search="members")
            record("common word", seconds, f"{len(found)} hits")
        finally:
            library.release()
        corpus.cache[f"/f/{0:04d}.xml"] = corpus.cache[f"/f/{0:04d}.xml"].replace(
            b"<item>", b"<item><title>Fresh zanzibar news</title><guid>fresh-1</guid>"
                       b"<description>new</description></item><item>", 1)
        reader(["refresh", f"{base}/f/0000.xml"], env, root)
        library = Library(Paths.from_env(), Settings())
        library.acquire()
        try:
            library.articles()
            seconds, found = timed(library.articles, search=WORD)
            assert len(found) == hits + 1, len(found)
            record("after refresh", seconds, "one feed indexed again")
        finally:
            library.release()
    finally:
        server.shutdown()
        out = Path(__file__).parent / "out"
        out.mkdir(exist_ok=True)
        (out / "search.json").write_text(json.dumps(rows, indent=2))
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
