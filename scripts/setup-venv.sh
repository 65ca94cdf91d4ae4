#!/usr/bin/env bash
# Create .venv and install smtp-help into it: what `make run` and `make test` do on a first install.
#
# Says what it is doing in a few lines; pip's own output (progress, notices, index warnings) goes to a log file
# named in one line, and is shown in full only when a step fails. A Python that cannot create a virtual
# environment (Debian/Ubuntu without python3-venv) gets one sentence saying which package to install.
# Environment: PYTHON (default python3.11, else python3), VENV (.venv), STAMP ($VENV/.installed),
# SETUP_LOG (.venv-setup.log), EXTRAS (.[dev]: the tests' tools too, so `make run` and `make test` share one venv).
set -uo pipefail

VENV=${VENV:-.venv}
STAMP=${STAMP:-$VENV/.installed}
LOG=${SETUP_LOG:-.venv-setup.log}
EXTRAS=${EXTRAS:-.[dev]}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3 || true)}

fail() { printf '%s\n' "$*" >&2; exit 1; }

show_log_and_fail() {  # a step failed: its full output, then the one line that says which step
  cat "$LOG" >&2
  fail "$1 failed (output above, also in $LOG)."
}

if [ -z "$PYTHON" ] || ! command -v "$PYTHON" >/dev/null 2>&1; then
  fail "No python3 found: install Python 3.11 or later (Debian/Ubuntu: sudo apt install python3 python3-venv), then run make again."
fi
version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) \
  || fail "$PYTHON does not run: install Python 3.11 or later, or name one with make run PYTHON=/path/to/python3.11."
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
  fail "smtp-help needs Python 3.11 or later and $PYTHON is $version: install a newer one (Debian 12 and Ubuntu 24.04 have it) or name it with make run PYTHON=/path/to/python3.11."
fi

started=$(date +%s)
: > "$LOG"
if [ ! -x "$VENV/bin/python" ]; then
  # Debian and Ubuntu ship venv's ensurepip in a separate package; without it `python3 -m venv` prints a
  # paragraph and leaves a half-made directory behind. Ask first, and answer in one sentence.
  if ! "$PYTHON" -c 'import ensurepip, venv' >>"$LOG" 2>&1; then
    fail "Python $version cannot create a virtual environment because its venv/ensurepip part is not installed: on Debian/Ubuntu run \`sudo apt install python$version-venv\` (or python3-venv), then run make again."
  fi
  echo "Setting up the Python environment in $VENV (first run, about 90 s; pip's output goes to $LOG)…"
  if ! "$PYTHON" -m venv "$VENV" >>"$LOG" 2>&1; then
    rm -rf "$VENV"  # half-made (no pip): the next run starts clean
    if grep -q ensurepip "$LOG"; then
      fail "Python $version cannot create a virtual environment because its venv/ensurepip part is not installed: on Debian/Ubuntu run \`sudo apt install python$version-venv\` (or python3-venv), then run make again."
    fi
    show_log_and_fail "Creating the virtual environment ($PYTHON -m venv $VENV)"
  fi
else
  echo "Updating the Python environment in $VENV (pyproject.toml changed; pip's output goes to $LOG)…"
fi

echo "Installing smtp-help and its dependencies…"
# A newer pip is nice to have, not needed: a failure here (offline, pinned index) is only logged.
"$VENV/bin/python" -m pip install --upgrade pip >>"$LOG" 2>&1 || echo "(pip could not upgrade itself; continuing)" >>"$LOG"
"$VENV/bin/python" -m pip install -e "$EXTRAS" >>"$LOG" 2>&1 || show_log_and_fail "Installing smtp-help (pip install -e '$EXTRAS')"
touch "$STAMP"
echo "Done in $(( $(date +%s) - started )) s."
