"""Compare article extractors on the realistic pages in tests/data/pages/.

    python bench/compare_extractors.py [--readability PYTHON] [--trafilatura PYTHON]

Candidates: our own extractor (reader.content.extract, run in this interpreter),
readability-lxml and trafilatura. Each library runs in a subprocess of the interpreter given
for it (a clean venv holding just that library: `python -m venv V && V/bin/pip install
readability-lxml`), so its import time and its weight are measured alone; a candidate without
an interpreter is skipped.

For every page the extracted HTML goes through reader.content.convert.convert (as the app
does) and is scored against tests/data/pages/expected.json: how many of the article's passages
are kept, how many clutter markers remain, and whether the pages that are no article (login wall,
cookie consent, soft 404) are refused. Two hostile inputs are timed too: 5 MB of script served
as HTML and 10,000 nested <div>s. Results: a Markdown table on stdout and
bench/out/compare_extractors.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "data" / "pages"
OUT = ROOT / "bench" / "out" / "compare_extractors.json"

# Runs inside the candidate's interpreter: reads {"pages": {name: [path, url]}} on stdin,
# prints {"import_ms": .., "pages": {name: {"html": .., "ms": .., "error": ..}}}.
WORKER = r'''
import json, sys, time
job = json.load(sys.stdin)
name = job["candidate"]
t = time.perf_counter()
if name == "readability-lxml":
    from readability import Document
    def run(data, url):
        html = Document(data.decode("utf-8", "replace"), url=url).summary(html_partial=True)
        return html if len(" ".join(html.split())) > 0 else None
elif name == "trafilatura":
    import trafilatura
    def run(data, url):
        return trafilatura.extract(data.decode("utf-8", "replace"), url=url,
                                   output_format="html", include_images=True,
                                   include_links=True, include_tables=True,
                                   include_formatting=True)
else:
    from reader.content.extract import ExtractError, extract
    def run(data, url):
        try:
            return extract(data, url, "text/html").html
        except ExtractError:
            return None
import_ms = (time.perf_counter() - t) * 1000
results = {}
for page, (path, url) in job["pages"].items():
    if path.startswith("gen:"):
        data = job_gen = None
        if path == "gen:script":
            data = (b"<html><head><title>app</title></head><body><div id=app></div><script>"
                    + b"var a=[1,2,3];function f(x){return x*2}\n" * 120_000
                    + b"</script></body></html>")
        else:
            data = (b"<html><body>" + b"<div>" * 10_000 + b"<p>deep text, with a comma.</p>"
                    + b"</div>" * 10_000 + b"</body></html>")
    else:
        data = open(path, "rb").read()
    best = None
    out, error = None, None
    for _ in range(job["repeat"]):
        t = time.perf_counter()
        try:
            out = run(data, url)
        except BaseException as exc:
            error = f"{type(exc).__name__}: {str(exc)[:80]}"
        ms = (time.perf_counter() - t) * 1000
        best = ms if best is None else min(best, ms)
    results[page] = {"html": out, "ms": best, "error": error}
print(json.dumps({"import_ms": import_ms, "pages": results}))
'''


def _site_packages_kb(python: str) -> int | None:
    """Size of the interpreter's site-packages (the library and its dependencies)."""
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    path = subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()
    if not path:
        return None
    out = subprocess.run(["du", "-sk", path], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


def _run(candidate: str, python: str, pages: dict[str, list[str]], repeat: int) -> dict:
    job = json.dumps({"candidate": candidate, "pages": pages, "repeat": repeat})
    proc = subprocess.run([python, "-c", WORKER], input=job, capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"{candidate} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def _score(expected: dict, result: dict) -> dict:
    from reader.content.convert import convert

    scores: dict[str, dict] = {}
    for page, spec in expected["articles"].items():
        html = result["pages"][page]["html"]
        markdown = convert(html, base_url=spec["url"]).markdown if html else ""
        kept = [s for s in spec["keep"] if s in markdown]
        left = [s for s in spec["drop"] if s in markdown]
        scores[page] = {"kept": len(kept), "of": len(spec["keep"]), "lost":
                        [s for s in spec["keep"] if s not in kept], "clutter": left,
                        "ms": result["pages"][page]["ms"]}
    for page in expected["refused"]:
        scores[page] = {"refused": not result["pages"][page]["html"],
                        "ms": result["pages"][page]["ms"]}
    for page in ("script_5mb", "nested_10k"):
        r = result["pages"][page]
        scores[page] = {"ms": r["ms"], "error": r["error"]}
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readability", metavar="PYTHON", help="interpreter with readability-lxml")
    parser.add_argument("--trafilatura", metavar="PYTHON", help="interpreter with trafilatura")
    parser.add_argument("--repeat", type=int, default=5, help="runs per page (best is kept)")
    args = parser.parse_args()
    expected = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
    pages = {name: [str(PAGES / f"{name}.html"), spec["url"]]
             for group in ("articles", "refused") for name, spec in expected[group].items()}
    pages["script_5mb"] = ["gen:script", "https://example.com/app"]
    pages["nested_10k"] = ["gen:nested", "https://example.com/deep"]
    candidates = [("ours (reader.content.extract)", sys.executable)]
    if args.readability:
        candidates.append(("readability-lxml", args.readability))
    if args.trafilatura:
        candidates.append(("trafilatura", args.trafilatura))
    report = {}
    for name, python in candidates:
        result = _run(name, python, pages, args.repeat)
        report[name] = {"import_ms": result["import_ms"],
                        # ours adds nothing: BeautifulSoup is already a dependency
                        "site_packages_kb": None if python == sys.executable
                        else _site_packages_kb(python),
                        "pages": _score(expected, result)}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")

    names = list(report)
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    print("| import ms | " + " | ".join(f"{report[n]['import_ms']:.0f}" for n in names) + " |")
    for page in expected["articles"]:
        cells = []
        for n in names:
            s = report[n]["pages"][page]
            cells.append(f"kept {s['kept']}/{s['of']}, clutter {len(s['clutter'])}, "
                         f"{s['ms']:.0f} ms")
        print(f"| {page} | " + " | ".join(cells) + " |")
    for page in expected["refused"]:
        cells = ["refused" if report[n]["pages"][page]["refused"] else "**returned text**"
                 for n in names]
        print(f"| {page} | " + " | ".join(cells) + " |")
    for page in ("script_5mb", "nested_10k"):
        cells = [f"{report[n]['pages'][page]['ms']:.0f} ms"
                 + (f" ({report[n]['pages'][page]['error']})"
                    if report[n]["pages"][page]["error"] else "") for n in names]
        print(f"| {page} | " + " | ".join(cells) + " |")
    for n in names:
        for page in expected["articles"]:
            s = report[n]["pages"][page]
            if s["lost"] or s["clutter"]:
                print(f"\n{n} / {page}: lost {s['lost']}; clutter left {s['clutter']}")


if __name__ == "__main__":
    main()
