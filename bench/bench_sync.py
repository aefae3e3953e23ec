#!/usr/bin/env python3
"""Sync benchmark: `reader sync` against the fake Google Reader server of the tests.

    python bench/bench_sync.py [--items N] [--runs R] [--personality freshrss|miniflux|both]

For each personality (tests/fakes/greader.py: FreshRSS greader.php, Miniflux
internal/googlereader), in a fresh temporary HOME and XDG folders:
1. the server holds one account with 10 feeds and N unread items in all (default 10,000);
2. `reader account add` (not timed), then `reader sync` is timed as a whole command: the
   first sync (every item's contents), then a no-change sync, then a sync after 100 changes
   on "another device" (read and starred on the server) and 100 read marks made here;
3. the server counts the requests of each sync, by endpoint.
Median wall time of R runs (default 3). Writes bench/out/sync.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.greader import FakeGReader  # noqa: E402


def reader_command() -> str:
    beside = Path(sys.executable).parent / "reader"
    return str(beside) if beside.exists() else (shutil.which("reader") or "reader")


def run(env: dict[str, str], *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run([reader_command(), *args], env=env, capture_output=True, text=True,
                          timeout=600)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"reader {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return took, done


def requests(server: FakeGReader, since: int) -> dict[str, int]:
    counts = Counter(path.rsplit("/0/", 1)[-1].rsplit("/", 1)[-1] if "/0/" in path
                     else path.rsplit("/", 1)[-1] for _m, path, _q in server.requests[since:])
    return dict(counts) | {"total": sum(counts.values())}


def one_run(personality: str, items: int) -> dict[str, object]:
    home = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env |= {"HOME": str(home), "READER_PASSWORD": "secret"}
    for name in ("CONFIG", "DATA", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    out: dict[str, object] = {}
    try:
        with FakeGReader(personality) as server:
            feeds = [server.add_feed(f"Feed {n}", f"Folder {n % 3}") for n in range(10)]
            per = items // len(feeds)
            ids = [i for fid in feeds for i in server.add_items(fid, per)]
            run(env, "account", "add", "greader", server.url, "--user", "alice", "--name", "b")
            for case in ("first", "no_change", "after_changes"):
                if case == "after_changes":
                    for eid in ids[:50]:
                        server.mark(eid, read=True)
                    for eid in ids[50:100]:
                        server.mark(eid, starred=True)
                    listing = json.loads(run(env, "articles", "--unread", "--json")[1].stdout)
                    local = [a["id"] for a in listing[-100:]]
                    run(env, "read", *local)
                before = len(server.requests)
                took, done = run(env, "sync", "--json")
                [result] = json.loads(done.stdout)["accounts"]
                out[case] = {"seconds": round(took, 3), "requests": requests(server, before),
                             "new": result["new"], "sent": result["sent"],
                             "read_changed": result["read_changed"],
                             "stars_changed": result["stars_changed"]}
            took, _ = run(env, "feeds", "--json")
            out["feeds_after"] = {"seconds": round(took, 3)}
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--personality", default="both",
                        choices=["freshrss", "miniflux", "both"])
    args = parser.parse_args()
    personalities = ["freshrss", "miniflux"] if args.personality == "both" \
        else [args.personality]
    report: dict[str, object] = {"items": args.items, "runs": args.runs,
                                 "python": platform.python_version(),
                                 "cpus": os.cpu_count(), "load": os.getloadavg()[0]}
    print(f"{'personality':<11} {'case':<14} {'median s':>9} {'requests':>9}  by endpoint")
    for personality in personalities:
        runs = [one_run(personality, args.items) for _ in range(args.runs)]
        summary = {}
        for case in ("first", "no_change", "after_changes", "feeds_after"):
            seconds = statistics.median(r[case]["seconds"] for r in runs)  # type: ignore[index]
            reqs = runs[0][case].get("requests", {})  # type: ignore[union-attr]
            summary[case] = {"median_seconds": seconds, "all_seconds": [
                r[case]["seconds"] for r in runs], "requests": reqs,  # type: ignore[index]
                "result": {k: v for k, v in runs[0][case].items()  # type: ignore[union-attr]
                           if k not in ("seconds", "requests")}}
            total = reqs.get("total", "") if isinstance(reqs, dict) else ""
            detail = ", ".join(f"{k} {v}" for k, v in reqs.items() if k != "total") \
                if isinstance(reqs, dict) else ""
            print(f"{personality:<11} {case:<14} {seconds:>9.2f} {total!s:>9}  {detail}")
        report[personality] = summary
    target = ROOT / "bench" / "out"
    target.mkdir(parents=True, exist_ok=True)
    (target / "sync.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
