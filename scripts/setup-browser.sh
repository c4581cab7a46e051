#!/usr/bin/env bash
# Install the headless browser that scripts/render_check.py drives: Debian's `chromium`.
#
# render_check.py speaks the DevTools protocol to Chromium over a pipe
# (--remote-debugging-pipe), so neither chromedriver nor a Python package is needed.
#
# Idempotent: skips everything when `chromium` is already on the PATH, runs `apt-get update`
# only when the package index does not know the package. Run from anywhere (as root, or
# with sudo available):
#
#     bash scripts/setup-browser.sh
#
# Environment:
#   FORCE_SETUP=1   reinstall even if chromium is found
#
# Cost on a fresh Debian 12 machine: ≈ 25 s (≈ 110 MB downloaded, ≈ 340 MB installed).
set -euo pipefail

FORCE_SETUP="${FORCE_SETUP:-0}"
PACKAGES=(chromium)

LOG_TAG=setup-browser
# shellcheck source=scripts/apt-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"

step_chromium() {
    if [[ "$FORCE_SETUP" != 1 ]] && command -v chromium >/dev/null 2>&1; then
        log "Chromium already installed ($(command -v chromium))"
        return 0
    fi
    apt_install "Chromium (or give render_check.py --chromium PATH)" "${PACKAGES[@]}"
    command -v chromium >/dev/null 2>&1 || {
        log "chromium still not on the PATH after installing ${PACKAGES[*]}"
        exit 1
    }
    log "installed $(command -v chromium) ($(chromium --version 2>/dev/null || echo '?'))"
}

step_chromium
