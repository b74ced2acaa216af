# shellcheck shell=bash
# A private PostgreSQL cluster for development and tests: initdb, start on a unix socket only, create
# a database, stop. Source it, then call the functions:
#
#   source scripts/lib/pg.sh
#   pg_local_start /tmp/iotreg-pg/data /tmp/iotreg-pg/sock
#   pg_local_createdb /tmp/iotreg-pg/sock iotreg
#   export IOTREG_TEST_PG_DSN=$(pg_local_dsn /tmp/iotreg-pg/sock iotreg)
#   pg_local_stop /tmp/iotreg-pg/data
#
# PostgreSQL refuses to run as root, so when called as root the server runs as the `postgres` user
# (runuser). Every parent of DATADIR and SOCKDIR must then be traversable by `postgres`: the
# functions add o+x where it is missing, which is why a cluster under /root (0700) gets /root made
# o+x; prefer a directory under /tmp or /var/tmp. Run as any other user, the server runs as that
# user. Authentication is `trust` on the unix socket only; TCP is off (listen_addresses='').
#
# Settings: PG_BINDIR (default /usr/lib/postgresql/15/bin), PG_LOCAL_PORT (default 5432; it only
# names the socket file, so clusters in different SOCKDIRs may share it).
# Every function returns non-zero on failure and prints why on stderr; none calls exit.

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
PG_LOCAL_PORT=${PG_LOCAL_PORT:-5432}

_pg_err() { echo "pg.sh: $*" >&2; }

# Runs a server-side command as the cluster owner.
_pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Absolute path without requiring it to exist.
_pg_abs() { realpath -m -- "$1"; }

# pg_ctl hands -o options to a shell and unix socket paths are short: accept only plain paths.
_pg_check_path() {
  local what=$1 path=$2
  if [[ ! $path =~ ^/[A-Za-z0-9_./-]+$ ]]; then
    _pg_err "$what '$path' must be an absolute path of [A-Za-z0-9_./-] only"
    return 1
  fi
}

# Makes every existing ancestor of $1 traversable by postgres (root only).
_pg_make_traversable() {
  [[ $(id -u) -eq 0 ]] || return 0
  local dir
  dir=$(dirname -- "$1")
  while [[ $dir != / ]]; do
    if [[ -d $dir ]] && ! runuser -u postgres -- test -x "$dir"; then
      echo "pg.sh: chmod o+x $dir so that postgres can reach the cluster" >&2
      chmod o+x -- "$dir" || return 1
    fi
    dir=$(dirname -- "$dir")
  done
}

# Creates $1 (mode $2) owned by the cluster owner.
_pg_own_dir() {
  local dir=$1 mode=$2
  mkdir -p -- "$dir" || return 1
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres -- "$dir" || return 1; fi
  chmod "$mode" -- "$dir"
}

_pg_is_running() {
  [[ -f $1/PG_VERSION ]] && _pg_as_owner "$PG_BINDIR/pg_ctl" -D "$1" status >/dev/null 2>&1
}

# pg_local_start DATADIR SOCKDIR: initdb if DATADIR holds no cluster, then start it listening on
# SOCKDIR only, and wait until it accepts connections. Idempotent. Logs to DATADIR.log.
pg_local_start() {
  if (($# != 2)); then _pg_err "usage: pg_local_start DATADIR SOCKDIR"; return 2; fi
  local data sock log
  data=$(_pg_abs "$1") && sock=$(_pg_abs "$2") || return 1
  _pg_check_path DATADIR "$data" && _pg_check_path SOCKDIR "$sock" || return 1
  # sun_path holds 107 bytes, and the socket is SOCKDIR/.s.PGSQL.<port>.
  if ((${#sock} > 80)); then _pg_err "SOCKDIR '$sock' is too long for a unix socket"; return 1; fi
  log="${data}.log"

  _pg_make_traversable "$data" && _pg_make_traversable "$sock" || return 1
  _pg_own_dir "$data" 0700 && _pg_own_dir "$sock" 0755 || return 1
  if [[ ! -e $log ]]; then touch -- "$log" || return 1; fi
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres -- "$log" || return 1; fi

  if [[ ! -f $data/PG_VERSION ]]; then
    if [[ -n $(ls -A -- "$data") ]]; then
      _pg_err "DATADIR '$data' is not empty and holds no cluster"
      return 1
    fi
    _pg_as_owner "$PG_BINDIR/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=reject --no-instructions >>"$log" 2>&1 || {
      _pg_err "initdb failed, see $log"
      return 1
    }
  fi

  if ! _pg_is_running "$data"; then
    _pg_as_owner "$PG_BINDIR/pg_ctl" -D "$data" -l "$log" -w -t 60 -o "-c listen_addresses='' \
-c unix_socket_directories='$sock' -p $PG_LOCAL_PORT -c max_connections=200 -c fsync=on \
-c synchronous_commit=on -c full_page_writes=on" start >/dev/null || {
      _pg_err "pg_ctl start failed, see $log"
      return 1
    }
  fi

  local i
  for ((i = 0; i < 60; i++)); do
    if "$PG_BINDIR/pg_isready" -q -h "$sock" -p "$PG_LOCAL_PORT"; then return 0; fi
    sleep 0.5
  done
  _pg_err "server in '$data' is not ready on '$sock' after 30 s (running with another SOCKDIR?), see $log"
  return 1
}

# pg_local_createdb SOCKDIR DBNAME: creates the superuser role `root` (so root-run tools connect
# without naming a user) and the database, when missing. Idempotent.
pg_local_createdb() {
  if (($# != 2)); then _pg_err "usage: pg_local_createdb SOCKDIR DBNAME"; return 2; fi
  local sock=$1 db=$2
  if [[ ! $db =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then
    _pg_err "database name '$db' must match [a-z_][a-z0-9_]*"
    return 1
  fi
  local -a psql=("$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$PG_LOCAL_PORT"
    -U postgres -d postgres -tA)
  local has
  has=$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'root'") || return 1
  if [[ $has != 1 ]]; then
    "${psql[@]}" -c "CREATE ROLE root SUPERUSER LOGIN" || return 1
  fi
  has=$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$db'") || return 1
  if [[ $has != 1 ]]; then
    "${psql[@]}" -c "CREATE DATABASE \"$db\" OWNER postgres" || return 1
  fi
}

# pg_local_stop DATADIR: fast shutdown; nothing to do when no server runs there.
pg_local_stop() {
  if (($# != 1)); then _pg_err "usage: pg_local_stop DATADIR"; return 2; fi
  local data
  data=$(_pg_abs "$1") || return 1
  _pg_is_running "$data" || return 0
  _pg_as_owner "$PG_BINDIR/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
}

# pg_local_dsn SOCKDIR DBNAME: the libpq URI of the database, as user postgres.
pg_local_dsn() {
  if (($# != 2)); then _pg_err "usage: pg_local_dsn SOCKDIR DBNAME"; return 2; fi
  local sock
  sock=$(_pg_abs "$1") || return 1
  printf 'postgresql:///%s?host=%s&port=%s&user=postgres\n' "$2" "$sock" "$PG_LOCAL_PORT"
}
