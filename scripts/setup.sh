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
#   CARGO_TARGET_DIR  where the Python package's Rust code is compiled (default: target/)
#   DESPECKLE_BUILD_PROFILE  cargo profile of the Python package's Rust code (default: release;
#                 scripts/test.sh uses `ci`, so that the extension reuses the crates its
#                 Rust tests compile instead of compiling them a second time with LTO)
#
# To add a step (e.g. rasterio, maturin, dask), add the package to
# scripts/requirements-dev.txt and its import name to PY_IMPORTS below, or
# write another `step_*` function and call it at the bottom.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
FORCE_SETUP="${FORCE_SETUP:-0}"
PROFILE="${DESPECKLE_BUILD_PROFILE:-release}"

# Import names that must all succeed for the Python step to be skipped.
PY_IMPORTS=(numpy scipy numexpr psutil pytest xdist PIL rasterio rio_cogeo maturin dask.array distributed
    xarray skimage bm3d)

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

# The despeckle Python package itself (python/: Rust extension + Python modules), built
# with maturin (installed by step_python) and installed into $PYTHON with pip. Rebuilt only
# when its sources (python/, the crates it uses -- core, file, GeoTIFF --, the Cargo manifests
# and lock file) or the interpreter changed since the last install.
step_python_package() {
    local repo stamp digest
    repo="$(cd "$here/.." && pwd)"
    stamp="${CARGO_TARGET_DIR:-$repo/target}/python-package.stamp"
    digest="$(
        cd "$repo"
        "$PYTHON" -c 'import sys; print(sys.executable, sys.version)'
        echo "profile $PROFILE"
        find python/src python/despeckle python/Cargo.toml python/pyproject.toml \
            crates/despeckle/src crates/despeckle/Cargo.toml \
            crates/despeckle-file/src crates/despeckle-file/Cargo.toml \
            crates/despeckle-geotiff/src crates/despeckle-geotiff/Cargo.toml \
            Cargo.toml Cargo.lock \
            -type f ! -name '*.pyc' ! -name '*.so' -print0 2>/dev/null \
            | LC_ALL=C sort -z | xargs -0 sha256sum || true
    )"
    digest="$(printf '%s' "$digest" | sha256sum | cut -d' ' -f1)"
    if [[ "$FORCE_SETUP" != 1 ]] && [[ -f "$stamp" && "$(cat "$stamp")" == "$digest" ]] \
        && (cd / && "$PYTHON" -c "import despeckle._despeckle") 2>/dev/null; then
        log "python package despeckle up to date"
        return 0
    fi
    log "building and installing the python package (cargo profile $PROFILE): pip install --no-build-isolation ./python"
    # --no-build-isolation: build with the maturin installed above, no download.
    # MATURIN_PEP517_ARGS: maturin's cargo arguments when pip builds the wheel.
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
        MATURIN_PEP517_ARGS="--profile $PROFILE" \
        "$PYTHON" -m pip install -q --no-build-isolation "$repo/python"
    (cd / && "$PYTHON" -c "import despeckle._despeckle")
    mkdir -p "$(dirname "$stamp")"
    printf '%s\n' "$digest" >"$stamp"
    log "python package despeckle installed"
}

step_python
step_python_package
