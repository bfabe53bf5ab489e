#!/usr/bin/env bash
# The chaos suite against the published Native AOT agent (docs/reliability.md, "Chaos suite").
#
#   eng/chaos.sh                 the CI form (what `dotnet test` runs): seed 1, about 4 minutes
#   eng/chaos.sh --long          the long form: >= 200 kill -9, 30,000 fuzzed requests, a random seed (about 25 minutes)
#   eng/chaos.sh --long --seed N replay a run (every random choice comes from the seed it printed first)
#
# Any other option goes to getapp-chaos (--only kill,faults, --keep, --report FILE, --kill-rounds N ...; --help).
# The agent is published first (as eng/aot-smoke.sh does) when artifacts/publish/linux-x64/getapp-agent is missing or
# older than the sources. The full-disk scenario mounts a small tmpfs: it needs root, and says so when skipped.
# The figures are printed at the end, and written to artifacts/chaos/<profile>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

profile=ci
args=()
for arg in "$@"; do
  case "$arg" in
    --long) profile=long ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; echo; args+=("$arg") ;;
    *) args+=("$arg") ;;
  esac
done

exe=artifacts/publish/linux-x64/getapp-agent
if [[ ! -x $exe ]] || [[ -n $(find src Directory.Build.props Directory.Packages.props -type f -newer "$exe" \
      -not -path '*/bin/*' -not -path '*/obj/*' -print -quit) ]]; then
  echo "chaos.sh: publishing the agent (Native AOT) into $(dirname "$exe")..." >&2
  mkdir -p artifacts
  dotnet publish src/GetApp.Agent -c Release -r linux-x64 -o "$(dirname "$exe")" -p:DebugType=none -p:DebugSymbols=false > artifacts/publish.log 2>&1 \
    || { tail -n 30 artifacts/publish.log >&2; echo "chaos.sh: the publish failed (artifacts/publish.log)" >&2; exit 2; }
fi

dotnet build tests/GetApp.Agent.Chaos -c Release -v quiet -nologo > artifacts/chaos-build.log 2>&1 \
  || { cat artifacts/chaos-build.log >&2; exit 2; }
mkdir -p artifacts/chaos
exec dotnet tests/GetApp.Agent.Chaos/bin/Release/net10.0/getapp-chaos.dll --profile "$profile" --binary "$exe" \
  --report "artifacts/chaos/$profile.json" "${args[@]}"
