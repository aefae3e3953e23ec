"""`reader run NAME ID`: a command of config.toml's [commands] run on one article, from the
command line (reader.core.commands does the work; reader.cli dispatches here)."""

from __future__ import annotations

import argparse
import sys

from reader.library import Library
from reader.textutil import strip_control

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def cmd_run(args: argparse.Namespace, library: Library) -> int:
    """Run the command; print what it printed (control characters dropped); say on stderr,
    in one line, when it failed, timed out or could not start. Exit 0 when it exited 0, 1
    when it failed or timed out, 2 when it could not start."""
    article = library.article(args.id)
    result = library.run_command(args.name, article)
    output = strip_control(result.output)
    if output:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
        sys.stdout.flush()
    if result.truncated:
        print(f"reader: {result.name}: its output was cut at 64 kB", file=sys.stderr)
    if result.status == "ok":
        return EXIT_OK
    what = {"failed": f"failed (exit {result.exit_code})", "error": result.error,
            "timeout": "killed: it ran past its timeout"}[result.status]
    print(f"reader: {result.name}: {strip_control(what)}", file=sys.stderr)
    return EXIT_USAGE if result.status == "error" else EXIT_FAILED
