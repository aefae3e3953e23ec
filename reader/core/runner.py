"""The one way the core runs many network jobs at once (feeds of a refresh, pages of a
full-text fetch): all started, each reporting as it ends, and any of them able to call the
rest off when the network is plainly gone. How many talk at once is the fetcher's bound."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

StopOthers = Callable[[], None]
"""Cancels every job of the run but the one calling it."""


async def run_all(items: Iterable[T], job: Callable[[T, StopOthers], Awaitable[None]]) -> None:
    """Run `job(item, stop_others)` for every item concurrently; returns when all ended
    or were cancelled. A job must report its own result and errors."""
    tasks: list[asyncio.Task[None]] = []

    def stop_others() -> None:
        for task in tasks:
            if task is not asyncio.current_task():
                task.cancel()

    tasks.extend(asyncio.ensure_future(job(item, stop_others)) for item in items)
    await asyncio.gather(*tasks, return_exceptions=True)
