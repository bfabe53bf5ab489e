#!/usr/bin/env bash
# Checks the README's two set-up commands as a new user meets them: clones the committed HEAD into an empty temporary
# folder (nothing beside it), runs the agent on its embedded defaults until the sample's pushed release is installed,
# then runs the test command. Usage: bash eng/fresh-clone-check.sh [--no-tests]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/getapp-fresh.XXXXXX)
agent=""
cleanup() { [[ -n $agent ]] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

git clone -q "$repo" "$work/clone"
cd "$work/clone"
[[ ! -e "$work/shared" ]] || { echo "fresh-clone-check: $work/shared exists; the clone must stand alone" >&2; exit 1; }
echo "fresh-clone-check: cloned $(git rev-parse --short HEAD) into $work/clone"

# 1. The README's first command (on a free port, so a running agent on 2220 does not interfere).
port=$((20000 + RANDOM % 20000))
dotnet run --project src/GetApp.Agent -- run --catalog samples/catalog --urls "http://127.0.0.1:$port" > "$work/agent.log" 2>&1 &
agent=$!
state=""
# The first `dotnet run` of a clone restores and builds first: minutes on a small or busy machine.
for _ in $(seq 1 1800); do
  kill -0 "$agent" 2>/dev/null || break
  state=$(curl -s "http://127.0.0.1:$port/api/v2/device/releases/7.demo-app@1.0.0" | grep -o '"state":"[a-z]*"' | tail -n 1 || true)
  [[ $state == '"state":"installed"' ]] && break
  sleep 0.5
done
[[ $state == '"state":"installed"' ]] || { echo "fresh-clone-check: the sample was not installed (last $state)" >&2; cat "$work/agent.log" >&2; exit 1; }
echo "fresh-clone-check: run works, the sample's pushed release is installed"
kill "$agent"; wait "$agent" 2>/dev/null || true; agent=""

# 2. The README's test command.
[[ ${1:-} == --no-tests ]] && exit 0
dotnet test GetApp.Agent.slnx
echo "fresh-clone-check: tests pass on a fresh clone"
