#!/usr/bin/env bash
# Create .venv and install Veille with its test tools. Idempotent; safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# The CPU build of torch first: an unpinned torch (pulled by sentence-transformers) drags in
# several GB of CUDA packages.
python -c "import torch" 2>/dev/null || python -m pip install -q "torch==2.13.0"
# Editable install in "strict" mode: a tree of links to ingest/, index/ and api/ laid out as the
# `veille` package (build/__editable__.*), which mypy can follow (it cannot follow setuptools'
# import-hook editable installs). A new module is linked by rerunning this script (test.sh does).
python -m pip install -q -e ".[dev]" --config-settings editable_mode=strict
# Debian packages the tests use: docker-compose validates docker-compose.yml (no engine is needed);
# Chromium runs the reading room's browser tests (Playwright drives it; it downloads no browser); a
# Korean font lets its screenshots show Korean text.
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    missing=""
    command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
    [ -x /usr/bin/chromium ] || missing="$missing chromium"
    [ -d /usr/share/fonts/truetype/nanum ] || missing="$missing fonts-nanum"
    if [ -n "$missing" ]; then
        apt-get install -y -q $missing >/dev/null 2>&1 \
            || echo "note: could not install$missing; the tests that need them will fail" >&2
    fi
fi
