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
# Cost on a fresh Debian 12 machine: ≈ 25 s (≈ 110 MB downloaded, ≈ 350 MB installed).
set -euo pipefail

FORCE_SETUP="${FORCE_SETUP:-0}"
PACKAGES=(chromium)

log() { printf 'setup-browser: %s\n' "$*" >&2; }

as_root() {
    if [[ "$(id -u)" == 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        log "need root (or sudo) to run: $*"
        exit 1
    fi
}

step_chromium() {
    if [[ "$FORCE_SETUP" != 1 ]] && command -v chromium >/dev/null 2>&1; then
        log "Chromium already installed ($(command -v chromium))"
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        log "apt-get not found: install Chromium by hand (or give render_check.py --chromium PATH)"
        exit 1
    fi
    if ! apt-cache show "${PACKAGES[@]}" >/dev/null 2>&1; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    fi
    log "installing ${PACKAGES[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
    command -v chromium >/dev/null 2>&1 || {
        log "chromium still not on the PATH after installing ${PACKAGES[*]}"
        exit 1
    }
    log "installed $(command -v chromium) ($(chromium --version 2>/dev/null || echo '?'))"
}

step_chromium
