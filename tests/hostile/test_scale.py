"""Scale, CI-sized (issue 7): 200 feeds, a 20,000-entry feed, a 5 MB article, ~24k articles.

The full-sized run with timings is bench/bench_scale.py (numbers in bench/README-scale.md);
this one only checks that every operation completes and gives the right answer. No timing
assertions: the hang guard of tests/hostile/conftest.py (and a timeout per command) is all.
It uses the bench's corpus and server, so both measure the same thing.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from bench.bench_scale import (
    WORD,
    Corpus,
    Run,
    add_notes,
    expected_hits,
    home_env,
    measured,
    reader_cmd,
    start_server,
)

FEEDS, PER_FEED, BIG, HUGE_MB, NOTES = 200, 20, 20_000, 5.0, 50
COMMAND_TIMEOUT_S = 300


def reader(args: list[str], env: dict[str, str], cwd: Path) -> Run:
    result = measured(reader_cmd() + args, env, cwd, timeout=COMMAND_TIMEOUT_S)
    assert result.code == 0, f"reader {' '.join(args)}: {result.code}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr
    return result


@pytest.mark.skipif(sys.platform == "win32", reason="os.wait4")
def test_scale_smoke(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    corpus = Corpus(PER_FEED, BIG, HUGE_MB)
    server, base = start_server(corpus)
    try:
        urls = tmp_path / "urls"
        urls.write_text("".join(f"{base}/f/{i:04d}.xml\n" for i in range(FEEDS)))
        reader(["import", str(urls)], env, tmp_path)
        reader(["add", f"{base}/big.xml"], env, tmp_path)
        reader(["add", f"{base}/huge.xml"], env, tmp_path)

        run = reader(["refresh", "--json"], env, tmp_path)
        report = json.loads(run.stdout)
        assert report["failed"] == 0
        assert report["new"] == FEEDS * PER_FEED + BIG + 1
        assert corpus.counts["200"] == FEEDS + 2

        run = reader(["refresh", "--json"], env, tmp_path)  # warm: every feed answers 304
        report = json.loads(run.stdout)
        assert report["new"] == 0 and report["failed"] == 0
        assert {f["status"] for f in report["feeds"]} == {"unchanged"}
        assert corpus.counts["304"] == FEEDS + 2

        feeds = json.loads(reader(["feeds", "--json"], env, tmp_path).stdout)
        assert len(feeds) == FEEDS + 2
        totals = {f["url"]: f["total"] for f in feeds}
        assert totals[f"{base}/big.xml"] == BIG  # every entry still in the feed is kept
        assert sum(totals.values()) == FEEDS * PER_FEED + BIG + 1

        found = json.loads(reader(["articles", "--search", WORD, "--json"], env,
                                  tmp_path).stdout)
        # every hit but the 5 MB article's: its word is past the converter's bound, so it is
        # not in the text the reader shows, and search finds what the reader shows (below)
        assert len(found) == expected_hits(FEEDS, PER_FEED, BIG) - 1
        assert len({a["id"] for a in found}) == len(found)
        titled = [a for a in found if WORD.title() in a["title"]]
        assert len(titled) == FEEDS * sum(1 for i in range(PER_FEED) if i % 40 == 0)

        huge = json.loads(reader(["articles", "--feed", f"{base}/huge.xml", "--json"], env,
                                 tmp_path).stdout)
        assert len(huge) == 1 and huge[0]["id"] not in {a["id"] for a in found}
        shown = reader(["show", huge[0]["id"]], env, tmp_path).stdout
        # The converter reads at most 1 M characters / 50,000 tags of a body (convert.py
        # MAX_INPUT_CHARS, MAX_TAGS) and says so; search reads the same part (above).
        assert len(shown) > 500_000
        assert "cut short here: it is too long to convert in full" in shown
        assert f"The end, in {WORD}." not in shown

        add_notes(env, NOTES)
        vault = tmp_path / "vault"
        reader(["notes", "export", str(vault)], env, tmp_path)
        files = sorted(vault.glob("*.md"))
        assert len(files) == NOTES
        ids = {re.search(r'^id: "([0-9a-f]+)"$', f.read_text(), re.MULTILINE).group(1)
               for f in files}
        notes = json.loads(reader(["notes", "--json"], env, tmp_path).stdout)
        assert ids == {n["article_id"] for n in notes}
        stamps = {f: f.stat().st_mtime_ns for f in files}
        reader(["notes", "export", str(vault)], env, tmp_path)
        assert sorted(vault.glob("*.md")) == files  # the same files again, none added
        assert {f: f.stat().st_mtime_ns for f in files} == stamps  # unchanged: untouched
    finally:
        server.shutdown()
        server.server_close()
