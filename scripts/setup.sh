#!/usr/bin/env bash
# Install everything the tests and benchmarks need on a fresh machine.
#
# Idempotent and fast when already done: each step first checks whether its
# work is already in place and skips it if so.  Run from anywhere:
#
#     bash scripts/setup.sh
#
# Environment:
#   PYTHON        interpreter to install into (default: python3)
#   FORCE_SETUP=1 run every install step even if its check passes
#
# To add a step (e.g. rasterio, maturin, dask), add the package to
# scripts/requirements-dev.txt and its import name to PY_IMPORTS below, or
# write another `step_*` function and call it at the bottom.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
FORCE_SETUP="${FORCE_SETUP:-0}"

# Import names that must all succeed for the Python step to be skipped.
PY_IMPORTS=(numpy scipy numexpr psutil pytest PIL rasterio)

log() { printf 'setup: %s\n' "$*" >&2; }

# Python packages from requirements-dev.txt.
step_python() {
    local imports
    imports="$(IFS=,; echo "${PY_IMPORTS[*]}")"
    if [[ "$FORCE_SETUP" != 1 ]] && "$PYTHON" -c "import ${imports}" 2>/dev/null; then
        log "python packages already installed (${imports})"
        return 0
    fi
    log "installing python packages from scripts/requirements-dev.txt"
    # (env vars rather than flags, so an older pip just ignores them)
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
        "$PYTHON" -m pip install -q -r "$here/requirements-dev.txt"
    "$PYTHON" -c "import ${imports}"
    log "python packages installed"
}

step_python
