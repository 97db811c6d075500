#!/usr/bin/env bash
# Runs a command with PostgreSQL and Redis answering on 127.0.0.1.
#
# Where the machine's own answer (CI, a developer's machine), they are used
# as they are. Where one does not, a private one is started for this command
# only, keeping its files under $SERVICES_DIR (var/services/), and stopped
# when the command ends; Debian's package is installed first if its
# binaries are missing. A private PostgreSQL trusts local connections and
# has the machine's databases (root, test, postgres) and superuser (root),
# so the settings' default URLs reach it unchanged.
#
#   scripts/services.sh COMMAND [ARG...]
#
# PG_PORT and REDIS_PORT (5432 and 6379) are the ports it checks and starts
# on; the command's own settings must point at the same ones.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -eq 0 ]]; then
  echo "usage: scripts/services.sh COMMAND [ARG...]" >&2
  exit 2
fi

PG_PORT=${PG_PORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
SERVICES_DIR=$(mkdir -p "${SERVICES_DIR:-var/services}" && cd "${SERVICES_DIR:-var/services}" && pwd)
stop_steps=()

answers() {  # answers PORT: something accepts connections on 127.0.0.1:PORT
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_until_answers() {  # wait_until_answers PORT WHAT LOG
  for _ in $(seq 1 150); do
    answers "$1" && return 0
    sleep 0.2
  done
  echo "services: $2 did not start on 127.0.0.1:$1; see $3" >&2
  exit 1
}

install_debian_package() {
  echo "services: installing Debian's $1"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

stop_what_was_started() {
  local step
  for step in "${stop_steps[@]}"; do eval "$step" || true; done
}
trap stop_what_was_started EXIT
# So that Ctrl-C (the demo's way to stop) and a kill also run the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM

postgres_bin_dir() {  # Debian's newest server binaries (initdb, pg_ctl, psql), or none
  find /usr/lib/postgresql -path '*/bin/initdb' 2>/dev/null | sort -V | tail -1 | xargs -r dirname
}

start_private_postgres() {
  local bin data log run_as=()
  bin=$(postgres_bin_dir)
  if [[ -z $bin ]]; then
    # Debian would otherwise create and start a cluster of its own, with
    # password authentication, on the port this script is about to use.
    mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
    install_debian_package postgresql
    bin=$(postgres_bin_dir)
  fi
  data=$SERVICES_DIR/postgres
  log=$SERVICES_DIR/postgres.log
  mkdir -p "$data"
  if [[ $(id -u) -eq 0 ]]; then
    # PostgreSQL refuses to run as root.
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown -R postgres "$data"
    touch "$log" && chown postgres "$log"
    run_as=(runuser -u postgres --)
    if ! "${run_as[@]}" test -w "$data"; then
      echo "services: user postgres cannot write $data; set SERVICES_DIR to a folder it can reach" >&2
      exit 1
    fi
  fi
  if [[ ! -f $data/PG_VERSION ]]; then
    "${run_as[@]}" "$bin/initdb" -D "$data" -U root --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >>"$log"
  fi
  echo "services: starting a private PostgreSQL on 127.0.0.1:$PG_PORT ($data)"
  # A throwaway cluster for tests and the demo: no fsync, no Unix socket.
  "${run_as[@]}" "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PG_PORT -k '' -c fsync=off" start >/dev/null
  stop_steps+=("${run_as[*]} '$bin/pg_ctl' -D '$data' -m fast -w stop >/dev/null")
  wait_until_answers "$PG_PORT" PostgreSQL "$log"
  local database
  for database in root test; do
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U root -d postgres -tAq \
      -c "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1 ||
      "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U root "$database"
  done
}

stop_private_redis() {
  kill "$(cat "$SERVICES_DIR/redis.pid")"
  for _ in $(seq 1 50); do
    answers "$REDIS_PORT" || return 0
    sleep 0.1
  done
}

start_private_redis() {
  local log=$SERVICES_DIR/redis.log
  echo "services: starting a private Redis on 127.0.0.1:$REDIS_PORT"
  # Like the machine's own: nothing kept on disk.
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$SERVICES_DIR" --logfile "$log" --pidfile "$SERVICES_DIR/redis.pid" --daemonize yes
  stop_steps+=("stop_private_redis")
  wait_until_answers "$REDIS_PORT" Redis "$log"
}

# The reliability suite starts Redis servers of its own, so its binary is
# needed even where a Redis already answers.
command -v redis-server >/dev/null 2>&1 || install_debian_package redis-server
if ! answers "$PG_PORT"; then
  start_private_postgres
fi
# Debian's redis-server package may have started the machine's own.
answers "$REDIS_PORT" || start_private_redis

status=0
"$@" || status=$?
exit "$status"
