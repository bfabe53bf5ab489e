#!/usr/bin/env bash
# Delivery benchmark: a 1 GiB file from a local nginx, fetched by the agent (download + SHA-256 + fsync + rename)
# and by `curl -o /dev/null`, RUNS times each, alternating. Writes the medians, their ratio and the agent's peak RSS
# (VmHWM) to docs/BENCHMARKS.md. Cleans up after itself (nginx, agent, temp files), also on failure.
#
#   bench/download.sh            # 1 GiB, 5 runs, the agent as it ships: published Native AOT (needs clang, zlib1g-dev, libsqlite3-dev)
#   SIZE_MB=256 RUNS=3 bench/download.sh
#   AGENT_BIN=/path/to/getapp-agent bench/download.sh   # an agent published earlier
#   FLAVOR=jit bench/download.sh                        # a Release build on the JIT (each run's fresh process JITs its first delivery)
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
SIZE_MB="${SIZE_MB:-1024}"
RUNS="${RUNS:-5}"
NGINX_PORT="${NGINX_PORT:-28080}"
AGENT_PORT="${AGENT_PORT:-28220}"
ID="9.bench@1.0.0"
WORK="$(mktemp -d /tmp/getapp-bench-XXXXXX)"
AGENT_PID=""

cleanup() {
  if [[ -n "$AGENT_PID" ]] && kill -0 "$AGENT_PID" 2>/dev/null; then kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; fi
  if [[ -f "$WORK/nginx/nginx.pid" ]]; then nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s stop 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v nginx >/dev/null || { echo "nginx is required (apt-get install -y nginx)" >&2; exit 1; }

if [[ -n "${AGENT_BIN:-}" ]]; then
  AGENT=("$AGENT_BIN"); FLAVOR="native"
elif [[ "${FLAVOR:-native}" == jit ]]; then
  echo "== building the agent (Release, JIT)"
  dotnet build "$REPO/src/GetApp.Agent" -c Release -o "$WORK/agent" -v quiet -nologo >/dev/null
  AGENT=(dotnet "$WORK/agent/getapp-agent.dll"); FLAVOR="jit"
else
  echo "== publishing the agent (Release, Native AOT)"
  dotnet publish "$REPO/src/GetApp.Agent" -c Release -r linux-x64 -o "$WORK/agent" -v quiet -nologo >/dev/null
  AGENT_BIN="$WORK/agent/getapp-agent"; AGENT=("$AGENT_BIN"); FLAVOR="native"
fi

echo "== generating ${SIZE_MB} MiB"
mkdir -p "$WORK/www" "$WORK/nginx/logs" "$WORK/catalog"
chmod 755 "$WORK" "$WORK/www"   # nginx workers run as an unprivileged user
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > "$WORK/www/big.bin"
SIZE=$(stat -c %s "$WORK/www/big.bin")
SHA=$(sha256sum "$WORK/www/big.bin" | cut -d' ' -f1)

cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
  }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
URL="http://127.0.0.1:$NGINX_PORT/big.bin"
curl -sf -o /dev/null "$URL"   # warm the page cache so neither side reads from disk

cat > "$WORK/catalog/catalog.json" <<JSON
{ "releases": [ { "release": { "id": "$ID", "version": "1.0.0", "projectId": 9, "projectName": "bench", "status": "released",
  "type": "product", "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z", "metadata": {} },
  "isPush": false, "dependedOnBy": [],
  "artifacts": [ { "itemKey": "$ID@big.bin", "artifactType": "software", "url": "$URL", "size": $SIZE,
                   "hash": { "algorithm": "SHA256Hex", "hash": "$SHA" } } ] } ] }
JSON

now() { date +%s.%N; }
ms_of() { date -d "$1" +%s.%N; }   # log timestamp (UTC, ISO) → epoch seconds

