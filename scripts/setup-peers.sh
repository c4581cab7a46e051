#!/usr/bin/env bash
# Install the peer tools the comparison tests and benchmarks run (Orfeo ToolBox's
# command-line applications, for `otbcli_Despeckle`; GDAL's, for `gdal_translate` and `gdalinfo`).
#
# Idempotent: skips everything when `otbcli_Despeckle` and `gdal_translate` are already on
# the PATH, runs `apt-get update` only when the package index does not know the packages.
# Run from anywhere (as root, or with sudo available):
#
#     bash scripts/setup-peers.sh
#
# Environment:
#   FORCE_SETUP=1   reinstall even if otbcli_Despeckle is found
#
# Debian/Ubuntu package: `otb-bin` (Orfeo ToolBox 8.1 on Debian 12), which pulls
# in `libotb-apps` (the Despeckle application itself) through its dependencies.
set -euo pipefail

FORCE_SETUP="${FORCE_SETUP:-0}"
PACKAGES=(otb-bin gdal-bin)

LOG_TAG=setup-peers
# shellcheck source=scripts/apt-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"

step_otb() {
    if [[ "$FORCE_SETUP" != 1 ]] && command -v otbcli_Despeckle >/dev/null 2>&1 \
        && command -v gdal_translate >/dev/null 2>&1; then
        log "Orfeo ToolBox and GDAL already installed ($(command -v otbcli_Despeckle), $(command -v gdal_translate))"
        return 0
    fi
    apt_install "the Orfeo ToolBox (otbcli_Despeckle)" "${PACKAGES[@]}"
    for tool in otbcli_Despeckle gdal_translate; do
        command -v "$tool" >/dev/null 2>&1 || {
            log "$tool still not on the PATH after installing ${PACKAGES[*]}"
            exit 1
        }
    done
    log "installed $(command -v otbcli_Despeckle) and $(command -v gdal_translate)"
}

step_otb
