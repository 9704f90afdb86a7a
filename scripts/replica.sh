#!/usr/bin/env bash
# A real hot-standby replica of the local PostgreSQL for the replica tests (issue 18,
# docs/scaling.md §2): `scripts/replica.sh start DIR [PORT]` takes a streaming base backup
# of 127.0.0.1:5432 into DIR and starts it as a standby on 127.0.0.1:PORT (5433);
# `scripts/replica.sh stop DIR` stops it and removes DIR.
#
# The primary needs wal_level >= replica and max_wal_senders > 0 (Debian's defaults) and a
# pg_hba line that lets 127.0.0.1 connect for replication. The line is added when missing
# and the configuration reloaded: no restart. Run as root (the standby runs as `postgres`)
# or as the postgres user.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?data directory}
port=${3:-5433}
PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
psql_primary() { psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -Atq "$@"; }

case "$cmd" in
start)
  wal_level=$(psql_primary -c "show wal_level")
  if [ "$wal_level" = minimal ]; then
    echo "replica.sh: the primary's wal_level is minimal; set it to replica (needs a restart)" >&2
    exit 1
  fi
  hba=$(psql_primary -c "show hba_file")
  if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+(all|postgres)[[:space:]]+127\.0\.0\.1/32' "$hba"; then
    echo "host replication all 127.0.0.1/32 trust  # envgrid replica tests" >>"$hba"
    psql_primary -c "select pg_reload_conf()" >/dev/null
    sleep 1
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  chown postgres: "$dir" 2>/dev/null || true
  chmod 700 "$dir"
  as_postgres "$PGBIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres \
    -D "$dir/data" -R -X stream -c fast
  # Debian keeps the configuration in /etc: give the standby its own, small one. The
  # settings a standby must not have lower than its primary are copied from it.
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$dir'"
    echo "hot_standby = on"
    echo "hot_standby_feedback = on"
    echo "shared_buffers = 32MB"
    echo "fsync = off"
    for s in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
      max_locks_per_transaction; do
      echo "$s = $(psql_primary -c "show $s")"
    done
  } | as_postgres tee "$dir/data/postgresql.conf" >/dev/null
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' |
    as_postgres tee "$dir/data/pg_hba.conf" >/dev/null
  as_postgres touch "$dir/data/pg_ident.conf"
  if ! as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/standby.log" -w -t 300 start >/dev/null; then
    tail -20 "$dir/standby.log" >&2
    exit 1
  fi
  in_recovery=$(psql -h 127.0.0.1 -p "$port" -U postgres -Atc "select pg_is_in_recovery()")
  [ "$in_recovery" = t ] || { echo "replica.sh: 127.0.0.1:$port is not a standby" >&2; exit 1; }
  echo "replica.sh: hot standby of $PRIMARY_HOST:$PRIMARY_PORT on 127.0.0.1:$port ($dir)"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop DIR [PORT]" >&2
  exit 2
  ;;
esac