curl_times=(); agent_times=(); agent_rss=(); idle_rss=()
for run in $(seq 1 "$RUNS"); do
  t0=$(now); curl -sf -o /dev/null "$URL"; t1=$(now)
  curl_times+=("$(echo "$t1 - $t0" | bc -l)")

  data="$WORK/data-$run"
  "${AGENT[@]}" run --catalog "$WORK/catalog" --data-dir "$data" --urls "http://127.0.0.1:$AGENT_PORT" > "$WORK/agent-$run.log" 2>&1 &
  AGENT_PID=$!
  deadline=$((SECONDS + 60))
  until curl -sf "http://127.0.0.1:$AGENT_PORT/api/v2/device/offering" 2>/dev/null | grep -q "$ID"; do
    (( SECONDS < deadline )) || { echo "the agent did not start" >&2; cat "$WORK/agent-$run.log" >&2; exit 1; }
    sleep 0.1
  done
  idle_rss+=("$(awk '/VmHWM/ {print $2}' /proc/$AGENT_PID/status)")
  curl -sf -X POST "http://127.0.0.1:$AGENT_PORT/api/v2/delivery/start/$ID" > /dev/null
  deadline=$((SECONDS + 300))
  # Wait on the agent's log (delivered, failed or stopped), not by polling its API: a poll every 50 ms costs a process
  # spawn and a request each, CPU taken from the delivery being measured. The state is checked through the API below.
  until grep -q 'DeliveryRunner\[200[125]\]' "$WORK/agent-$run.log"; do
    (( SECONDS < deadline )) || { echo "timed out waiting for the delivery" >&2; cat "$WORK/agent-$run.log" >&2; exit 1; }
    sleep 0.05
  done
  status=$(curl -sf "http://127.0.0.1:$AGENT_PORT/api/v2/device/releases/$ID")
  grep -q '"state":"downloaded"' <<<"$status" || { echo "delivery failed: $status" >&2; cat "$WORK/agent-$run.log" >&2; exit 1; }
  agent_rss+=("$(awk '/VmHWM/ {print $2}' /proc/$AGENT_PID/status)")
  kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; AGENT_PID=""
  [[ "$(sha256sum "$data/comps/$ID/big.bin" | cut -d' ' -f1)" == "$SHA" ]] || { echo "hash mismatch in run $run" >&2; exit 1; }

  # From "queued" (the start request) to "Delivered" (hash checked, fsynced, renamed), by the agent's own log clock.
  queued=$(grep -m1 'DeliveryEngine\[2100\]' "$WORK/agent-$run.log" | cut -d' ' -f1)
  done_at=$(grep -m1 'DeliveryRunner\[2001\]' "$WORK/agent-$run.log" | cut -d' ' -f1)
  agent_times+=("$(echo "$(ms_of "$done_at") - $(ms_of "$queued")" | bc -l)")
  [[ -n "${KEEP_LOGS:-}" ]] && cp "$WORK/agent-$run.log" /tmp/ || true
  rm -rf "$data"
  printf 'run %d: curl %.3f s, agent %.3f s, agent peak RSS %d KiB\n' "$run" "${curl_times[-1]}" "${agent_times[-1]}" "${agent_rss[-1]}"
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
curl_med=$(median "${curl_times[@]}"); agent_med=$(median "${agent_times[@]}")
ratio=$(echo "$agent_med / $curl_med" | bc -l)
rss_med=$(median "${agent_rss[@]}"); rss_max=$(printf '%s\n' "${agent_rss[@]}" | sort -g | tail -1); idle_med=$(median "${idle_rss[@]}")
printf 'median: curl %.3f s, agent %.3f s, ratio %.2f; agent peak RSS %d KiB (idle %d KiB)\n' "$curl_med" "$agent_med" "$ratio" "$rss_max" "$idle_med"

# Rewrite this benchmark's section of docs/BENCHMARKS.md, keeping any other sections.
doc="$REPO/docs/BENCHMARKS.md"; mkdir -p "$REPO/docs"; [[ -f "$doc" ]] || printf '# Benchmarks\n' > "$doc"
section=$(cat <<MD
<!-- delivery-download-${SIZE_MB}-${FLAVOR}:begin -->
## Delivery: ${SIZE_MB} MiB download from a local nginx, agent ${FLAVOR} (\`bench/download.sh\`)

Run on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r), $(dotnet --version), agent: $([[ $FLAVOR == jit ]] && echo "Release build on the JIT" || echo "Native AOT, $(basename "$AGENT_BIN")"), nginx $(nginx -v 2>&1 | cut -d/ -f2).
The agent's time runs from the start request to the release being \`downloaded\`: download, SHA-256 while writing,
size and hash check, fsync, rename into \`artsDirPath\`. curl writes to \`/dev/null\` (no disk, no hash).
Both read from nginx with the file in the page cache; ${RUNS} runs each, alternating.

| | median wall time | runs (s) |
|---|---|---|
| \`curl -o /dev/null\` | $(printf '%.3f' "$curl_med") s | $(printf '%.3f ' "${curl_times[@]}") |
| agent (hash + fsync included) | $(printf '%.3f' "$agent_med") s | $(printf '%.3f ' "${agent_times[@]}") |
| **ratio agent / curl** | **$(printf '%.2f' "$ratio")** | target ≤ 1.10 |

Agent peak RSS (\`VmHWM\` of \`/proc/<pid>/status\`) after the ${SIZE_MB} MiB download: median $(printf '%d' "$rss_med") KiB,
max $(printf '%d' "$rss_max") KiB; after start-up, before any download: $(printf '%d' "$idle_med") KiB. The download holds a few
2 MiB buffers (at most four per download), so the peak does not grow with the file size.
<!-- delivery-download-${SIZE_MB}-${FLAVOR}:end -->
MD
)
python3 - "$doc" "$section" "$SIZE_MB-$FLAVOR" <<'PY'
import re, sys
path, section, size = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
pattern = re.compile(rf"<!-- delivery-download-{size}:begin -->.*?<!-- delivery-download-{size}:end -->", re.S)
text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
echo "== written to $doc"
