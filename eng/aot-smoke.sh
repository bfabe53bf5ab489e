#!/usr/bin/env bash
# Publishes the agent with Native AOT, checks it is one self-contained executable, starts it on the sample catalog
# checks that it answers the release status API within one second of being started, and that it delivers and
# installs the sample catalog's pushed release with its dependency.
set -euo pipefail
cd "$(dirname "$0")/.."

out=artifacts/publish/linux-x64
mkdir -p artifacts
rm -rf "$out"
dotnet publish src/GetApp.Agent -c Release -r linux-x64 -o "$out" -p:DebugType=none -p:DebugSymbols=false 2>&1 | tee artifacts/publish.log
if grep -E "warning (IL|AOT|CS)" artifacts/publish.log; then echo "aot-smoke: the publish has warnings" >&2; exit 1; fi

exe="$out/getapp-agent"
[[ -x "$exe" ]] || { echo "aot-smoke: $exe missing" >&2; exit 1; }
extra=$(find "$out" -maxdepth 1 -type f ! -name getapp-agent ! -name '*.json' ! -name '*.dbg' | wc -l)
(( extra == 0 )) || { echo "aot-smoke: the publish is not one executable:" >&2; ls -la "$out" >&2; exit 1; }
ldd "$exe" | grep -q sqlite && { echo "aot-smoke: SQLite should be linked in" >&2; exit 1; }
echo "aot-smoke: $(du -h "$exe" | cut -f1) single executable"

data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
start=$(date +%s%N)
"$exe" run --urls "http://127.0.0.1:$port" --data-dir "$data" --catalog samples/catalog > "$data/agent.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT

code=000
for _ in $(seq 1 200); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v2/device/releases/7.demo-app@1.0.0" || true)
  [[ $code == 200 || $code == 404 ]] && break
  sleep 0.005
done
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[[ $code == 200 || $code == 404 ]] || { echo "aot-smoke: no answer (last $code)"; cat "$data/agent.log"; exit 1; }
body=$(curl -s "http://127.0.0.1:$port/api/v2/device/releases/7.demo-app@1.0.0")
echo "aot-smoke: first answer after ${elapsed_ms} ms (HTTP $code): $body"
echo "$body" | grep -q '"statusCode"\|"state"' || { echo "aot-smoke: unexpected body" >&2; exit 1; }
curl -sf "http://127.0.0.1:$port/api/v2/device/offering" > /dev/null
(( elapsed_ms < 1000 )) || { echo "aot-smoke: took ${elapsed_ms} ms, the target is under 1000 ms" >&2; exit 1; }

# The native build does the whole job: the pushed sample release and its dependency delivered and installed
# (process launch, process groups and the P/Invokes all run natively).
for id in 7.demo-app@1.0.0 12.demo-runtime@2.1.0; do
  state=""
  for _ in $(seq 1 150); do
    state=$(curl -s "http://127.0.0.1:$port/api/v2/device/releases/$id" | grep -o '"state":"[a-z]*"' || true)
    [[ $state == '"state":"installed"' ]] && break
    sleep 0.1
  done
  [[ $state == '"state":"installed"' ]] || { echo "aot-smoke: $id is not installed ($state)" >&2; cat "$data/agent.log" >&2; exit 1; }
done
echo "aot-smoke: the sample release and its dependency are installed"

# The offline tools natively: export what was delivered (beside the running agent), verify it, and a refused start.
"$exe" export --to "$data/usb" --data-dir "$data" 7.demo-app@1.0.0 > /dev/null || { echo "aot-smoke: export failed" >&2; exit 1; }
"$exe" catalog verify "$data/usb" || { echo "aot-smoke: the exported catalog does not verify" >&2; exit 1; }
set +e; "$exe" run --urls 127.0.0.1:1 --data-dir "$data/other" 2> "$data/refused.txt"; refused=$?; set -e
[[ $refused == 2 ]] && grep -q "has no scheme: write http://127.0.0.1:1" "$data/refused.txt" \
  || { echo "aot-smoke: a URL without scheme should be refused with exit 2 (got $refused)" >&2; cat "$data/refused.txt" >&2; exit 1; }
kill -TERM $pid; wait $pid || { echo "aot-smoke: the agent did not stop cleanly on SIGTERM" >&2; exit 1; }
trap 'rm -rf "$data"' EXIT
echo "aot-smoke: ok"
