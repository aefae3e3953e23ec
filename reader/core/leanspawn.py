"""multiprocessing's "spawn" start method for the parse workers, lean: a worker does not
import the program's main script first. The `reader` script imports the whole CLI (httpx
included): 10 MB more in each worker, which only runs `parsepool.parse_or_reason`, imported
by name. No fork server either: it was one more process of 27 MB.

Imported only when a process pool starts (and by each worker, to unpickle its Process)."""

from __future__ import annotations

from multiprocessing import context, popen_spawn_posix, spawn
from typing import Any


class LeanPopen(popen_spawn_posix.Popen):
    """Starts a spawned worker without the parent's main module in its preparation data."""

    def _launch(self, process_obj: Any) -> None:
        full = spawn.get_preparation_data

        def lean(name: str) -> dict[str, Any]:
            data = full(name)
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
            return data

        spawn.get_preparation_data = lean  # what Popen._launch calls, for this start only
        try:
            super()._launch(process_obj)
        finally:
            spawn.get_preparation_data = full


class LeanProcess(context.SpawnProcess):
    """A spawned Process started by LeanPopen."""

    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802 - multiprocessing's name
        return LeanPopen(process_obj)


class LeanSpawnContext(context.SpawnContext):
    """The context ProcessPoolExecutor is handed (mp_context)."""

    Process = LeanProcess
