"""The core never imports textual: proven in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import reader

CORE = ["reader.cli", "reader.cli_sync", "reader.config",
        "reader.content.extract", "reader.fetch", "reader.library",
        "reader.locations", "reader.models", "reader.opml", "reader.parse", "reader.storage.store",
        "reader.textutil"]
# every module of the rooms below the UI, found on disk (a new one is checked without listing)
CORE += sorted({".".join(p.relative_to(Path(reader.__file__).parent.parent).with_suffix("").parts)
                for room in ("core", "content", "storage", "sync")
                for p in (Path(reader.__file__).parent / room).glob("*.py")
                if p.name != "__init__.py"} | {"reader.errors", "reader.export", "reader.search"})


def test_core_modules_do_not_import_textual() -> None:
    package = Path(reader.__file__).parent
    modules = list(CORE)
    if (package / "content" / "convert.py").exists():
        modules.append("reader.content.convert")
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=package.parent)
    assert out.stdout.strip() == ""


def test_the_check_itself_can_fail() -> None:
    out = subprocess.run([sys.executable, "-c",
                          "import sys, textual.app; print('textual' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
