#!/usr/bin/env bash
# Parent benchmark: CLIENTS concurrent children's downloads of the same SIZE_MB artifact from a parent agent, against
# nginx serving the very same file (the parent's own copy in its data dir) from the same disk, in the same run.
# Aggregate throughput = CLIENTS × size / wall time until the last client finished; RUNS runs each, alternating.
# Writes the medians, their ratio and the parent's peak RSS (VmHWM) to docs/BENCHMARKS.md. Cleans up after itself.
#
#   bench/parent.sh                      # 50 clients × 256 MiB, 3 runs, the agent as it ships: Native AOT
#   CLIENTS=20 SIZE_MB=64 RUNS=5 bench/parent.sh
#   AGENT_BIN=/path/to/getapp-agent bench/parent.sh   # an agent published earlier
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
SIZE_MB="${SIZE_MB:-256}"
CLIENTS="${CLIENTS:-50}"
RUNS="${RUNS:-3}"
NGINX_PORT="${NGINX_PORT:-28081}"
AGENT_PORT="${AGENT_PORT:-28221}"
ID="9.site-bench@1.0.0"
WORK="$(mktemp -d /tmp/getapp-parent-bench-XXXXXX)"
AGENT_PID=""

cleanup() {
  if [[ -n "$AGENT_PID" ]] && kill -0 "$AGENT_PID" 2>/dev/null; then kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; fi
  if [[ -f "$WORK/nginx/nginx.pid" ]]; then nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s stop 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v nginx >/dev/null || { echo "nginx is required (apt-get install -y nginx)" >&2; exit 1; }

if [[ -n "${AGENT_BIN:-}" ]]; then
  AGENT=("$AGENT_BIN")
else
  echo "== publishing the agent (Release, Native AOT)"
  dotnet publish "$REPO/src/GetApp.Agent" -c Release -r linux-x64 -o "$WORK/agent" -v quiet -nologo >/dev/null
  AGENT_BIN="$WORK/agent/getapp-agent"; AGENT=("$AGENT_BIN")
fi

echo "== generating ${SIZE_MB} MiB and an offline catalog pushing it to the parent"
chmod 755 "$WORK"   # nginx workers run as an unprivileged user
mkdir -p "$WORK/catalog/files" "$WORK/nginx/logs"
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > "$WORK/catalog/files/big.bin"
SIZE=$(stat -c %s "$WORK/catalog/files/big.bin")
SHA=$(sha256sum "$WORK/catalog/files/big.bin" | cut -d' ' -f1)
cat > "$WORK/catalog/catalog.json" <<JSON
{ "releases": [ { "release": { "id": "$ID", "version": "1.0.0", "projectId": 9, "projectName": "site-bench", "status": "released",
  "type": "product", "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z", "metadata": {} },
  "isPush": true, "dependedOnBy": [],
  "artifacts": [ { "itemKey": "$ID@big.bin", "artifactType": "software", "url": "files/big.bin", "size": $SIZE,
                   "hash": { "algorithm": "SHA256Hex", "hash": "$SHA" } } ] } ] }
JSON

echo "== starting the parent; it delivers the pushed release into its data dir"
"${AGENT[@]}" run --catalog "$WORK/catalog" --data-dir "$WORK/data" --urls "http://127.0.0.1:$AGENT_PORT" > "$WORK/agent.log" 2>&1 &
AGENT_PID=$!
deadline=$((SECONDS + 300))
until curl -sf "http://127.0.0.1:$AGENT_PORT/api/v2/device/releases/$ID" 2>/dev/null | grep -q '"state":"downloaded"'; do
  (( SECONDS < deadline )) || { echo "the parent did not deliver the release" >&2; cat "$WORK/agent.log" >&2; exit 1; }
  sleep 0.2
done
chmod -R a+rX "$WORK/data/comps"
FILE_DIR="$WORK/data/comps/$ID"
[[ "$(sha256sum "$FILE_DIR/big.bin" | cut -d' ' -f1)" == "$SHA" ]] || { echo "the parent's copy does not match" >&2; exit 1; }

# What a child gets: prepareDelivery answers done with a signed URL to the parent's artifact route.
answer=$(curl -sf -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$AGENT_PORT/api/v2/delivery/prepareDelivery" \
  -d "{\"catalogId\":\"$ID\",\"deviceId\":\"bench-child\",\"itemType\":\"software\"}")
PARENT_URL=$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); assert a["status"]=="done", a; print(a["artifacts"][0]["url"])' "$answer")

cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $FILE_DIR;
  }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
NGINX_URL="http://127.0.0.1:$NGINX_PORT/big.bin"
curl -sf -o /dev/null "$NGINX_URL"; curl -sf -o /dev/null "$PARENT_URL"   # the file in the page cache for both

