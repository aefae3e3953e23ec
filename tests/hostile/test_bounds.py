"""Memory bound of `reader refresh` on the biggest hostile cases, measured in a subprocess.

Bound: peak RSS of the `reader refresh` process (and any worker it waited for) below
PEAK_RSS_MB. Measured on the development machine (Python 3.11, 2 cores):
~45 MB for most cases, ~105 MB for the 20,000-entry feed and ~110 MB for the
one-line billion laughs (expat stops it at its amplification limit).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FeedServer, Route
from tests.hostile.harness import NO_FULL_TEXT
from tests.hostile.test_content import CASES as CONTENT
from tests.hostile.test_xml import CASES as XML

PEAK_RSS_MB = 400
BIG = ["entries-20000", "title-1mb", "billion-laughs-one-line", "doctype-parameter-bomb",
       "deep-nesting-10000-html-body", "deep-nesting-10000-xml"]
# The wrapper runs the command and reports the peak RSS of its children (KiB on Linux).
WRAPPER = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)")


@pytest.mark.parametrize("case_id", BIG)
def test_refresh_peak_memory_is_bounded(case_id: str, server: FeedServer,
                                        tmp_path: Path) -> None:
    case = next(c for c, _ in XML + CONTENT if c.id == case_id)
    path = f"/{case_id}.xml"
    body = case.body(server.url(path)) if callable(case.body) else case.body
    server.routes[path] = Route(body, headers={"Content-Type": case.content_type})
    env = dict(os.environ, **{f"XDG_{n}_HOME": str(tmp_path / n.lower())
                              for n in ("CONFIG", "DATA", "CACHE")})
    reader = [sys.executable, "-m", "reader"]
    subprocess.run([*reader, "add", server.url(path)], env=env, check=True, timeout=60,
                   capture_output=True)
    done = subprocess.run([sys.executable, "-c", WRAPPER, *reader, "refresh", "--json",
                           *NO_FULL_TEXT], env=env, timeout=60, capture_output=True, text=True)
    peak_kib, code = done.stdout.strip().splitlines()[-1].split()
    report = json.loads(done.stdout[: done.stdout.rstrip().rfind("\n")])
    peak_mb = int(peak_kib) / 1024
    print(f"{case_id}: peak RSS {peak_mb:.0f} MB")
    assert code in ("0", "1") and "Traceback" not in done.stderr, done.stderr
    assert report["feeds"][0]["status"] in ("new", "error")
    assert peak_mb < PEAK_RSS_MB, f"{case_id}: {peak_mb:.0f} MB"
