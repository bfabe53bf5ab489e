#!/usr/bin/env bash
# Builds the agent's Debian packages with Debian's own tools (dpkg-deb), from a Native AOT publish:
#   artifacts/packages/getapp-agent_<version>_amd64.deb and getapp-agent_<version>_arm64.deb
# <version> is the Version property of Directory.Build.props (the one place it is set). arm64 is cross-built on an
# x64 machine; see usage below for what each architecture needs.
set -euo pipefail
umask 022

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

usage() {
  cat <<EOF
Usage: packaging/deb/build.sh [--arch amd64|arm64]... [--binary FILE] [--out DIR]
  --arch ARCH    a Debian architecture to package (repeat for several; default: amd64 and arm64)
  --binary FILE  package this already published getapp-agent (for one --arch) instead of publishing it
  --out DIR      where the .deb files go (default: artifacts/packages)
Publishing needs the .NET SDK, clang, and the target's static SQLite:
  amd64 on amd64:  apt-get install clang libsqlite3-dev
  arm64 on amd64:  dpkg --add-architecture arm64 && apt-get update &&
                   apt-get install clang libsqlite3-dev:arm64 gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
EOF
}

die() { echo "build.sh: $*" >&2; exit 1; }

arches=()
binary=""
out="$root/artifacts/packages"
while (( $# )); do
  case "$1" in
    --arch) [[ $# -ge 2 ]] || die "--arch needs a value"; arches+=("$2"); shift 2 ;;
    --binary) [[ $# -ge 2 ]] || die "--binary needs a value"; binary=$(realpath "$2"); shift 2 ;;
    --out) [[ $# -ge 2 ]] || die "--out needs a value"; out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
(( ${#arches[@]} )) || arches=(amd64 arm64)
for arch in "${arches[@]}"; do
  [[ $arch == amd64 || $arch == arm64 ]] || die "unsupported architecture $arch (amd64 or arm64)"
done
[[ -z $binary || ${#arches[@]} -eq 1 ]] || die "--binary packages one architecture: give exactly one --arch"
[[ -z $binary || -f $binary ]] || die "--binary $binary: no such file"
for tool in dpkg-deb readelf gzip md5sum; do
  command -v "$tool" >/dev/null || die "$tool is missing (packages dpkg, binutils, gzip, coreutils)"
done
mkdir -p "$out"
out=$(realpath "$out")

# The version: MSBuild's own reading of Directory.Build.props. NuGet's prerelease dash becomes Debian's tilde.
version=$(dotnet msbuild "$root/src/GetApp.Agent/GetApp.Agent.csproj" -getProperty:Version | tr -d '[:space:]')
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] || die "unexpected Version '$version' in Directory.Build.props"
deb_version=${version/-/\~}

maintainer=${DEB_MAINTAINER:-GetApp Agent for .NET maintainers <maintainers@users.noreply.r-seed-dfb1c8f9.example>}
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
host_arch=$(dpkg --print-architecture)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Publishes the agent for one architecture into artifacts/publish/<rid>; prints the executable's path.
publish() {
  local arch=$1 rid=$2 triplet=$3
  command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is missing"
  command -v clang >/dev/null || die "clang is missing: apt-get install clang"
  if [[ ! -f /usr/lib/$triplet/libsqlite3.a ]]; then
    if [[ $arch == "$host_arch" ]]; then die "/usr/lib/$triplet/libsqlite3.a is missing: apt-get install libsqlite3-dev"; fi
    die "/usr/lib/$triplet/libsqlite3.a is missing: dpkg --add-architecture $arch && apt-get update && apt-get install libsqlite3-dev:$arch"
  fi
  if [[ $arch != "$host_arch" ]]; then
    command -v "$triplet-ld" >/dev/null || die "$triplet-ld is missing: apt-get install binutils-${triplet//_/-}"
    [[ -d /usr/lib/gcc-cross/$triplet ]] || die "the $triplet C runtime is missing: apt-get install gcc-${triplet//_/-}"
  fi
  local dir="$root/artifacts/publish/$rid" log="$root/artifacts/publish-$rid.log"
  rm -rf "$dir"
  echo "build.sh: publishing $rid (Native AOT)..." >&2
  if ! dotnet publish "$root/src/GetApp.Agent" -c Release -r "$rid" -o "$dir" -p:DebugType=none -p:DebugSymbols=false > "$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "dotnet publish -r $rid failed (whole log: $log)"
  fi
  if grep -E "warning (IL|AOT|CS)" "$log" >&2; then die "the $rid publish has warnings (log: $log)"; fi
  # A publish with symbols earlier in this tree (bench/api.sh publishes as a user would) leaves getapp-agent.dbg in the
  # intermediate folder, and publish copies it even with DebugSymbols=false: it is not part of the package.
  rm -f "$dir/getapp-agent.dbg"
  local extra
  extra=$(find "$dir" -maxdepth 1 -type f ! -name getapp-agent ! -name '*.json' | wc -l)
  (( extra == 0 )) || { ls -la "$dir" >&2; die "the $rid publish is not one executable"; }
  echo "$dir/getapp-agent"
}

# The Depends field, from what the executable links (NEEDED) and the glibc symbol versions it uses. OpenSSL is loaded
# at run time (hashing, TLS, signatures), so it is not in NEEDED but is a dependency all the same.
depends_of() {
  local exe=$1 lib glibc
  local -a deps
  glibc=$(readelf -V -W "$exe" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
  [[ -n $glibc ]] || die "no glibc symbol versions in $exe"
  deps=("libc6 (>= $glibc)")
  for lib in $(readelf -d -W "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    case $lib in
      libc.so.6|libm.so.6|libdl.so.2|libpthread.so.0|librt.so.1|ld-linux-*.so.*) ;;
      libgcc_s.so.1) deps+=("libgcc-s1") ;;
      libstdc++.so.6) deps+=("libstdc++6") ;;
      libz.so.1) deps+=("zlib1g") ;;
      *sqlite*) die "$exe links SQLite dynamically ($lib): it should be linked in" ;;
      *) die "$exe needs $lib: add its Debian package to depends_of in build.sh" ;;
    esac
  done
  deps+=("libssl3 | libssl3t64" "adduser")
  local IFS=,
  echo "${deps[*]}" | sed 's/,/, /g'
}

package() {
  local arch=$1 rid triplet machine exe
  case $arch in
    amd64) rid=linux-x64; triplet=x86_64-linux-gnu; machine=62 ;;
    arm64) rid=linux-arm64; triplet=aarch64-linux-gnu; machine=183 ;;
    *) die "unsupported architecture $arch (amd64 or arm64)" ;;
  esac
  if [[ -n $binary ]]; then exe=$binary; else exe=$(publish "$arch" "$rid" "$triplet"); fi

  # The executable is for this architecture (ELF e_machine: 62 x86-64, 183 AArch64)...
  [[ $(head -c 4 "$exe" | od -An -c | tr -d ' ') == '177ELF' ]] || die "$exe is not an ELF file"
  local got
  got=$(od -An -tu2 -j18 -N2 "$exe" | tr -d ' ')
  [[ $got == "$machine" ]] || die "$exe is for ELF machine $got, not $arch ($machine)"
  # ...and says it is this version, when this machine can run it.
  local runner=()
  if [[ $arch != "$host_arch" ]]; then
    if command -v qemu-aarch64-static >/dev/null && [[ $arch == arm64 ]]; then runner=(qemu-aarch64-static); else runner=(skip); fi
  fi
  if [[ ${runner[0]:-} != skip ]]; then
    local reported
    reported=$("${runner[@]}" "$exe" --version) || die "$exe --version failed"
    [[ $reported == "$version" || $reported == "$version+"* ]] || die "$exe reports version $reported, not $version"
  fi

  local stage="$work/$arch" doc="usr/share/doc/getapp-agent"
  rm -rf "$stage"
  install -D -m 0755 "$exe" "$stage/usr/bin/getapp-agent"
  install -D -m 0644 "$root/packaging/systemd/getapp-agent.service" "$stage/lib/systemd/system/getapp-agent.service"
  # The settings hold the device secret: readable by root only (systemd reads the file as root).
  install -D -m 0600 "$here/agent.env" "$stage/etc/getapp/agent.env"
  install -D -m 0644 "$here/copyright" "$stage/$doc/copyright"
  install -d -m 0755 "$stage/usr/share/man/man1" "$stage/usr/share/lintian/overrides"
  {
    echo "getapp-agent ($deb_version) stable; urgency=medium"
    echo
    echo "  * getapp-agent $version, built from commit $commit."
    echo
    echo " -- $maintainer  $(date -R -u -d "@$SOURCE_DATE_EPOCH")"
  } | gzip -9n > "$stage/$doc/changelog.gz"
  sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)/" "$here/getapp-agent.1" \
    | gzip -9n > "$stage/usr/share/man/man1/getapp-agent.1.gz"
  install -m 0644 "$here/lintian-overrides" "$stage/usr/share/lintian/overrides/getapp-agent"

  install -d -m 0755 "$stage/DEBIAN"
  install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$stage/DEBIAN/"
  echo /etc/getapp/agent.env > "$stage/DEBIAN/conffiles"
  local size depends
  size=$(du -k -s --exclude=DEBIAN "$stage" | cut -f1)
  depends=$(depends_of "$exe")
  cat > "$stage/DEBIAN/control" <<EOF
Package: getapp-agent
Version: $deb_version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Section: admin
Priority: optional
Description: GetApp device agent: discovers, delivers and deploys releases
 GetApp manages software releases across fleets of devices, many of them
 offline for weeks. This agent runs on each device: it discovers the releases
 its GetApp server (or an offline catalog folder) offers or pushes, downloads
 and verifies them (dependencies first, resumable), runs their installers, and
 reports every step upstream and through a local REST API compatible with the
 GetApp Agent API v2.
 .
 One Native AOT executable, /usr/bin/getapp-agent, run by the systemd service
 getapp-agent; settings in /etc/getapp/agent.env, data in
 /var/lib/getapp-agent.
EOF
  (cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
  chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"
  find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

  local deb="$out/getapp-agent_${deb_version}_${arch}.deb"
  dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
  echo "build.sh: $deb ($(du -h "$deb" | cut -f1))"
}

for arch in "${arches[@]}"; do
  package "$arch"
done
