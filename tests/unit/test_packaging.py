"""A non-editable install carries every package and data file the reader needs."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "reader").rglob(
        "__init__.py")}
    assert found | {"reader.seeds"} == listed


def test_the_wheel_has_the_app_styles_rules_and_seeds(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    [wheel] = tmp_path.glob("reader-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("reader/ui/app.py", "reader/ui/reader.tcss", "reader/ui/widgets/lists.py",
                   "reader/ui/screens/dialogs.py", "reader/site_rules.toml",
                   "reader/seeds/amn.xml", "reader/seeds/atom.xml", "reader/seeds/summary.xml",
                   "reader/seeds/jsonfeed.json", "reader/seeds/000_4ce2d9851149de12.txt"):
        assert needed in names, needed
