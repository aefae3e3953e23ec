#!/usr/bin/env bash
# Install everything the test suite needs, then run all of it.
# Used by the README and by CI (.ci/run); safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

# System packages: tmux for the end-to-end tests (they drive the real `reader` in a terminal).
if ! command -v tmux >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    echo "installing tmux (apt-get)…"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq tmux >/dev/null
fi

# Python packages: the reader itself (editable) plus the test extras from pyproject.toml.
"$PYTHON" -m pip install --quiet --disable-pip-version-check -e '.[test]'

"$PYTHON" -m ruff check reader tests bench
# lint-imports: the import contracts in pyproject.toml ([tool.importlinter]), run with $PYTHON.
"$PYTHON" -c 'import sys; from importlinter.cli import lint_imports_command as lint
sys.argv[0] = "lint-imports"; sys.exit(lint())'
exec "$PYTHON" -m pytest -q -p no:cacheprovider "$@"
