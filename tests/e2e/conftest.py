"""Fixtures for the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def xdg(tmp_path: Path) -> dict[str, str]:
    """XDG folders under tmp_path, as environment variables for the `reader` command."""
    env = {f"XDG_{n}_HOME": str(tmp_path / n.lower()) for n in ("CONFIG", "DATA", "CACHE")}
    (tmp_path / "cache").mkdir()
    return env
