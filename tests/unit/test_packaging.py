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
    [wheel] = tmp_path.glob("reader_tui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("reader/ui/app.py", "reader/ui/reader.tcss", "reader/ui/widgets/lists.py",
                   "reader/ui/screens/dialogs.py", "reader/content/site_rules.toml",
                   "reader/seeds/amn.xml", "reader/seeds/atom.xml", "reader/seeds/summary.xml",
                   "reader/seeds/jsonfeed.json", "reader/seeds/000_4ce2d9851149de12.txt"):
        assert needed in names, needed


def test_the_distribution_has_a_name_of_its_own_and_the_user_agent_names_it(
        paths, server) -> None:  # noqa: ANN001
    """`reader` on the package index is another project: ours is `reader-tui`, and the
    User-Agent that feed servers see points at it."""
    from reader import DISTRIBUTION
    from reader.config import Settings
    from reader.library import Library
    from tests.conftest import Route, rss

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == DISTRIBUTION == "reader-tui"
    assert project["scripts"] == {"reader": "reader.cli:main"}  # the command keeps its name
    server.routes["/a"] = Route(rss("A", [("1", "one")]))
    library = Library(paths, Settings())
    library.acquire()
    library.add_feed(server.url("/a"))
    library.refresh_blocking()
    library.release()
    agent = server.hits_for("/a")[0].headers["user-agent"]
    assert agent.startswith("reader-tui/") and "pypi.org/project/reader-tui/" in agent


def test_samples_load_when_python_imports_reader_from_the_checkout(tmp_path: Path) -> None:
    """`python3 -m reader` from the checkout's root imports the source `reader/`, which has
    no `seeds` package (it is installed from the top-level `seeds/`): the samples still load."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update({f"XDG_{n}_HOME": str(tmp_path / n.lower()) for n in ("CONFIG", "DATA", "CACHE")})
    env["PYTHONPATH"] = str(ROOT)
    # None in sys.modules: `import reader.seeds` fails as it does from a checkout whose
    # reader is not installed in editable mode (an editable install maps it to seeds/).
    code = ("import sys; sys.modules['reader.seeds'] = None\n"
            "from reader.library import seed_dir\n"
            "print(seed_dir())")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == ROOT / "seeds"
