#!/usr/bin/env bash
# A local BigQuery emulator (the PyPI package bqemulator 1.4.0, DuckDB-backed) for perx's
# BigQuery tests and for trying `perx sync bigquery` without a Google account.
#
#   scripts/bq-emulator.sh install            install once into $PERX_BQ_EMULATOR_DIR
#   scripts/bq-emulator.sh start PORT [DIR]   start on 127.0.0.1:PORT, wait until ready;
#                                             prints the PID; DIR keeps the data (persistent)
#   scripts/bq-emulator.sh stop PID           stop it
#   scripts/bq-emulator.sh path               print the install directory if installed
#
# The install needs the Python package index once; starting never touches the network
# (the DuckDB extensions it needs are copied from the wheels into a HOME private to the
# emulator, so DuckDB never tries to download them). Then:
#   perx sync bigquery --endpoint http://127.0.0.1:PORT --project test-proj --dataset perx
set -euo pipefail

DIR="${PERX_BQ_EMULATOR_DIR:-$HOME/.cache/perx/bqemu}"
VENV="$DIR/venv"
PROJECT="${PERX_BQ_PROJECT:-test-proj}"
PINS=(bqemulator==1.4.0 duckdb==1.5.5 duckdb-extension-spatial==1.5.5
      duckdb-extension-avro==1.5.5 numpy)

die() { echo "bq-emulator: $*" >&2; exit 1; }

installed() { [ -x "$VENV/bin/bqemulator" ] && [ -f "$DIR/home/.duckdb/extensions/v1.5.5/linux_amd64/avro.duckdb_extension" ]; }

install() {
    if installed; then
        echo "bq-emulator: already installed in $DIR"
        return
    fi
    command -v python3 >/dev/null || die "python3 is needed (3.10 or newer)"
    mkdir -p "$DIR"
    python3 -m venv "$VENV" || die "could not create a virtualenv in $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}" \
        || die "pip could not install ${PINS[*]} (is the package index reachable?)"
    local ext="$DIR/home/.duckdb/extensions/v1.5.5/linux_amd64"
    mkdir -p "$ext"
    local site
    site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    cp "$site"/duckdb_extension_spatial/extensions/v1.5.5/*.duckdb_extension "$ext/"
    cp "$site"/duckdb_extension_avro/extensions/v1.5.5/*.duckdb_extension "$ext/"
    installed || die "the DuckDB extensions were not found in the wheels"
    echo "bq-emulator: installed in $DIR"
}

start() {
    local port="${1:?usage: start PORT [DATA_DIR]}" data="${2:-}"
    installed || die "not installed: run scripts/bq-emulator.sh install"
    local mode=(--ephemeral)
    if [ -n "$data" ]; then
        mkdir -p "$data"
        mode=(--persistent --data-dir "$data")
    fi
    local log="${TMPDIR:-/tmp}/perx-bq-emulator-$port.log"
    # Its own HOME: the extensions above, and nothing of the user's.
    HOME="$DIR/home" nohup "$VENV/bin/bqemulator" start \
        --rest-host 127.0.0.1 --rest-port "$port" \
        --grpc-host 127.0.0.1 --grpc-port 0 \
        --project "$PROJECT" "${mode[@]}" --log-level warning >"$log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then
            echo "$pid"
            return
        fi
        kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "it exited while starting (log above)"; }
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    die "not ready on port $port after 10 s (log: $log)"
}

stop() {
    local pid="${1:?usage: stop PID}"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
    install) install ;;
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    path) installed && echo "$DIR" || exit 1 ;;
    *) sed -n '2,14p' "$0"; exit 2 ;;
esac
