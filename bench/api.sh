#!/usr/bin/env bash
# API benchmark: how the agent's reads, memory and start-up hold up as releases pile up, each figure next to an anchor
# measured side by side in the same run. Prints the table and writes it to docs/BENCHMARKS.md.
#
#   bench/api.sh                                   # the agent as it ships (Native AOT, published here)
#   AGENT_BIN=/path/to/getapp-agent bench/api.sh   # an agent published earlier (e.g. an older commit, for "before")
#   LABEL=before AGENT_BIN=... bench/api.sh        # the docs section's name (default: the agent's git commit)
#   SECS=5 ROUNDS=1 DELIVERY_MB=128 bench/api.sh   # quicker, rougher
#
# Anchors:
# - a bare ASP.NET Core Native AOT app (bench/BareEndpoint) answering the same routes with the bytes the agent
#   answered, for request rate, latency, list time, start time and memory;
# - curl -o /dev/null for the 1 GiB delivery (and the agent's own memory before it started);
# - the sqlite3 shell reading the same catalog and writing each release's JSON in one durable transaction, for
#   discovery.
#
# Seeding: N releases are put on the device the supported way: an offline catalog of N tiny pushed releases
# (bench/make-catalog.py) that the agent delivers by itself, fed in batches of BATCH (the offline upstream reads the
# whole catalog for every delivery), then the whole catalog once. Seeded data dirs are kept in SEEDS between runs
# (delete it to seed again); every run works on copies. Seeding 10,000 releases takes several minutes.
#
# Needs: wrk, hey, nginx, sqlite3, curl, python3 (apt-get install -y wrk hey nginx sqlite3), and for publishing clang,
# zlib1g-dev, libsqlite3-dev. Cleans up after itself (agents, nginx, temp files), also on failure.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
SMALL="${SMALL:-1000}"
LARGE="${LARGE:-10000}"
BATCH="${BATCH:-200}"
ROUNDS="${ROUNDS:-3}"
# Starts are cheap and their wall time is the noisiest figure here (single starts of the bare anchor range 105-190 ms on
# the 2-core VM): three times as many rounds as the rest, for agent and anchor alike.
START_ROUNDS="${START_ROUNDS:-$((ROUNDS * 3))}"
SECS="${SECS:-10}"
CONNS="${CONNS:-32}"
LIST_REQUESTS="${LIST_REQUESTS:-21}"
DELIVERY_MB="${DELIVERY_MB:-1024}"
SEEDS="${SEEDS:-/tmp/getapp-api-bench-seeds}"
AGENT_PORT="${AGENT_PORT:-28240}"
BARE_PORT="${BARE_PORT:-28241}"
NGINX_PORT="${NGINX_PORT:-28242}"
WORK="$(mktemp -d /tmp/getapp-api-bench-XXXXXX)"
AGENT_PID=""
BARE_PID=""
AGENT="http://127.0.0.1:$AGENT_PORT"
BARE="http://127.0.0.1:$BARE_PORT"
STATUS_ID="1.bench-app-1@1.0.1"