now() { date +%s.%N; }
TICK=$(getconf CLK_TCK)
NGINX_MASTER=$(cat "$WORK/nginx/nginx.pid")
# CPU seconds (user + system) used so far by the given processes: what serving costs, whatever else the machine runs.
cpu_of() { local total=0 pid; for pid in "$@"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo "$total / $TICK" | bc -l; }
nginx_pids() { echo "$NGINX_MASTER" $(pgrep -P "$NGINX_MASTER"); }
# CLIENTS downloads at once; prints the wall time; fails unless every one got the whole file.
swarm() {
  local url=$1 t0 t1 failed=0
  t0=$(now)
  for _ in $(seq 1 "$CLIENTS"); do curl -s -o /dev/null -w '%{http_code} %{size_download}\n' "$url" > "$WORK/swarm.$_" & done
  wait
  t1=$(now)
  for f in "$WORK"/swarm.*; do [[ "$(cat "$f")" == "200 $SIZE" ]] || { echo "a client got: $(cat "$f")" >&2; failed=1; }; done
  rm -f "$WORK"/swarm.*
  (( failed == 0 )) || exit 1
  echo "$t1 - $t0" | bc -l
}

GIB=$(echo "$CLIENTS * $SIZE / 1073741824" | bc -l)
nginx_tp=(); parent_tp=(); nginx_cpu=(); parent_cpu=()
for run in $(seq 1 "$RUNS"); do
  c0=$(cpu_of $(nginx_pids)); n=$(swarm "$NGINX_URL"); c1=$(cpu_of $(nginx_pids))
  nginx_cpu+=("$(echo "($c1 - $c0) / $GIB" | bc -l)")
  c0=$(cpu_of "$AGENT_PID"); p=$(swarm "$PARENT_URL"); c1=$(cpu_of "$AGENT_PID")
  parent_cpu+=("$(echo "($c1 - $c0) / $GIB" | bc -l)")
  nginx_tp+=("$(echo "$CLIENTS * $SIZE / 1048576 / $n" | bc -l)")
  parent_tp+=("$(echo "$CLIENTS * $SIZE / 1048576 / $p" | bc -l)")
  printf 'run %d: nginx %.2f s (%.0f MiB/s, %.3f CPU s/GiB), parent %.2f s (%.0f MiB/s, %.3f CPU s/GiB)\n' \
    "$run" "$n" "${nginx_tp[-1]}" "${nginx_cpu[-1]}" "$p" "${parent_tp[-1]}" "${parent_cpu[-1]}"
done
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
RSS=$(awk '/VmHWM/ {print $2}' /proc/$AGENT_PID/status)

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
nginx_med=$(median "${nginx_tp[@]}"); parent_med=$(median "${parent_tp[@]}")
ratio=$(echo "$parent_med / $nginx_med" | bc -l)
nginx_cpu_med=$(median "${nginx_cpu[@]}"); parent_cpu_med=$(median "${parent_cpu[@]}")
printf 'median: nginx %.0f MiB/s, parent %.0f MiB/s, ratio %.2f; CPU s/GiB nginx %.3f, parent %.3f; parent peak RSS %d KiB; load %s\n' \
  "$nginx_med" "$parent_med" "$ratio" "$nginx_cpu_med" "$parent_cpu_med" "$RSS" "$LOAD"

doc="$REPO/docs/BENCHMARKS.md"; mkdir -p "$REPO/docs"; [[ -f "$doc" ]] || printf '# Benchmarks\n' > "$doc"
section=$(cat <<MD
<!-- parent-serving:begin -->
## Parent: ${CLIENTS} children downloading one ${SIZE_MB} MiB artifact at once, against nginx (\`bench/parent.sh\`)

Run on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r), $(dotnet --version), agent: Native AOT, nginx $(nginx -v 2>&1 | cut -d/ -f2)
(\`worker_processes auto\`, \`sendfile on\`). Both serve the same file, the parent's own copy in its data dir, from the page
cache on loopback; the parent through its signed artifact route, nginx as a static file. ${CLIENTS} \`curl -o /dev/null\`
clients start at once; throughput = ${CLIENTS} × ${SIZE_MB} MiB / the time until the last one finished (clients, server and
kernel share the same cores). ${RUNS} runs each, alternating.

| | median aggregate throughput | runs (MiB/s) |
|---|---|---|
| nginx (\`sendfile\`) | $(printf '%.0f' "$nginx_med") MiB/s | $(printf '%.0f ' "${nginx_tp[@]}") |
| parent agent | $(printf '%.0f' "$parent_med") MiB/s | $(printf '%.0f ' "${parent_tp[@]}") |
| **ratio parent / nginx** | **$(printf '%.2f' "$ratio")** | target ≥ 0.8 |

What serving costs the server itself, in CPU seconds (user + system, from \`/proc/<pid>/stat\`) per GiB served, which the
rest of the machine's load does not change: nginx $(printf '%.3f' "$nginx_cpu_med") (runs $(printf '%.3f ' "${nginx_cpu[@]}")), parent
$(printf '%.3f' "$parent_cpu_med") (runs $(printf '%.3f ' "${parent_cpu[@]}")). Load average at the end of the run: ${LOAD}.

Parent peak RSS (\`VmHWM\`) after every run, its own delivery of the file included: $(printf '%d' "$RSS") KiB.
<!-- parent-serving:end -->
MD
)
python3 - "$doc" "$section" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
pattern = re.compile(r"<!-- parent-serving:begin -->.*?<!-- parent-serving:end -->", re.S)
text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
echo "== written to $doc"
