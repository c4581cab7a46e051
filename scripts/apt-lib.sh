# Shared by the scripts/setup-*.sh scripts that install Debian packages (sourced, not run).
#
# Set LOG_TAG first, then call `apt_install WHAT PACKAGE...`: runs `apt-get update` only when
# the package index does not know the packages yet, then installs them without recommends,
# as root or through sudo. WHAT names the software in the message when apt-get is missing.

log() { printf '%s: %s\n' "${LOG_TAG:-setup}" "$*" >&2; }

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

apt_install() {
    local what="$1"
    shift
    if ! command -v apt-get >/dev/null 2>&1; then
        log "apt-get not found: install $what by hand"
        exit 1
    fi
    if ! apt-cache show "$@" >/dev/null 2>&1; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    fi
    log "installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}
