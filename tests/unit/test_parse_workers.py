"""The parse workers are lean (issue 19): spawned without a fork server, and without running
the program's main script (the `reader` script imports the whole CLI)."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from reader.core.parsepool import parse_or_reason, start_process_pool

RSS = (b"<rss version='2.0'><channel><title>T</title><item><title>a</title><guid>1</guid>"
       b"</item></channel></rss>")


def test_workers_parse_without_importing_the_main_script(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "reader-script.py"
    marker = tmp_path / "main-ran"
    script.write_text(f"open({str(marker)!r}, 'w').close()\nimport httpx\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    main.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", main)  # as under the installed `reader`
    pool = start_process_pool()
    try:
        parsed = pool.submit(parse_or_reason, RSS, "http://x.test/", "application/rss+xml")
        assert parsed.result(60).title == "T"
        modules = pool.submit(eval, "sorted(__import__('sys').modules)").result(60)
    finally:
        pool.shutdown()
    assert not marker.exists()
    assert "httpx" not in modules and "reader.cli" not in modules
    assert "multiprocessing.forkserver" not in modules
