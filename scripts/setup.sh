#!/usr/bin/env bash
# Installs what the demo and the tests need on Debian 12 or later, then the npm packages (which
# also builds the TypeScript): `bash scripts/setup.sh`. As root or not (then through sudo).
#  - Debian packages, only those missing: redis-server, mariadb-server (+ client), aria2, curl,
#    mktorrent, python3-libtorrent, docker-compose (v1, which validates compose.yaml without an
#    engine), wrk (for npm run bench). The demo and the tests start throwaway Redis and MariaDB
#    of their own: no system service is started or used.
#  - npm ci.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { printf '[setup] %s\n' "$*"; }

# PATH, then the usual bin/sbin dirs (mariadbd lives in /usr/sbin, not always on PATH), as
# packages/testkit/src/find-binary.ts looks.
have() {
  local name=$1 dir
  command -v "$name" >/dev/null 2>&1 && return 0
  for dir in /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin; do
    [ -x "$dir/$name" ] && return 0
  done
  return 1
}

packages=()
have redis-server || packages+=(redis-server)
if ! have mariadbd || ! have mariadb-install-db; then packages+=(mariadb-server mariadb-client); fi
have aria2c || packages+=(aria2)
have curl || packages+=(curl)
have mktorrent || packages+=(mktorrent)
/usr/bin/python3 -c 'import libtorrent' >/dev/null 2>&1 || packages+=(python3-libtorrent)
have docker-compose || packages+=(docker-compose)
have wrk || packages+=(wrk)

if [ "${#packages[@]}" -eq 0 ]; then
  log "every Debian package needed is present"
else
  log "installing Debian packages: ${packages[*]}"
  command -v apt-get >/dev/null 2>&1 || { log "error: no apt-get; install ${packages[*]} by hand" >&2; exit 1; }
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { log "error: not root and no sudo; cannot install ${packages[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  # Keep the packages' postinst from starting system services (we never use them): invoke-rc.d
  # asks /usr/sbin/policy-rc.d, and 101 means "not allowed". Only if there is none already.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    created_policy=1
  fi
  remove_policy() { if [ "$created_policy" -eq 1 ]; then "${sudo[@]}" rm -f "$policy"; fi; }
  trap remove_policy EXIT
  "${sudo[@]}" apt-get update
  status=0
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}" || status=$?
  if [ "$status" -ne 0 ]; then
    # e.g. a postinst that cannot start a service (no init system in a container): the binaries
    # are all we need
    log "warning: apt-get install exited with $status; checking the binaries anyway"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive dpkg --configure -a || true
  fi
  remove_policy
  trap - EXIT
  for bin in redis-server mariadbd mariadb-install-db; do
    have "$bin" || { log "error: $bin still missing after installing ${packages[*]}" >&2; exit 1; }
  done
fi
log "node $(node --version), npm $(npm --version)"
log "npm ci"
npm ci
