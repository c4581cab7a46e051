#!/usr/bin/env bash
# The whole test suite, as CI runs it (`.ci/run`) — on a fresh machine too: it first installs
# what the tests need (scripts/setup*.sh), then runs formatting and lint checks, every Rust
# test (unit, integration, property and doc tests), the Python tests, and smoke runs of the
# demo and the benchmark harness.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Each step's heading shows the time since the start, so a slow step stands out in CI logs.
step() { printf '\n== [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# One compilation serves everything: the tests, the Python extension, the demo and the
# benchmark smoke run are built in the `ci` profile (Cargo.toml: optimised, with line tables),
# not a second time in `release` (LTO).
export DESPECKLE_BUILD_PROFILE=ci

step "set-up (the Rust build runs meanwhile)"
# Compile every test and binary of the workspace (the benchmark's too) in the background while
# the system packages and Python packages install, which mostly wait on the network and the
# disk; the Python extension's build (scripts/setup.sh) then waits for cargo's lock and reuses
# what was compiled.
mkdir -p target
build_log=target/ci-build.log
# (`--tests`: unit tests of the targets whose `test` flag is on, and the integration tests; not
# the examples, which clippy checks and the suite does not run. Not `--lib`, which would also
# build a unit-test copy of the libraries that set `test = false` — despeckle-file's alone is
# a fifth of the build.)
(cargo test --workspace --profile ci --tests --no-run --quiet \
    && cargo build --profile ci -p despeckle-bench --quiet) >"$build_log" 2>&1 &
build=$!
bash scripts/setup-peers.sh
bash scripts/setup-browser.sh
bash scripts/setup.sh
if ! wait "$build"; then
    cat "$build_log" >&2
    echo "the Rust build failed" >&2
    exit 1
fi

step "format and lint"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "Rust tests"
cargo test --workspace --profile ci --tests --quiet
cargo test --workspace --profile ci --doc --quiet

step "Python tests (package, quality benchmark harness, HTML report in headless Chromium)"
# the CLI that `cargo test` just built
# (-n 2: pytest-xdist, one worker per core)
DESPECKLE_BIN="$(pwd)/target/ci/despeckle" python3 -m pytest -q -n 2 python/tests bench/tests scripts/tests

step "demo (small scene) and benchmark harness smoke runs"
cargo run --profile ci --quiet -- demo --n 1500 --out target/demo-smoke
python3 bench/run.py --profile ci --n 600 --sizes 3 --repeat 1 --out target/bench-smoke/results.md >/dev/null
if grep -q 'failed' target/bench-smoke/results.md || ! grep -q 'enhanced-lee-inplace' target/bench-smoke/results.md; then
    cat target/bench-smoke/results.md
    echo "bench smoke run: a case failed or the Rust cases did not run" >&2
    exit 1
fi

python3 bench/quality.py --crop 64 --images camera --looks 1 --only '^(noisy|lee\*?|nlmeans)$' \
    --no-mulog --out target/quality-smoke/quality.md >/dev/null

step "all checks passed"
