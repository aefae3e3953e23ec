#!/usr/bin/env python3
"""Filter benchmark: a cold `reader refresh` of 200 feeds x 50 items with 20 [[filters]]
rules in config.toml against the same refresh without any (issue 17: within 10 %).

    python bench/bench_filters.py [--runs 3] [--keep]

The corpus and the loopback server are bench_refresh.py's (200 RSS feeds x 50 items, ~4 KB
of HTML each, served from 127.0.0.1 with ETags). Each run gets fresh throw-away homes; the
two cases are interleaved (without, with, without, with, ...) and the medians compared.
The 20 rules mix what a killfile holds: title/author/feed/category words, `text ~` rules
that read each new article's text, per-feed rules, and each action (hide, read, tag). The
script checks that the rules did something (hidden and read articles) and that both cases
stored the same 10,000 articles. Results on stdout and bench/out/filters.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_refresh import (  # noqa: E402 - the sibling benchmark's corpus and server
    FEEDS,
    ITEMS,
    OUT_DIR,
    Corpus,
    Home,
    Homes,
    feed_urls,
    git_state,
    reader_cmd,
    reader_subscribe,
    run,
    start_server,
)

TARGET = 1.10
"""With the rules, at most this many times the refresh without them."""

RULES = [
    ('title ~ "sponsored"', "hide", ""),
    ('title ~ "giveaway" or title ~ "advertisement"', "hide", ""),
    ('author = "Ken Thompson" and title ~ "kernel"', "tag", "unix"),
    ('category = "Opinion"', "read", ""),
    ('category = "Security" and title ~ "memory"', "tag", "security"),
    ('text ~ "compiler terminal"', "tag", "tools"),
    ('text ~ "benchmark latency"', "tag", "perf"),
    ('text ~ "zanzibar"', "hide", ""),
    ('title ~ "the of and"', "read", ""),
    ('feed ~ "Site 007" and not title ~ "feed"', "tag", "seven"),
    ('link ~ "/2024/05/"', "tag", "may"),
    ('title = "A title nobody writes"', "hide", ""),
    ('author ~ "hopper" and (title ~ "program" or title ~ "system")', "tag", "hopper"),
    ('title ~ "war" and not category = "News"', "read", ""),
    ('age > 30d and category = "Culture"', "read", ""),
    ('date < 2024-05-01 and title ~ "council"', "hide", ""),
    ('title ~ "release"', "tag", "releases"),
    ('title ~ "database" or title ~ "cache"', "tag", "storage"),
    ('feedurl ~ "/feeds/013.xml"', "hide", ""),
    ('title ~ "software" and author != "Alan Turing"', "tag", "software"),
]
"""20 rules; a few are scoped to one feed below (`feed = ...`)."""
PER_FEED = {2: "Site 002", 9: "Site 009"}


def config_text(base: str) -> str:
    """config.toml with the 20 rules (rules 2 and 9 limited to one feed each)."""
    out = []
    for number, (query, action, tag) in enumerate(RULES):
        out.append("[[filters]]")
        out.append(f"query = {json.dumps(query)}")
        out.append(f'action = "{action}"')
        if tag:
            out.append(f'tag = "{tag}"')
        if number in PER_FEED:
            feed = int(PER_FEED[number].split()[1])
            out.append(f'feed = "{base}/feeds/{feed:03d}.xml"')
        out.append("")
    return "\n".join(out)


def one_run(homes: Homes, base: str, with_rules: bool
            ) -> tuple[float, float, dict[str, int]]:
    """A cold refresh in a fresh home: (seconds, CPU seconds of the command and its parse
    workers, totals from `reader feeds --json`)."""
    home: Home = homes.new("rules" if with_rules else "plain")
    if with_rules:
        home.config.joinpath("reader").mkdir(parents=True, exist_ok=True)
        home.config.joinpath("reader", "config.toml").write_text(config_text(base))
    reader_subscribe(home, feed_urls(base, "feeds", slow=False))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, proc = run(reader_cmd() + ["refresh", "--no-full-text"], home)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if "warning:" in proc.stderr:
        raise RuntimeError(f"the rules were not all accepted:\n{proc.stderr[-2000:]}")
    _, feeds = run(reader_cmd() + ["feeds", "--json"], home)
    listed = json.loads(feeds.stdout)
    totals = {"articles": sum(f["total"] + f["hidden"] for f in listed),
              "hidden": sum(f["hidden"] for f in listed),
              "read": sum(f["total"] - f["unread"] for f in listed)}
    return seconds, cpu, totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary homes")
    args = parser.parse_args()
    corpus = Corpus()
    corpus.generate("feeds")
    server, stats, base = start_server(corpus)
    homes = Homes(args.keep)
    samples: dict[str, list[float]] = {"without": [], "with": []}
    cpu: dict[str, list[float]] = {"without": [], "with": []}
    totals: dict[str, dict[str, int]] = {}
    load_before = os.getloadavg()
    try:
        for n in range(args.runs):
            for case, with_rules in (("without", False), ("with", True)):
                seconds, used, found = one_run(homes, base, with_rules)
                samples[case].append(seconds)
                cpu[case].append(used)
                totals[case] = found
                print(f"run {n + 1} {case:7} rules: {seconds:6.2f} s  CPU {used:5.2f} s  "
                      f"{found}", flush=True)
    finally:
        server.shutdown()
        homes.cleanup()
    expected = FEEDS * ITEMS
    if totals["without"]["articles"] != expected or totals["with"]["articles"] != expected:
        print(f"FAIL: expected {expected} articles stored, got {totals}")
        return 1
    if not totals["with"]["hidden"] or not totals["with"]["read"]:
        print(f"FAIL: the rules hid or marked nothing: {totals['with']}")
        return 1
    without, with_ = statistics.median(samples["without"]), statistics.median(samples["with"])
    ratio = with_ / without
    verdict = "ok" if ratio <= TARGET else "OVER TARGET"
    print(f"\ncold refresh, {FEEDS} feeds x {ITEMS} items, median of {args.runs}:")
    print(f"  without rules  {without:6.2f} s")
    print(f"  with 20 rules  {with_:6.2f} s   ratio {ratio:.3f} (target <= {TARGET:.2f}) "
          f"{verdict}")
    best = min(samples["with"]) / min(samples["without"])
    cpu_ratio = statistics.median(cpu["with"]) / statistics.median(cpu["without"])
    print(f"  fastest runs   {min(samples['without']):6.2f} s / {min(samples['with']):6.2f} s"
          f"   ratio {best:.3f} (less moved by other load on the machine)")
    print(f"  CPU (command and parse workers, median) {statistics.median(cpu['without']):.2f} s"
          f" / {statistics.median(cpu['with']):.2f} s   ratio {cpu_ratio:.3f} (what the rules "
          "cost, whatever else runs on the machine)")
    print(f"  the rules hid {totals['with']['hidden']} and marked "
          f"{totals['with']['read']} read; load average {load_before} -> {os.getloadavg()}")
    OUT_DIR.mkdir(exist_ok=True)
    result: dict[str, Any] = {
        "without_s": without, "with_s": with_, "ratio": ratio, "target": TARGET,
        "fastest_ratio": best, "cpu_ratio": cpu_ratio, "cpu": cpu,
        "samples": samples, "totals": totals, "server": stats.summary(),
        "load": [load_before, os.getloadavg()], "when": time.time(), **git_state()}
    (OUT_DIR / "filters.json").write_text(json.dumps(result, indent=2))
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
