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


@pytest.mark.parametrize("heavy", [False, True])
def test_worker_processes_start_only_once_parsing_is_heavy(
        paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, heavy: bool) -> None:  # noqa: ANN001
    """Ordinary feeds parse in threads (no extra process: half the memory); worker processes
    start when parsing in threads has cost PROCESS_POOL_AFTER_S (here: at once)."""
    import reader.core.parsepool as parsepool_module
    from reader.config import Settings
    from reader.library import Library

    started: list[object] = []
    real_start = parsepool_module.start_process_pool

    def start():  # noqa: ANN202
        started.append(real_start())
        return started[-1]

    monkeypatch.setattr(parsepool_module, "start_process_pool", start)
    monkeypatch.setattr(parsepool_module.os, "cpu_count", lambda: 2)
    if heavy:
        monkeypatch.setattr(parsepool_module, "PROCESS_POOL_AFTER_S", 0.0)
    lib = Library(paths, Settings())
    lib.acquire()
    for n in range(10):
        feed = tmp_path / f"f{n}.xml"
        feed.write_bytes(RSS.replace(b"<title>T</title>", b"<title>F%d</title>" % n))
        lib.add_feed(str(feed))
    results = lib.refresh_blocking()
    lib.release()
    assert [r.status for r in results] == ["new"] * 10
    assert len(started) == (1 if heavy else 0)
