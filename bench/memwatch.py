"""Memory of a process and all its descendants, read from /proc (Linux).

`tree_peak_mb(pid)`: the sum of each process's own peak (VmHWM) now; `PeakWatcher`: samples
the sum of the tree's resident memory (VmRSS) every few ms while a command runs and keeps the
largest sum: the peak of all processes together, including workers that exit before the end.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_peak_mb(pid: int) -> float:
    """Sum of VmHWM (each process's own peak) over `pid` and its descendants, in MB."""
    return sum(_status_kb(p, "VmHWM:") for p in descendants(pid)) / 1024


def tree_rss_mb(pid: int) -> float:
    """Sum of VmRSS over `pid` and its descendants now, in MB."""
    return sum(_status_kb(p, "VmRSS:") for p in descendants(pid)) / 1024


class PeakWatcher:
    """Samples tree_rss_mb(pid) every `interval` s in a thread; `stop()` returns the peak."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self._done.wait(self.interval)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak
