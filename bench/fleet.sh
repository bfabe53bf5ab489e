#!/usr/bin/env bash
# Fleet benchmark: what CHILDREN open command channels (GET /api/cdn/events/managed/{id}, docs/fleet.md) cost a parent
# agent in memory, against the same number of clients of the agent's own event stream (GET /api/v2/events/agent) — the
# anchor: the same kind of work (long-lived server-sent-event connections with pings), by code that already shipped.
#
# The children are light simulated channel clients (Python asyncio, one TCP connection each), not agent processes:
# each registers as a reactive child (POST /api/cdn/devices/register), opens its channel and reads it, as an agent does;
# 200 agent processes would not fit the machine. Each run starts a fresh parent (Native AOT, sample catalog), registers
# every child, opens and closes a few channels to warm up, samples its RSS (VmRSS, 5 samples 1 s apart, median) with no
# channel open, opens all of them, waits until the parent counts them online, lets them run 10 s (pings flowing),
# samples again. Delta = connected - idle. RUNS runs each, alternating fleet / anchor. Writes docs/BENCHMARKS.md.
#
#   bench/fleet.sh                     # 200 children, 3 runs, the agent as it ships: Native AOT
#   CHILDREN=500 RUNS=5 bench/fleet.sh
#   AGENT_BIN=/path/to/getapp-agent bench/fleet.sh
#   GC_MODE=server bench/fleet.sh      # the same agent with the server GC (DOTNET_gcServer=1), for comparison
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
CHILDREN="${CHILDREN:-200}"
RUNS="${RUNS:-3}"
PORT="${PORT:-28321}"
LIMIT_MB=30
GC_MODE="${GC_MODE:-shipped}"
case "$GC_MODE" in
  shipped) GC_TEXT="the GC it ships with (workstation, non-concurrent: src/GetApp.Agent/GetApp.Agent.csproj)" ;;
  server) export DOTNET_gcServer=1; GC_TEXT="the server GC instead (DOTNET_gcServer=1), for comparison" ;;
  *) echo "GC_MODE must be shipped or server" >&2; exit 2 ;;
esac
WORK="$(mktemp -d /tmp/getapp-fleet-bench-XXXXXX)"
AGENT_PID=""
CLIENTS_PID=""

stop_agent() {
  if [[ -n "$CLIENTS_PID" ]] && kill -0 "$CLIENTS_PID" 2>/dev/null; then kill "$CLIENTS_PID"; wait "$CLIENTS_PID" 2>/dev/null || true; fi
  CLIENTS_PID=""
  if [[ -n "$AGENT_PID" ]] && kill -0 "$AGENT_PID" 2>/dev/null; then kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; fi
  AGENT_PID=""
}
cleanup() { stop_agent; rm -rf "$WORK"; }
trap cleanup EXIT

if [[ -z "${AGENT_BIN:-}" ]]; then
  echo "== publishing the agent (Release, Native AOT)"
  dotnet publish "$REPO/src/GetApp.Agent" -c Release -r linux-x64 -o "$WORK/agent" -v quiet -nologo >/dev/null
  AGENT_BIN="$WORK/agent/getapp-agent"
fi

# The simulated clients: mode "fleet" registers each child and reads its command channel; mode "events" reads the
# agent's own event stream. Each prints "ready" once every connection has its first bytes, then keeps reading.
cat > "$WORK/clients.py" <<'PY'
import asyncio, json, sys
mode, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
received = [0] * count

