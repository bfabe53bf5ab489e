#!/usr/bin/env bash
# Peak memory of discovery and the offering, agents side by side: exactly bench/api.sh's discovery phase (an agent on an
# empty offline catalog, the catalog rewritten with N releases, one discovery, ROUNDS more back to back, the offering
# read LIST_REQUESTS + 1 times, then VmHWM), alternating the agents for RUNS runs. Prints VmHWM, RssAnon and RssFile
# after the first discovery, after the others and at the end, and the first discovery's time.
#
#   bench/discovery-peak.sh /path/to/before/getapp-agent /path/to/after/getapp-agent
#   N=2000 RUNS=2 bench/discovery-peak.sh A
#
# Needs curl and python3. Cleans up after itself (agents, temp files), also on failure.
set -euo pipefail
(( $# >= 1 )) || { echo "usage: $0 AGENT_BIN [AGENT_BIN...]" >&2; exit 2; }
REPO="$(cd "$(dirname "$0")/.." && pwd)"
N="${N:-10000}"; RUNS="${RUNS:-3}"; ROUNDS="${ROUNDS:-3}"; LIST_REQUESTS="${LIST_REQUESTS:-21}"
AGENT_PORT="${AGENT_PORT:-28394}"; AGENT="http://127.0.0.1:$AGENT_PORT"
WORK="$(mktemp -d /tmp/getapp-discovery-peak-XXXXXX)"; PID=""
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# memory PID: "VmHWM/RssAnon/RssFile" in MB.
memory() { awk '$1 == "VmHWM:" {h=$2} $1 == "RssAnon:" {a=$2} $1 == "RssFile:" {f=$2} END {printf "%.1f/%.1f/%.1f", h/1024, a/1024, f/1024}' "/proc/$1/status"; }
discover() { curl -sf -o /dev/null -w '%{time_total}' -X POST "$AGENT/api/v2/triggers/discover-component" | awk '{printf "%d", $1 * 1000}'; }

echo "VmHWM/RssAnon/RssFile (MB) after the first discovery, after $ROUNDS more, after $((LIST_REQUESTS + 1)) offerings; $N releases"
for ((r = 1; r <= RUNS; r++)); do
  for bin in "$@"; do
    rm -rf "$WORK/data" "$WORK/offers"; : > "$WORK/agent.log"
    python3 "$REPO/bench/make-catalog.py" "$WORK/offers" 0
    "$bin" run --urls "$AGENT" --data-dir "$WORK/data" --catalog "$WORK/offers" >> "$WORK/agent.log" 2>&1 &
    PID=$!
    until curl -s -o /dev/null "$AGENT/api/v2/device/offering" 2>/dev/null; do sleep 0.01; done
    python3 "$REPO/bench/make-catalog.py" "$WORK/offers" "$N"
    first_ms=$(discover); first=$(memory "$PID")
    for ((i = 0; i < ROUNDS; i++)); do discover >/dev/null; done
    again=$(memory "$PID")
    for ((i = 0; i <= LIST_REQUESTS; i++)); do curl -sf -o /dev/null "$AGENT/api/v2/device/offering"; done
    end=$(memory "$PID")
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
    echo "run $r $bin: first discovery $first_ms ms; $first | $again | $end; peak ${end%%/*} MB"
  done
done
