#!/usr/bin/env bash
# polsartools (the comparison of bench/polsar_bench.py) in a virtual environment of its own.
#
# polsartools 0.13 needs GDAL's Python bindings (`osgeo`), which pip cannot build without
# GDAL's headers; Debian's python3-gdal provides them for the system Python 3.11, which the
# cp311 wheel of polsartools fits. So the venv is made from /usr/bin/python3 with its system
# packages, in target/polsartools-venv (outside the repository's tracked files).
#
# Idempotent: does nothing when the venv already imports polsartools. Run from anywhere:
#
#     bash bench/setup-polsartools.sh
#
# Environment:
#   SYSTEM_PYTHON      the interpreter with python3-gdal (default: /usr/bin/python3)
#   POLSARTOOLS_VENV   where the venv goes (default: target/polsartools-venv)
#   FORCE_SETUP=1      recreate the venv even if it works
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
SYSTEM_PYTHON="${SYSTEM_PYTHON:-/usr/bin/python3}"
VENV="${POLSARTOOLS_VENV:-$repo/target/polsartools-venv}"
FORCE_SETUP="${FORCE_SETUP:-0}"

log() { printf 'setup-polsartools: %s\n' "$*" >&2; }

if [[ "$FORCE_SETUP" != 1 ]] && "$VENV/bin/python" -c "import polsartools, psutil" 2>/dev/null; then
    log "polsartools venv already in place ($VENV)"
    exit 0
fi
if ! "$SYSTEM_PYTHON" -c "import osgeo.gdal" 2>/dev/null; then
    log "$SYSTEM_PYTHON has no GDAL bindings: apt-get install python3-gdal"
    exit 1
fi
rm -rf "$VENV"
log "creating $VENV"
"$SYSTEM_PYTHON" -m venv --system-site-packages "$VENV"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
# the wheel alone (its `gdal` requirement would build GDAL's bindings from source)...
"$VENV/bin/python" -m pip install -q --no-deps polsartools==0.13
# ...and the rest of what it imports, with numpy 1.x (the system's GDAL bindings are built
# against numpy 1) and the last releases that support it
"$VENV/bin/python" -m pip install -q "numpy==1.26.4" "pandas<2.3" "geopandas<1.1" scipy tqdm \
    click requests scikit-image matplotlib pybind11 tables netcdf4 psutil
"$VENV/bin/python" -c "import polsartools; from osgeo import gdal_array"
log "done: $VENV"
