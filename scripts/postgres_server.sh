#!/usr/bin/env bash
# The PostgreSQL server that the Postgres thread tests start (a throwaway cluster: initdb, pg_ctl;
# tests/postgres_cluster.py). Where it is missing and this runs as root on Debian (CI), installs
# Debian's `postgresql` (the server only, no recommends: 38 packages, ~45 s with `apt-get update`
# on a fresh bookworm). Elsewhere says what to install and succeeds: those tests then skip.
#
#   scripts/postgres_server.sh
set -uo pipefail
on_path=$(command -v pg_ctl > /dev/null && dirname "$(readlink -f "$(command -v pg_ctl)")")
for dir in "${GBA_PG_BIN:-}" "$on_path" /usr/lib/postgresql/*/bin; do
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
    exit 0
  fi
done
if [ "$(id -u)" != 0 ] || [ ! -r /etc/debian_version ] || ! command -v apt-get > /dev/null; then
  echo "PostgreSQL server not found: the Postgres thread tests will skip (install it:" \
    "apt-get install postgresql, or set GBA_PG_BIN to the folder with initdb and pg_ctl)" >&2
  exit 0
fi
echo "Installing the PostgreSQL server for the Postgres thread tests (Debian's postgresql: ~45 s)"
start=$(date +%s)
log=$(mktemp)
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -qq --no-install-recommends postgresql >> "$log" 2>&1; }
# Package lists first where there are none (fresh images) or they are stale (a failed download).
if ! { apt-cache show postgresql > /dev/null 2>&1 && install; }; then
  apt-get update -qq >> "$log" 2>&1 && install
fi
if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  echo "✓ Installed in $(($(date +%s) - start)) s"
else
  tail -n 20 "$log" >&2
  echo "Could not install postgresql (above): the Postgres thread tests will skip" >&2
fi
rm -f "$log"