stop() {  # stop PID: SIGTERM and wait
  local pid="$1"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
}
cleanup() {
  stop "$AGENT_PID"; stop "$BARE_PID"
  if [[ -f "$WORK/nginx/nginx.pid" ]]; then nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s stop 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in wrk hey nginx sqlite3 curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is required (apt-get install -y wrk hey nginx sqlite3 curl python3)" >&2; exit 1; }
done

# ---------------------------------------------------------------- build
if [[ -z "${AGENT_BIN:-}" ]]; then
  echo "== publishing the agent (Release, Native AOT)"
  dotnet publish "$REPO/src/GetApp.Agent" -c Release -r linux-x64 -o "$WORK/agent" -v quiet -nologo >/dev/null
  AGENT_BIN="$WORK/agent/getapp-agent"
fi
if [[ -z "${BARE_BIN:-}" ]]; then
  echo "== publishing the anchor (bench/BareEndpoint, Release, Native AOT)"
  dotnet publish "$REPO/bench/BareEndpoint" -c Release -r linux-x64 -o "$WORK/bare" -v quiet -nologo >/dev/null
  BARE_BIN="$WORK/bare/bare-endpoint"
fi
LABEL="${LABEL:-$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo current)}"

# ---------------------------------------------------------------- helpers
now_ns() { date +%s%N; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# anon_kb PID: the part of the RSS that is the process's own memory (heap, data), not pages of files it maps (the
# executable, libraries), which the kernel can take back at any time.
anon_kb() { awk '/RssAnon/ {print $2}' "/proc/$1/status"; }
# cpu_ms PID: CPU time (user + system) the process has used so far, in ms: a start-up figure the machine's other load
# does not inflate the way it does wall time.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b == 0 ? 0 : a / b)}'; }

# wait_for URL: polls every 2 ms until the URL answers (any HTTP status); prints the ms since $T0. Each attempt is a
# connect and a GET from this shell (bash's /dev/tcp), not a curl process: on two cores, starting a process every 2 ms
# took CPU from the start being measured (the agent's and the anchor's alike).
wait_for() {
  local url="$1" deadline=$((SECONDS + 600)) hostport path line
  hostport=${url#http://}; path=/${hostport#*/}; hostport=${hostport%%/*}
  while :; do
    if { exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}"; } 2>/dev/null; then
      printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
      if IFS= read -r line <&3 && [[ $line == HTTP/* ]]; then exec 3<&-; break; fi
      exec 3<&-
    fi
    (( SECONDS < deadline )) || { echo "no answer from $url" >&2; return 1; }
    sleep 0.002
  done
  echo $(( ($(now_ns) - T0) / 1000000 ))
}

start_agent() {  # start_agent DATA_DIR CATALOG_DIR: starts it, sets AGENT_PID, FIRST_MS (start to first answer) and FIRST_CPU_MS
  T0=$(now_ns)
  "$AGENT_BIN" run --urls "$AGENT" --data-dir "$1" --catalog "$2" >> "$WORK/agent.log" 2>&1 &
  AGENT_PID=$!
  FIRST_MS=$(wait_for "$AGENT/api/v2/device/releases/$STATUS_ID")
  FIRST_CPU_MS=$(cpu_ms "$AGENT_PID")
}
stop_agent() { stop "$AGENT_PID"; AGENT_PID=""; }

start_bare() {  # start_bare DIR (status.json, list.json, offering.json): sets BARE_PID and FIRST_MS
  T0=$(now_ns)
  "$BARE_BIN" --urls "$BARE" --status "$1/status.json" --list "$1/list.json" --offering "$1/offering.json" >> "$WORK/bare.log" 2>&1 &
  BARE_PID=$!
  FIRST_MS=$(wait_for "$BARE/api/v2/device/releases/$STATUS_ID")
  FIRST_CPU_MS=$(cpu_ms "$BARE_PID")
}
stop_bare() { stop "$BARE_PID"; BARE_PID=""; }

count_downloaded() { curl -sf "$AGENT/api/v2/device/releases" | grep -o '"state":"downloaded"' | wc -l; }

# wrk_rps URL: requests per second over SECS seconds.
wrk_rps() { wrk -t1 -c"$CONNS" -d"${SECS}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
# hey_p99 URL RATE: p50 and p99 (ms) at RATE requests per second, 8 workers.
hey_latency() {
  local per_worker=$(( ($2 + 7) / 8 ))
  hey -z "${SECS}s" -c 8 -q "$per_worker" "$1" | awk '/ 50% in/ {p50=$3*1000} / 99% in/ {p99=$3*1000} END {printf "%.2f %.2f\n", p50, p99}'
}
# time_get URL COUNT: median wall time (ms) of COUNT sequential GETs.
time_get() {
  local t=() i
  for ((i = 0; i < $2; i++)); do t+=("$(curl -s -o /dev/null -w '%{time_total}' "$1" | awk '{print $1 * 1000}')"); done
  median "${t[@]}"
}

# ---------------------------------------------------------------- seeding
seed() {  # seed N: $SEEDS/N/{catalog,data} with N delivered releases
  local n="$1" dir="$SEEDS/$1"
  if [[ -f "$dir/seeded" ]]; then echo "== $n releases: seeded data dir reused ($dir)"; return; fi
  echo "== seeding $n releases (delivered by the agent from an offline catalog, batches of $BATCH)"
  rm -rf "$dir"; mkdir -p "$dir/catalog"
  local first=1 last=$(( BATCH < n ? BATCH : n )) started
  started=$(now_ns)
  python3 "$REPO/bench/make-catalog.py" "$dir/catalog" "$last" --push
  start_agent "$dir/data" "$dir/catalog"
  # Deliveries wait mostly on fsync; several at once seed faster. Set back to its default below.
  curl -sf -o /dev/null -X PUT -H 'Content-Type: application/json' -d '{"maxParallelDeliveries":8}' "$AGENT/api/v2/agent/configs"
  while :; do
    local deadline=$((SECONDS + 1800))
    until (( $(count_downloaded) >= last )); do
      (( SECONDS < deadline )) || { echo "seeding stalled at $(count_downloaded) of $last" >&2; tail -20 "$WORK/agent.log" >&2; exit 1; }
      sleep 1
    done
    printf '   %d delivered (%d s)\n' "$last" $(( ($(now_ns) - started) / 1000000000 ))
    (( last < n )) || break
    first=$(( last + 1 )); last=$(( last + BATCH < n ? last + BATCH : n ))
    python3 "$REPO/bench/make-catalog.py" "$dir/catalog" "$last" --push --first="$first"
    curl -sf -o /dev/null -X POST "$AGENT/api/v2/triggers/discover-component"
  done
  # The whole catalog once, so the seeded device is what a device on that catalog looks like (every release offered).
  python3 "$REPO/bench/make-catalog.py" "$dir/catalog" "$n" --push
  curl -sf -o /dev/null -X POST "$AGENT/api/v2/triggers/discover-component"
  curl -sf -o /dev/null -X DELETE "$AGENT/api/v2/agent/configs/maxParallelDeliveries"
  stop_agent
  touch "$dir/seeded"
}

mkdir -p "$SEEDS"
seed "$SMALL"
seed "$LARGE"
cp -a "$SEEDS/$SMALL/data" "$WORK/data-small"
cp -a "$SEEDS/$LARGE/data" "$WORK/data-large"
uptime_before=$(uptime | sed 's/.*load average: //')
LOADS=()  # the 1-minute load average at each phase: the machine is shared, so every figure comes with it
note_load() { LOADS+=("$1 $(cut -d' ' -f1 /proc/loadavg)"); }

# ---------------------------------------------------------------- captured answers (the anchor's bytes)
capture() {  # capture N DATA: the agent's answers with N releases, into $WORK/answers-N
  local out="$WORK/answers-$1"; mkdir -p "$out"
  start_agent "$2" "$SEEDS/$1/catalog"
  curl -sf "$AGENT/api/v2/device/releases/$STATUS_ID" > "$out/status.json"
  curl -sf "$AGENT/api/v2/device/releases" > "$out/list.json"
  curl -sf "$AGENT/api/v2/device/offering" > "$out/offering.json"
  [[ $(grep -o '"state":"downloaded"' "$out/list.json" | wc -l) -eq $1 ]] || { echo "the list does not hold $1 releases" >&2; exit 1; }
  stop_agent
}
capture "$SMALL" "$WORK/data-small"
capture "$LARGE" "$WORK/data-large"

# ---------------------------------------------------------------- start-up: time to first answer, RSS after start
note_load start-up
declare -A START_MS START_CPU_MS RSS_START ANON_START BARE_START_MS BARE_START_CPU_MS BARE_RSS_START
for n in "$SMALL" "$LARGE"; do
  data="$WORK/data-small"; [[ $n == "$LARGE" ]] && data="$WORK/data-large"
  a_ms=(); a_cpu=(); a_rss=(); a_anon=(); b_ms=(); b_cpu=(); b_rss=()
  for ((r = 0; r < START_ROUNDS; r++)); do
    start_agent "$data" "$SEEDS/$n/catalog"; a_ms+=("$FIRST_MS"); a_cpu+=("$FIRST_CPU_MS"); sleep 3; a_rss+=("$(rss_kb "$AGENT_PID")"); a_anon+=("$(anon_kb "$AGENT_PID")"); stop_agent
    start_bare "$WORK/answers-$n"; b_ms+=("$FIRST_MS"); b_cpu+=("$FIRST_CPU_MS"); sleep 3; b_rss+=("$(rss_kb "$BARE_PID")"); stop_bare
  done
  START_MS[$n]=$(median "${a_ms[@]}"); START_CPU_MS[$n]=$(median "${a_cpu[@]}"); RSS_START[$n]=$(median "${a_rss[@]}"); ANON_START[$n]=$(median "${a_anon[@]}")
  BARE_START_MS[$n]=$(median "${b_ms[@]}"); BARE_START_CPU_MS[$n]=$(median "${b_cpu[@]}"); BARE_RSS_START[$n]=$(median "${b_rss[@]}")
  echo "   $n releases: first answer ${START_MS[$n]} ms, ${START_CPU_MS[$n]} ms CPU (anchor ${BARE_START_MS[$n]} ms, ${BARE_START_CPU_MS[$n]} ms CPU), RSS 3 s after start $(mb "${RSS_START[$n]}") MB, $(mb "${ANON_START[$n]}") MB of it anonymous (anchor $(mb "${BARE_RSS_START[$n]}") MB)   [runs: ${a_ms[*]} ms; ${a_cpu[*]} ms CPU; ${a_rss[*]} KiB; anchor ${b_ms[*]} ms]"
done

# ---------------------------------------------------------------- single status: rate, latency; the list
echo "== single status and list, $LARGE releases"
note_load reads
start_agent "$WORK/data-large" "$SEEDS/$LARGE/catalog"
start_bare "$WORK/answers-$LARGE"
cmp -s <(curl -s "$AGENT/api/v2/device/releases/$STATUS_ID") <(curl -s "$BARE/api/v2/device/releases/$STATUS_ID") || { echo "the anchor does not answer the agent's bytes" >&2; exit 1; }
wrk -t1 -c"$CONNS" -d2s "$AGENT/api/v2/device/releases/$STATUS_ID" >/dev/null; wrk -t1 -c"$CONNS" -d2s "$BARE/api/v2/device/releases/$STATUS_ID" >/dev/null
a_rps=(); b_rps=()
for ((r = 0; r < ROUNDS; r++)); do
  a_rps+=("$(wrk_rps "$AGENT/api/v2/device/releases/$STATUS_ID")"); b_rps+=("$(wrk_rps "$BARE/api/v2/device/releases/$STATUS_ID")")
done
RPS=$(median "${a_rps[@]}"); BARE_RPS=$(median "${b_rps[@]}")
echo "   req/s: agent $RPS (${a_rps[*]}), anchor $BARE_RPS (${b_rps[*]})"
HALF=$(awk -v r="$RPS" 'BEGIN {printf "%d", r / 2}')
a_p50=(); a_p99=(); b_p50=(); b_p99=()
for ((r = 0; r < ROUNDS; r++)); do
  read -r p50 p99 < <(hey_latency "$AGENT/api/v2/device/releases/$STATUS_ID" "$HALF"); a_p50+=("$p50"); a_p99+=("$p99")
  read -r p50 p99 < <(hey_latency "$BARE/api/v2/device/releases/$STATUS_ID" "$HALF"); b_p50+=("$p50"); b_p99+=("$p99")
done
P99=$(median "${a_p99[@]}"); BARE_P99=$(median "${b_p99[@]}"); P50=$(median "${a_p50[@]}"); BARE_P50=$(median "${b_p50[@]}")
echo "   at $HALF req/s: agent p50 $P50 ms p99 $P99 ms (${a_p99[*]}), anchor p50 $BARE_P50 ms p99 $BARE_P99 ms (${b_p99[*]})"
LIST_MS=$(time_get "$AGENT/api/v2/device/releases" "$LIST_REQUESTS"); BARE_LIST_MS=$(time_get "$BARE/api/v2/device/releases" "$LIST_REQUESTS")
LIST_BYTES=$(stat -c %s "$WORK/answers-$LARGE/list.json")
PEAK_LIST=$(hwm_kb "$AGENT_PID"); BARE_PEAK_LIST=$(hwm_kb "$BARE_PID"); RSS_AFTER=$(rss_kb "$AGENT_PID")
echo "   list ($LIST_BYTES bytes): agent p50 $LIST_MS ms, anchor $BARE_LIST_MS ms; peak RSS agent $(mb "$PEAK_LIST") MB (now $(mb "$RSS_AFTER") MB), anchor $(mb "$BARE_PEAK_LIST") MB"
stop_agent; stop_bare

# ---------------------------------------------------------------- discovery and the offering, LARGE offered releases
echo "== discovery of $LARGE offered releases"
note_load discovery
mkdir -p "$WORK/offers"
python3 "$REPO/bench/make-catalog.py" "$WORK/offers" 0
start_agent "$WORK/data-offers" "$WORK/offers"
python3 "$REPO/bench/make-catalog.py" "$WORK/offers" "$LARGE"
DISCOVER_FIRST_MS=$(curl -sf -o /dev/null -w '%{time_total}' -X POST "$AGENT/api/v2/triggers/discover-component" | awk '{print $1 * 1000}')
d=()
for ((r = 0; r < ROUNDS; r++)); do d+=("$(curl -sf -o /dev/null -w '%{time_total}' -X POST "$AGENT/api/v2/triggers/discover-component" | awk '{print $1 * 1000}')"); done
DISCOVER_AGAIN_MS=$(median "${d[@]}")
curl -sf "$AGENT/api/v2/device/offering" > "$WORK/answers-offers.json"
mkdir -p "$WORK/answers-offers"; cp "$WORK/answers-offers.json" "$WORK/answers-offers/offering.json"
cp "$WORK/answers-$LARGE/status.json" "$WORK/answers-$LARGE/list.json" "$WORK/answers-offers/"
OFFERING_MS=$(time_get "$AGENT/api/v2/device/offering" "$LIST_REQUESTS")
PEAK_DISCOVERY=$(hwm_kb "$AGENT_PID"); RSS_OFFERS=$(rss_kb "$AGENT_PID")
stop_agent
start_bare "$WORK/answers-offers"
BARE_OFFERING_MS=$(time_get "$BARE/api/v2/device/offering" "$LIST_REQUESTS")
stop_bare
# The anchor: the same catalog read, parsed and written (one row per release) in one transaction, synchronous=FULL.
a=()
for ((r = 0; r < ROUNDS; r++)); do
  rm -f "$WORK/anchor.db"*
  t0=$(now_ns)
  sqlite3 "$WORK/anchor.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
CREATE TABLE releases (catalog_id TEXT PRIMARY KEY, release_json TEXT, artifacts_json TEXT, hierarchy_json TEXT, is_push INTEGER);
BEGIN;
INSERT INTO releases SELECT json_extract(value, '\$.release.id'), json_extract(value, '\$.release'), json_extract(value, '\$.artifacts'),
  json_extract(value, '\$.hierarchyTrees'), json_extract(value, '\$.isPush') FROM json_each(readfile('$WORK/offers/catalog.json'), '\$.releases');
COMMIT;
SQL
  a+=($(( ($(now_ns) - t0) / 1000000 )))
done
SQLITE_MS=$(median "${a[@]}")
echo "   discovery: first ${DISCOVER_FIRST_MS} ms, again ${DISCOVER_AGAIN_MS} ms (anchor sqlite3 $SQLITE_MS ms); offering route $OFFERING_MS ms (anchor $BARE_OFFERING_MS ms); peak RSS $(mb "$PEAK_DISCOVERY") MB"

# ---------------------------------------------------------------- a 1 GiB delivery: peak RSS
echo "== ${DELIVERY_MB} MiB delivery from a local nginx"
note_load delivery
mkdir -p "$WORK/www" "$WORK/nginx/logs" "$WORK/big"
chmod 755 "$WORK" "$WORK/www"
head -c "$((DELIVERY_MB * 1024 * 1024))" /dev/urandom > "$WORK/www/big.bin"
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
BIG_ID="9.bench-big@1.0.0"
cat > "$WORK/big/catalog.json" <<JSON
{ "releases": [ { "release": { "id": "$BIG_ID", "version": "1.0.0", "projectId": 9, "projectName": "bench-big", "status": "released",
  "type": "product", "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z", "metadata": {} },
  "isPush": false, "dependedOnBy": [],
  "artifacts": [ { "itemKey": "$BIG_ID@big.bin", "artifactType": "software", "url": "$URL", "size": $SIZE,
                   "hash": { "algorithm": "SHA256Hex", "hash": "$SHA" } } ] } ] }
JSON
c_t=(); g_t=(); g_idle=(); g_peak=()
for ((r = 0; r < ROUNDS; r++)); do
  t0=$(now_ns); curl -sf -o /dev/null "$URL"; c_t+=($(( ($(now_ns) - t0) / 1000000 )))
  : > "$WORK/agent.log"
  start_agent "$WORK/data-big-$r" "$WORK/big"
  until curl -sf "$AGENT/api/v2/device/offering" | grep -q "$BIG_ID"; do sleep 0.05; done
  g_idle+=("$(hwm_kb "$AGENT_PID")")
  t0=$(now_ns)
  curl -sf -o /dev/null -X POST "$AGENT/api/v2/delivery/start/$BIG_ID"
  deadline=$((SECONDS + 300))
  until grep -q 'DeliveryRunner\[200[125]\]' "$WORK/agent.log"; do
    (( SECONDS < deadline )) || { echo "the delivery did not end" >&2; tail "$WORK/agent.log" >&2; exit 1; }
    sleep 0.02
  done
  g_t+=($(( ($(now_ns) - t0) / 1000000 )))
  curl -sf "$AGENT/api/v2/device/releases/$BIG_ID" | grep -q '"state":"downloaded"' || { echo "the delivery failed" >&2; tail "$WORK/agent.log" >&2; exit 1; }
  g_peak+=("$(hwm_kb "$AGENT_PID")")
  stop_agent; rm -rf "$WORK/data-big-$r"
done
DELIVERY_PEAK=$(median "${g_peak[@]}"); DELIVERY_IDLE=$(median "${g_idle[@]}")
DELIVERY_MS=$(median "${g_t[@]}"); CURL_MS=$(median "${c_t[@]}")
echo "   peak RSS $(mb "$DELIVERY_PEAK") MB (before the delivery $(mb "$DELIVERY_IDLE") MB); agent ${DELIVERY_MS} ms, curl ${CURL_MS} ms"
uptime_after=$(uptime | sed 's/.*load average: //')

# ---------------------------------------------------------------- the table
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {ok = (op == "ge" ? v >= t : v <= t); print (ok ? "met" : "**missed**")}'; }
table=$(cat <<MD
| figure | agent | anchor, same run | ratio | target | |
|---|---|---|---|---|---|
| \`GET /api/v2/device/releases/{id}\` req/s ($LARGE releases, wrk, $CONNS connections, ${SECS} s, median of $ROUNDS) | $RPS | $BARE_RPS (bare AOT endpoint, same bytes) | $(ratio "$RPS" "$BARE_RPS") | ≥ 0.7 | $(verdict "$(ratio "$RPS" "$BARE_RPS")" 0.7 ge) |
| same, p99 / p50 at half the agent's max rate ($HALF req/s, hey) | $P99 ms / $P50 ms | $BARE_P99 ms / $BARE_P50 ms | $(ratio "$P99" "$BARE_P99") | p99 ≤ 5 ms | $(verdict "$P99" 5 le) |
| \`GET /api/v2/device/releases\`, $LARGE releases ($LIST_BYTES bytes), p50 of $LIST_REQUESTS | $LIST_MS ms | $BARE_LIST_MS ms | $(ratio "$LIST_MS" "$BARE_LIST_MS") | ≤ 50 ms | $(verdict "$LIST_MS" 50 le) |
| peak RSS (VmHWM) after start, the rate runs and the lists, $LARGE releases | $(mb "$PEAK_LIST") MB | $(mb "$BARE_PEAK_LIST") MB | $(ratio "$PEAK_LIST" "$BARE_PEAK_LIST") | ≤ 60 MB | $(verdict "$(mb "$PEAK_LIST")" 60 le) |
| RSS 3 s after start, $SMALL releases (anonymous part) | $(mb "${RSS_START[$SMALL]}") MB ($(mb "${ANON_START[$SMALL]}") MB) | $(mb "${BARE_RSS_START[$SMALL]}") MB | $(ratio "${RSS_START[$SMALL]}" "${BARE_RSS_START[$SMALL]}") | ≤ 35 MB | $(verdict "$(mb "${RSS_START[$SMALL]}")" 35 le) |
| RSS 3 s after start, $LARGE releases (anonymous part) | $(mb "${RSS_START[$LARGE]}") MB ($(mb "${ANON_START[$LARGE]}") MB) | $(mb "${BARE_RSS_START[$LARGE]}") MB | $(ratio "${RSS_START[$LARGE]}" "${BARE_RSS_START[$LARGE]}") | ≤ 45 MB | $(verdict "$(mb "${RSS_START[$LARGE]}")" 45 le) |
| start to first answer, $SMALL releases (wall / CPU used by then, median of $START_ROUNDS starts) | ${START_MS[$SMALL]} ms / ${START_CPU_MS[$SMALL]} ms | ${BARE_START_MS[$SMALL]} ms / ${BARE_START_CPU_MS[$SMALL]} ms | $(ratio "${START_MS[$SMALL]}" "${BARE_START_MS[$SMALL]}") | — | |
| start to first answer, $LARGE releases (wall / CPU used by then, median of $START_ROUNDS starts) | ${START_MS[$LARGE]} ms / ${START_CPU_MS[$LARGE]} ms | ${BARE_START_MS[$LARGE]} ms / ${BARE_START_CPU_MS[$LARGE]} ms | $(ratio "${START_MS[$LARGE]}" "${BARE_START_MS[$LARGE]}") | ≤ 150 ms | $(verdict "${START_MS[$LARGE]}" 150 le) |
| peak RSS during a ${DELIVERY_MB} MiB delivery (time: agent / curl) | $(mb "$DELIVERY_PEAK") MB (${DELIVERY_MS} ms) | $(mb "$DELIVERY_IDLE") MB before it (curl ${CURL_MS} ms) | $(ratio "$DELIVERY_MS" "$CURL_MS") | ≤ 60 MB | $(verdict "$(mb "$DELIVERY_PEAK")" 60 le) |
| discovery of $LARGE offered releases (\`POST /api/v2/triggers/discover-component\`): first / again | ${DISCOVER_FIRST_MS} ms / ${DISCOVER_AGAIN_MS} ms | sqlite3 import ${SQLITE_MS} ms | $(ratio "$DISCOVER_FIRST_MS" "$SQLITE_MS") | ≤ 1000 ms | $(verdict "$DISCOVER_FIRST_MS" 1000 le) |
| \`GET /api/v2/device/offering\`, $LARGE offers, p50 | $OFFERING_MS ms | $BARE_OFFERING_MS ms | $(ratio "$OFFERING_MS" "$BARE_OFFERING_MS") | ≤ 100 ms | $(verdict "$OFFERING_MS" 100 le) |
| peak RSS during discovery and offering, $LARGE offers | $(mb "$PEAK_DISCOVERY") MB | | | ≤ 60 MB | $(verdict "$(mb "$PEAK_DISCOVERY")" 60 le) |
MD
)
echo
echo "$table"

doc="$REPO/docs/BENCHMARKS.md"; [[ -f "$doc" ]] || printf '# Benchmarks\n' > "$doc"
section=$(cat <<MD
<!-- api-${LABEL}:begin -->
## API at scale, agent \`${LABEL}\` (\`bench/api.sh\`)

Run on $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(uname -r), .NET SDK $(dotnet --version 2>/dev/null || echo '?'), agent: $(basename "$AGENT_BIN") (Native AOT).
Load average before / after the run: $uptime_before / $uptime_after; 1-minute load at each phase: ${LOADS[*]}.
Releases seeded by the agent itself from an offline catalog. Command: \`${BENCH_COMMAND:-bench/api.sh}\`.

$table
<!-- api-${LABEL}:end -->
MD
)
python3 - "$doc" "$section" "$LABEL" <<'PY'
import re, sys
path, section, label = sys.argv[1], sys.argv[2], re.escape(sys.argv[3])
text = open(path).read()
pattern = re.compile(rf"<!-- api-{label}:begin -->.*?<!-- api-{label}:end -->", re.S)
text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
echo "written to docs/BENCHMARKS.md (section api-${LABEL})"
