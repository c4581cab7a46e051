#!/usr/bin/env bash
# The MuLoG anchor of bench/quality.py in a virtual environment of its own.
#
# `mulog` 0.0.4 (MuLoG, Deledalle et al. 2017: MIDAL with a BM3D denoiser) needs
# numpy < 2 (through `nptyping`), which the project's own interpreter cannot have, so it
# lives in target/anchors-venv (outside the repository's tracked files), created here and
# run by bench/quality.py as a subprocess (bench/mulog_anchor.py) with .npy files in and out.
#
# Idempotent: does nothing when the venv already imports mulog. Run from anywhere:
#
#     bash bench/setup-anchors.sh
#
# Environment:
#   PYTHON        interpreter that creates the venv (default: python3; needs the venv module)
#   ANCHORS_VENV  where the venv goes (default: target/anchors-venv in the repository)
#   FORCE_SETUP=1 recreate the venv even if it works
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
PYTHON="${PYTHON:-python3}"
ANCHORS_VENV="${ANCHORS_VENV:-$repo/target/anchors-venv}"
FORCE_SETUP="${FORCE_SETUP:-0}"
# Pinned so the anchor's numbers stay comparable from run to run.
PACKAGES=(mulog==0.0.4 bm3d==4.0.3 "numpy<2" scikit-image matplotlib)

log() { printf 'setup-anchors: %s\n' "$*" >&2; }

if [[ "$FORCE_SETUP" != 1 ]] && "$ANCHORS_VENV/bin/python" -c "import mulog.mulog_algorithm, bm3d" 2>/dev/null; then
    log "MuLoG venv already in place ($ANCHORS_VENV)"
    exit 0
fi
if [[ "$FORCE_SETUP" == 1 ]]; then
    rm -rf "$ANCHORS_VENV"
fi
log "creating $ANCHORS_VENV"
"$PYTHON" -m venv "$ANCHORS_VENV"
log "installing ${PACKAGES[*]}"
PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
    "$ANCHORS_VENV/bin/python" -m pip install -q "${PACKAGES[@]}"
MPLBACKEND=Agg "$ANCHORS_VENV/bin/python" -c "import mulog.mulog_algorithm, bm3d; import numpy; print('numpy', numpy.__version__)"
log "MuLoG venv ready ($ANCHORS_VENV)"
