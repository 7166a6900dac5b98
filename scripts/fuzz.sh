#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for SECONDS each (default 600), JOBS at a time
# (default 2), and prints each target's executions and findings. Needs the nightly
# toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The fuzz crate compiles perx's
# pure code without DuckDB, so the first build takes minutes, not half an hour.
#
#   scripts/fuzz.sh [SECONDS] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-600}"
jobs="${2:-2}"
export CARGO_TARGET_DIR="${PERX_FUZZ_TARGET_DIR:-$HOME/.cache/perx/fuzz-target}"
targets=$(cargo +nightly fuzz list)
cargo +nightly fuzz build -O >/dev/null
mkdir -p logs
run() {
    local t="$1"
    mkdir -p "corpus/$t"
    # -rss_limit_mb: a run that allocates past it is a finding (memory is bounded).
    cargo +nightly fuzz run -O "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        >"logs/$t.log" 2>&1 || true
    local execs
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || echo "?")
    local found
    found=$(ls "artifacts/$t" 2>/dev/null | wc -l)
    echo "$t: $execs executions in ${seconds} s, $found finding(s)"
}
export -f run
export seconds
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run {}'
