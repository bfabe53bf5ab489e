#!/usr/bin/env bash
# The memory a big delivery adds, two agents side by side: what bench/api.sh's delivery phase does (fresh data dir, an
# offline catalog of one SIZE_MB release served by a local nginx, VmHWM before and after), alternating the agents for
# ROUNDS rounds, with RssAnon/RssFile sampled every 20 ms and the agent's CPU during the delivery (perf stat if present).
#
#   bench/delivery-peak.sh /path/to/before/getapp-agent /path/to/after/getapp-agent
#   SIZE_MB=256 ROUNDS=2 bench/delivery-peak.sh A B
#
# Needs nginx and curl. Cleans up after itself (agents, nginx, temp files), also on failure.
set -euo pipefail
(( $# >= 1 )) || { echo "usage: $0 AGENT_BIN [AGENT_BIN...]" >&2; exit 2; }
SIZE_MB="${SIZE_MB:-1024}"; ROUNDS="${ROUNDS:-4}"
NGINX_PORT="${NGINX_PORT:-28392}"; AGENT_PORT="${AGENT_PORT:-28390}"
AGENT="http://127.0.0.1:$AGENT_PORT"; ID="9.bench-big@1.0.0"
WORK="$(mktemp -d /tmp/getapp-delivery-peak-XXXXXX)"; PID=""; SAMPLER=""; PERF=""
cleanup() {
  for p in "$SAMPLER" "$PERF" "$PID"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [[ -f "$WORK/nginx/nginx.pid" ]] && nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s stop 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/www" "$WORK/nginx/logs" "$WORK/big"
chmod 755 "$WORK" "$WORK/www"
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > "$WORK/www/big.bin"
SIZE=$(stat -c %s "$WORK/www/big.bin"); SHA=$(sha256sum "$WORK/www/big.bin" | cut -d' ' -f1)
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 64; }
http { access_log off; sendfile on; server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; } }
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
URL="http://127.0.0.1:$NGINX_PORT/big.bin"
curl -sf -o /dev/null "$URL"
cat > "$WORK/big/catalog.json" <<JSON
{ "releases": [ { "release": { "id": "$ID", "version": "1.0.0", "projectId": 9, "projectName": "bench-big", "status": "released",
  "type": "product", "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z", "metadata": {} },
  "isPush": false, "dependedOnBy": [],
  "artifacts": [ { "itemKey": "$ID@big.bin", "artifactType": "software", "url": "$URL", "size": $SIZE,
                   "hash": { "algorithm": "SHA256Hex", "hash": "$SHA" } } ] } ] }
JSON

now_ns() { date +%s%N; }
status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
for ((r = 1; r <= ROUNDS; r++)); do
  for bin in "$@"; do
    t0=$(now_ns); curl -sf -o /dev/null "$URL"; curl_ms=$(( ($(now_ns) - t0) / 1000000 ))
    rm -rf "$WORK/data"; : > "$WORK/agent.log"
    "$bin" run --urls "$AGENT" --data-dir "$WORK/data" --catalog "$WORK/big" >> "$WORK/agent.log" 2>&1 &
    PID=$!
    until curl -sf "$AGENT/api/v2/device/offering" 2>/dev/null | grep -q "$ID"; do sleep 0.05; done
    idle=$(status_kb "$PID" VmHWM); idle_anon=$(status_kb "$PID" RssAnon)
    ( max=0; while kill -0 "$PID" 2>/dev/null; do a=$(status_kb "$PID" RssAnon 2>/dev/null || echo 0); (( a > max )) && max=$a; echo "$max" > "$WORK/anon"; sleep 0.02; done ) &
    SAMPLER=$!
    if command -v perf >/dev/null; then perf stat -e task-clock -p "$PID" -o "$WORK/perf.txt" & PERF=$!; sleep 0.2; fi
    t0=$(now_ns)
    curl -sf -o /dev/null -X POST "$AGENT/api/v2/delivery/start/$ID"
    deadline=$((SECONDS + 600))
    until grep -q 'DeliveryRunner\[200[125]\]' "$WORK/agent.log"; do
      (( SECONDS < deadline )) || { echo "the delivery did not end" >&2; tail "$WORK/agent.log" >&2; exit 1; }
      sleep 0.02
    done
    agent_ms=$(( ($(now_ns) - t0) / 1000000 ))
    cpu="-"
    if [[ -n "$PERF" ]]; then kill -INT "$PERF"; wait "$PERF" 2>/dev/null || true; PERF=""; cpu=$(awk '/task-clock/ {printf "%.0f ms", $1}' "$WORK/perf.txt"); fi
    curl -sf "$AGENT/api/v2/device/releases/$ID" | grep -q '"state":"downloaded"' || { echo "the delivery failed" >&2; tail "$WORK/agent.log" >&2; exit 1; }
    peak=$(status_kb "$PID" VmHWM)
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
    kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""
    printf '%s round %d: peak %.1f MB (idle %.1f MB), RssAnon %.1f -> %.1f MB; agent %d ms (CPU %s), curl %d ms, ratio %.2f; load %s\n' \
      "$bin" "$r" "$(bc -l <<<"$peak/1024")" "$(bc -l <<<"$idle/1024")" "$(bc -l <<<"$idle_anon/1024")" "$(bc -l <<<"$(cat "$WORK/anon")/1024")" \
      "$agent_ms" "$cpu" "$curl_ms" "$(bc -l <<<"$agent_ms/$curl_ms")" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
