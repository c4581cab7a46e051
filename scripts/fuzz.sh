#!/usr/bin/env bash
# Coverage-guided fuzzing of the readers with cargo-fuzz (libFuzzer). Targets: `reader` and
# `info` (the GeoTIFF reader; seeds in fuzz/seeds, crashes kept in fuzz/regressions), `envi`,
# `polsarpro` and `dimap` (ENVI headers and rasters, PolSARpro config.txt folders, BEAM-DIMAP
# documents: seeds in fuzz/seeds-TARGET, crashes kept in fuzz/regressions-TARGET).
#
#   scripts/fuzz.sh install                 install cargo-fuzz from crates.io if missing
#   scripts/fuzz.sh run TARGET [SECONDS] [LIBFUZZER ARGS...]
#                                           fuzz TARGET (see above) for SECONDS (default
#                                           600) with the limits below; new inputs go to
#                                           fuzz/corpus/TARGET, crashes to fuzz/artifacts/TARGET
#   scripts/fuzz.sh tmin TARGET FILE        minimise a crashing input (copy the result into
#                                           fuzz/regressions/ and fix the reader)
#   scripts/fuzz.sh cmin TARGET             merge fuzz/corpus/TARGET down to a minimal set
#   scripts/fuzz.sh replay                  replay seeds and regressions as the test suite does
#   scripts/fuzz.sh seeds                   regenerate fuzz/seeds (python3 with rasterio;
#                                           gdal_translate for the CInt32 seeds) and
#                                           fuzz/seeds-{envi,polsarpro,dimap} (plain python3)
#
# cargo-fuzz needs nightly Rust features; the stable toolchain builds it with
# RUSTC_BOOTSTRAP=1 (set here), so no nightly install is needed.
#
# Limits (a finding when exceeded): 10 s per input (-timeout), 2 GiB resident memory
# (-rss_limit_mb) and 2 GiB in one malloc (-malloc_limit_mb), on top of the harness's own check
# that a run allocates no more than the file's size justifies (despeckle_geotiff::fuzzing).
# Environment: JOBS (parallel fuzzing processes, default 1), NICE (default 5).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FUZZ="$ROOT/fuzz"
export RUSTC_BOOTSTRAP=1
# The harness rewrites one scratch file per process for every input: keep it in memory.
if [[ -z "${TMPDIR:-}" && -d /dev/shm && -w /dev/shm ]]; then
    export TMPDIR=/dev/shm
fi

LIMITS=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048)
# Longest input the fuzzer makes (not for tmin: libFuzzer's crash minimisation asserts that no
# -max_len was given).
MAX_LEN=(-max_len=16384)

install() {
    if ! cargo fuzz --version >/dev/null 2>&1; then
        cargo install cargo-fuzz --locked
    fi
}

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

check_target() {
    case "${1:-}" in
        reader | info | envi | polsarpro | dimap) ;;
        *) echo "fuzz.sh: unknown target '${1:-}' (reader, info, envi, polsarpro or dimap)" >&2; exit 2 ;;
    esac
}

# The read-only input folders of a target: its seeds and the crashes kept as regressions.
inputs() {
    case "$1" in
        reader | info) echo "seeds regressions" ;;
        *) mkdir -p "$FUZZ/regressions-$1"; echo "seeds-$1 regressions-$1" ;;
    esac
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case "$cmd" in
    install)
        install
        ;;
    run)
        check_target "${1:-}"
        target=$1
        seconds=${2:-600}
        shift $(( $# >= 2 ? 2 : 1 ))
        install
        mkdir -p "$FUZZ/corpus/$target" "$FUZZ/artifacts/$target"
        cd "$FUZZ"
        parallel=()
        if [[ ${JOBS:-1} -gt 1 ]]; then
            parallel=(-jobs="$JOBS" -workers="$JOBS")  # each job logs to fuzz-N.log
        fi
        # The seeds and the regressions are read-only inputs; new inputs go to corpus/TARGET.
        # shellcheck disable=SC2046
        exec nice -n "${NICE:-5}" cargo fuzz run "$target" \
            "corpus/$target" $(inputs "$target") -- \
            "${LIMITS[@]}" "${MAX_LEN[@]}" -max_total_time="$seconds" "${parallel[@]}" \
            -artifact_prefix="artifacts/$target/" -print_final_stats=1 "$@"
        ;;
    tmin)
        check_target "${1:-}"
        [[ $# -eq 2 ]] || usage
        install
        cd "$FUZZ"
        exec cargo fuzz tmin "$1" "$(realpath "$2")" -- "${LIMITS[@]}"
        ;;
    cmin)
        check_target "${1:-}"
        install
        cd "$FUZZ"
        exec cargo fuzz cmin "$1" "corpus/$1" -- "${LIMITS[@]}" "${MAX_LEN[@]}"
        ;;
    replay)
        cd "$ROOT"
        cargo test -p despeckle-geotiff --test fuzz_corpus
        exec cargo test -p despeckle-envi --test fuzz_corpus
        ;;
    seeds)
        python3 "$FUZZ/make_seeds.py" "$FUZZ/seeds"
        exec python3 "$FUZZ/make_text_seeds.py" "$FUZZ"
        ;;
    *)
        usage
        ;;
esac