async def request(method, path, body=None):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = json.dumps(body).encode() if body is not None else b""
    writer.write((f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    status = int(answer.split(b" ", 2)[1])
    assert status < 300, answer[:300]

async def stream(i, path, first):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    first.set_result(None) if not first.done() else None
    while True:
        chunk = await reader.read(4096)
        if not chunk:
            raise SystemExit(f"connection {i} closed by the agent")
        received[i] += len(chunk)

async def main():
    ids = [f"sim-{i:04d}" for i in range(count)]
    if mode == "fleet":
        for start in range(0, count, 50):
            await asyncio.gather(*(request("POST", "/api/cdn/devices/register",
                {"deviceId": d, "orchestrateMe": False, "reactiveMode": True, "deviceType": ["agent_linux"], "platform": "sim"})
                for d in ids[start:start + 50]))
        if len(sys.argv) > 4 and sys.argv[4] == "register-only":
            print("registered", flush=True)
            return
    firsts = [asyncio.get_running_loop().create_future() for _ in ids]
    paths = [f"/api/cdn/events/managed/{d}" if mode == "fleet" else "/api/v2/events/agent" for d in ids]
    tasks = [asyncio.create_task(stream(i, p, f)) for i, (p, f) in enumerate(zip(paths, firsts))]
    await asyncio.gather(*firsts)
    print("ready", flush=True)
    while True:
        await asyncio.sleep(5)
        done = [t for t in tasks if t.done()]
        if done:
            done[0].result()
        print(f"bytes {sum(received)} min {min(received)}", flush=True)

asyncio.run(main())
PY

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$AGENT_PID/status"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
sample_rss() { local s=(); for _ in 1 2 3 4 5; do s+=("$(rss_kib)"); sleep 1; done; median "${s[@]}"; }
online() { curl -sf "http://127.0.0.1:$PORT/api/cdn/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["children"]["online"])'; }

# One run: a fresh parent, CHILDREN connections of the given mode; prints "idle_kib connected_kib".
run_once() {
  local mode=$1 data="$WORK/data-$1-$2"
  "$AGENT_BIN" run --urls "http://127.0.0.1:$PORT" --data-dir "$data" --catalog "$REPO/samples/catalog" > "$WORK/agent-$1-$2.log" 2>&1 &
  AGENT_PID=$!
  local deadline=$((SECONDS + 60))
  until curl -sf "http://127.0.0.1:$PORT/api/v2/device/releases/7.demo-app@1.0.0" 2>/dev/null | grep -q '"state":"installed"'; do
    (( SECONDS < deadline )) || { echo "the parent did not start" >&2; cat "$WORK/agent-$1-$2.log" >&2; exit 1; }
    sleep 0.2
  done
  # Every child registered in both modes (the registry is the same); a few connections of the mode measured, to warm up.
  python3 "$WORK/clients.py" fleet "$PORT" "$CHILDREN" register-only > /dev/null
  timeout 5 python3 "$WORK/clients.py" "$mode" "$PORT" 5 > /dev/null 2>&1 || true
  sleep 3
  local idle; idle=$(sample_rss)
  python3 "$WORK/clients.py" "$mode" "$PORT" "$CHILDREN" > "$WORK/clients-$1-$2.log" 2>&1 &
  CLIENTS_PID=$!
  deadline=$((SECONDS + 120))
  until grep -q ready "$WORK/clients-$1-$2.log" 2>/dev/null; do
    (( SECONDS < deadline )) || { echo "the clients did not connect" >&2; cat "$WORK/clients-$1-$2.log" >&2; exit 1; }
    kill -0 "$CLIENTS_PID" 2>/dev/null || { echo "the clients failed" >&2; cat "$WORK/clients-$1-$2.log" >&2; exit 1; }
    sleep 0.5
  done
  if [[ $mode == fleet ]]; then
    until [[ "$(online)" == "$CHILDREN" ]]; do (( SECONDS < deadline )) || { echo "not all online: $(online)" >&2; exit 1; }; sleep 0.5; done
  fi
  sleep 10
  local connected; connected=$(sample_rss)
  kill -0 "$CLIENTS_PID" 2>/dev/null || { echo "the clients failed" >&2; cat "$WORK/clients-$1-$2.log" >&2; exit 1; }
  [[ $mode != fleet || "$(online)" == "$CHILDREN" ]] || { echo "channels dropped: $(online) online" >&2; exit 1; }
  stop_agent
  echo "$idle $connected"
}

fleet_delta=(); events_delta=(); fleet_idle=(); fleet_conn=()
for run in $(seq 1 "$RUNS"); do
  read -r fi fc < <(run_once fleet "$run")
  read -r ei ec < <(run_once events "$run")
  fleet_delta+=("$(( (fc - fi) ))"); events_delta+=("$(( (ec - ei) ))"); fleet_idle+=("$fi"); fleet_conn+=("$fc")
  printf 'run %d: %d channels +%.1f MiB (%d -> %d KiB); %d event-stream clients +%.1f MiB (%d -> %d KiB)\n' "$run" \
    "$CHILDREN" "$(echo "($fc - $fi) / 1024" | bc -l)" "$fi" "$fc" "$CHILDREN" "$(echo "($ec - $ei) / 1024" | bc -l)" "$ei" "$ec"
done
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
fd=$(median "${fleet_delta[@]}"); ed=$(median "${events_delta[@]}")
fd_mib=$(echo "$fd / 1024" | bc -l); ed_mib=$(echo "$ed / 1024" | bc -l)
per=$(echo "$fd / $CHILDREN" | bc -l)
ratio=$(echo "if ($ed > 0) $fd / $ed else 0" | bc -l)
printf 'median: %d channels +%.1f MiB (%.0f KiB each), %d event-stream clients +%.1f MiB; ratio %.2f; limit %d MB; load %s\n' \
  "$CHILDREN" "$fd_mib" "$per" "$CHILDREN" "$ed_mib" "$ratio" "$LIMIT_MB" "$LOAD"
verdict=$(echo "$fd * 1024 < $LIMIT_MB * 1000 * 1000" | bc)

doc="$REPO/docs/BENCHMARKS.md"
section=$(cat <<MD
<!-- fleet-channels-${GC_MODE}:begin -->
## Fleet: ${CHILDREN} children's command channels on one parent, ${GC_MODE} GC (\`bench/fleet.sh\`)

Run on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -r),
$(dotnet --version), agent: Native AOT with ${GC_TEXT}. Command: \`GC_MODE=${GC_MODE} bench/fleet.sh\` (\`CHILDREN=${CHILDREN} RUNS=${RUNS}\`). The children are **light
simulated channel clients** (Python asyncio, one connection each): each registers as a reactive child and reads its
command channel (\`GET /api/cdn/events/managed/{id}\`: a hello, then a ping a second), as an agent does. Each run starts a
fresh parent on the sample catalog, registers all ${CHILDREN}, warms up with 5 connections, and takes the parent's RSS
(\`VmRSS\`, median of 5 samples 1 s apart) with no channel open, then with all ${CHILDREN} open and counted online by the
parent for 10 s. The anchor, in alternating runs of the same kind: ${CHILDREN} clients of the agent's own event stream
(\`GET /api/v2/events/agent\`), long-lived SSE connections with pings served by code that shipped before.

| | median memory added | per connection | runs (KiB added) |
|---|---|---|---|
| ${CHILDREN} command channels | **$(printf '%.1f' "$fd_mib") MiB** | $(printf '%.0f' "$per") KiB | $(printf '%d ' "${fleet_delta[@]}") |
| ${CHILDREN} event-stream clients (anchor) | $(printf '%.1f' "$ed_mib") MiB | $(printf '%.0f' "$(echo "$ed / $CHILDREN" | bc -l)") KiB | $(printf '%d ' "${events_delta[@]}") |
| **ratio channels / anchor** | **$(printf '%.2f' "$ratio")** | | |

Acceptance: ${CHILDREN} children connected cost the parent less than ${LIMIT_MB} MB more than none — $( [[ $verdict == 1 ]] && echo met || echo **not met** ).
Parent RSS with no channel open: $(printf '%d ' "${fleet_idle[@]}")KiB; with ${CHILDREN}: $(printf '%d ' "${fleet_conn[@]}")KiB. Load
average at the end of the run: ${LOAD} (the machine is shared with other builds and test suites).
<!-- fleet-channels-${GC_MODE}:end -->
MD
)
python3 - "$doc" "$section" "$GC_MODE" <<'PY'
import re, sys
path, section, mode = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
pattern = re.compile(rf"<!-- fleet-channels-{mode}:begin -->.*?<!-- fleet-channels-{mode}:end -->", re.S)
text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
echo "== written to $doc"
[[ $verdict == 1 ]] || { echo "over the ${LIMIT_MB} MB budget" >&2; exit 1; }
