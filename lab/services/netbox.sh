#!/usr/bin/env bash
# A local NetBox (PyPI wheel, PostgreSQL, Redis, gunicorn) for the NetBox inventory and its tests.
#
#   netbox.sh up       install if needed, migrate or restore the snapshot, bootstrap, start
#   netbox.sh reset    back to the bootstrapped state (no objects, tokens kept) in a few seconds
#   netbox.sh down     stop gunicorn (and PostgreSQL/Redis if this script had to start them)
#   netbox.sh status   exit 0 when the API answers with the script's token
#   netbox.sh save NAME / restore NAME
#                      keep the current content as a named snapshot / bring it back (exit 3 if
#                      there is none): a benchmark fleet survives the tests' resets
#
# Writes $NB_STATE/netbox.env (NETBOX_URL, NETBOX_TOKEN, NETBOX_TOKEN_V1, NETBOX_USER,
# NETBOX_PASSWORD). NETBOX_TOKEN is a v2 token ("nbt_<key>.<secret>", sent as "Bearer"),
# NETBOX_TOKEN_V1 a legacy one (sent as "Token").
# Uses its own database, template database, role and Redis databases on the local servers, so
# nothing else there is touched. A second instance beside this one needs its own
# ISPFLOW_NETBOX_STATE, ISPFLOW_NETBOX_PORT, ISPFLOW_NETBOX_DB and ISPFLOW_NETBOX_REDIS_DB (the
# first of two Redis databases; NetBox's cache would otherwise mix both instances' objects).
#
# A first start on a new machine takes 6 to 12 minutes (pip, then `netbox migrate` on an empty
# database). The migrated database is kept as a dump keyed on the NetBox version, in
# $ISPFLOW_NETBOX_CACHE (default ~/.cache/ispflow/netbox-service) as well: starts that restore it
# take under a minute, starts with the databases in place about 10 s.
set -euo pipefail

NB_VERSION=${ISPFLOW_NETBOX_VERSION:-4.7.3}
NB_STATE=${ISPFLOW_NETBOX_STATE:-/tmp/ispflow-netbox}
NB_PORT=${ISPFLOW_NETBOX_PORT:-8000}
NB_URL="http://127.0.0.1:${NB_PORT}"
NB_WORKERS=${ISPFLOW_NETBOX_WORKERS:-3}
NB_THREADS=${ISPFLOW_NETBOX_THREADS:-3}
# The dump outlives $NB_STATE (a wiped /tmp, a new state folder): a cold start then restores it.
NB_CACHE=${ISPFLOW_NETBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ispflow/netbox-service}
VENV="$NB_STATE/venv-$NB_VERSION"
NETBOX_ROOT="$NB_STATE/root"
SNAPSHOT="$NB_STATE/netbox-$NB_VERSION-migrated.dump"
CACHED_SNAPSHOT="$NB_CACHE/netbox-$NB_VERSION-migrated.dump"
PIDFILE="$NB_STATE/gunicorn.pid"
ENV_FILE="$NB_STATE/netbox.env"
APT_LOCK=/tmp/ispflow-apt.lock

PG_HOST=127.0.0.1
PG_PORT=${ISPFLOW_NETBOX_PG_PORT:-5432}
DB=${ISPFLOW_NETBOX_DB:-ispflow_netbox}
PRISTINE_DB="${DB}_pristine"
DB_ROLE=${ISPFLOW_NETBOX_DB_ROLE:-ispflow_netbox}
DB_PASSWORD=ispflow-netbox-db
REDIS_PORT=6379
# Databases 0 and 1 are the usual ones for anything else on this Redis.
REDIS_TASKS_DB=${ISPFLOW_NETBOX_REDIS_DB:-14}
REDIS_CACHE_DB=$((REDIS_TASKS_DB + 1))

# Fixed credentials of a loopback-only test instance: tests and CI caches may rely on them.
ADMIN_USER='admin'
ADMIN_PASSWORD=ispflow-admin
TOKEN_V1=15f10a7e5b0c4d3e2f1a0b9c8d7e6f5a4b3c2d1e
TOKEN_V2_KEY=ispflowlab01
TOKEN_V2_SECRET=Ispf1owNetb0xLabSecret0123456789abcdefgh
TOKEN_V2="nbt_${TOKEN_V2_KEY}.${TOKEN_V2_SECRET}"
SECRET_KEY='ispflow-lab-netbox-secret-key-not-for-production-0123456789abcdef'
TOKEN_PEPPER='ispflow-lab-netbox-token-pepper-not-for-production-0123456789abcdef'
# Bump when the bootstrap changes: `up` then rebuilds the pristine database.
PROVISION_VERSION=1
# Bump when only the configuration file changes.
CONFIG_VERSION=2
PROVISION_MARK="ispflow netbox ${NB_VERSION} provision ${PROVISION_VERSION}"
START=$SECONDS

say() { printf '[netbox %4ds] %s\n' "$((SECONDS - START))" "$*" >&2; }
die() { say "$*"; exit 1; }
tail_log() { if [ -f "$1" ]; then tail -n "${2:-25}" "$1" >&2; fi; }

# The token goes through curl's stdin, never its command line.
api_get() {
  printf 'header = "Authorization: Token %s"\n' "$TOKEN_V1" \
    | curl -fsS -o /dev/null --max-time "${2:-5}" -K - "$NB_URL$1" 2>/dev/null
}
answers() { api_get /api/status/; }

# -- PostgreSQL and Redis ------------------------------------------------------------------------

pg_answers() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2 2>/dev/null; }

# Trust or password auth on 127.0.0.1 as postgres (CI images), else peer auth on the socket
# (a stock Debian install).
PG_ADMIN_MODE=
psql_admin() {
  if [ -z "$PG_ADMIN_MODE" ]; then
    if psql -w -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
      PG_ADMIN_MODE=tcp
    elif runuser -u postgres -- psql -p "$PG_PORT" -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
      PG_ADMIN_MODE=peer
    else
      die "cannot reach PostgreSQL on $PG_HOST:$PG_PORT as postgres (neither over TCP nor as the postgres user)"
    fi
  fi
  if [ "$PG_ADMIN_MODE" = tcp ]; then
    psql -w -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -Atq "$@"
  else
    runuser -u postgres -- psql -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 -Atq "$@"
  fi
}

# Everything on NetBox's own databases runs as its role, whatever the server's auth for postgres.
psql_role() {
  PGPASSWORD=$DB_PASSWORD PGOPTIONS='-c client_min_messages=warning' \
    psql -w -h "$PG_HOST" -p "$PG_PORT" -U "$DB_ROLE" -d postgres -v ON_ERROR_STOP=1 -Atq "$@"
}

db_exists() { [ "$(psql_role -c "select 1 from pg_database where datname = '$1'")" = 1 ]; }

pristine_mark() {
  psql_role -c "select shobj_description(oid, 'pg_database') from pg_database where datname = '$PRISTINE_DB'"
}

provisioned() { db_exists "$PRISTINE_DB" && [ "$(pristine_mark)" = "$PROVISION_MARK" ]; }

apt_install() {
  say "installing $* with apt"
  # apt-get update does not wait for the lists lock, so every apt user here takes this one.
  (
    flock 9
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$NB_STATE/apt.log" 2>&1; then
      apt-get update -q >>"$NB_STATE/apt.log" 2>&1
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$NB_STATE/apt.log" 2>&1
    fi
  ) 9>"$APT_LOCK" || { tail_log "$NB_STATE/apt.log"; die "apt-get install $* failed"; }
}

ensure_tools() {
  local missing=()
  command -v curl >/dev/null || missing+=(curl)
  command -v psql >/dev/null && command -v pg_restore >/dev/null || missing+=(postgresql-client)
  # pip builds psycopg's C extension from source.
  command -v gcc >/dev/null || missing+=(gcc)
  command -v pg_config >/dev/null || missing+=(libpq-dev)
  if ! pg_answers && ! command -v pg_ctlcluster >/dev/null; then missing+=(postgresql); fi
  if ! redis_answers && ! command -v redis-server >/dev/null; then missing+=(redis-server); fi
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

ensure_postgres() {
  pg_answers && return 0
  local cluster
  cluster=$(pg_lsclusters -h 2>/dev/null | awk -v port="$PG_PORT" '$3 == port { print $1 " " $2; exit }')
  [ -n "$cluster" ] || die "PostgreSQL does not answer on $PG_HOST:$PG_PORT and no cluster uses that port"
  say "starting PostgreSQL cluster $cluster"
  # shellcheck disable=SC2086 # "version name"
  pg_ctlcluster $cluster start 8>&-
  echo "$cluster" >"$NB_STATE/started-postgresql"
  for _ in $(seq 1 50); do pg_answers && return 0; sleep 0.2; done
  die "PostgreSQL cluster $cluster did not answer within 10 s"
}

redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

ensure_redis() {
  redis_answers && return 0
  say "starting redis on 127.0.0.1:$REDIS_PORT"
  redis-server --daemonize yes --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
    --pidfile "$NB_STATE/redis.pid" --logfile "$NB_STATE/redis.log" 8>&-
  for _ in $(seq 1 50); do redis_answers && return 0; sleep 0.1; done
  die "redis did not answer within 5 s"
}

# -- NetBox itself -------------------------------------------------------------------------------

find_python() {
  local candidate
  for candidate in "${ISPFLOW_NETBOX_PYTHON:-}" \
    "$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3.12 python3.12 \
    "$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python3.13 python3.13; do
    [ -n "$candidate" ] || continue
    # A pyenv shim is on PATH even where its version is not selected: ask the interpreter itself.
    if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_venv() {
  [ -f "$VENV/.installed" ] && return 0
  local python
  python=$(find_python) || die "NetBox $NB_VERSION needs Python >= 3.12: none found through pyenv or on PATH (set ISPFLOW_NETBOX_PYTHON)"
  say "creating $VENV with $python and installing netbox==$NB_VERSION (about 2 minutes)"
  rm -rf "$VENV"
  "$python" -m venv "$VENV"
  if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check "netbox==$NB_VERSION" gunicorn \
    >"$NB_STATE/pip.log" 2>&1; then
    tail_log "$NB_STATE/pip.log"
    die "pip install netbox==$NB_VERSION failed (log: $NB_STATE/pip.log)"
  fi
  touch "$VENV/.installed"
}

netbox() { NETBOX_ROOT="$NETBOX_ROOT" "$VENV/bin/netbox" "$@"; }

CONF_FILE="$NETBOX_ROOT/conf/configuration.py"
CONF_MARK="# ispflow overrides, version ${CONFIG_VERSION}, port ${NB_PORT}, db ${DB}"
configured() { grep -qxF "$CONF_MARK" "$CONF_FILE" 2>/dev/null; }

write_configuration() {
  local conf=$CONF_FILE
  configured && return 0
  # `netbox setup` never overwrites; removing the file makes it write the stock one again.
  rm -f "$conf"
  netbox setup --target "$NETBOX_ROOT" >"$NB_STATE/setup.log" 2>&1 || { tail_log "$NB_STATE/setup.log"; die "netbox setup failed"; }
  [ -f "$conf" ] || die "netbox setup did not write $conf"
  # Later assignments win over the stock example.
  cat >>"$conf" <<CONF

$CONF_MARK
ALLOWED_HOSTS = ['*']
DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': '${DB}',
        'USER': '${DB_ROLE}',
        'PASSWORD': '${DB_PASSWORD}',
        'HOST': '${PG_HOST}',
        'PORT': '${PG_PORT}',
        'CONN_MAX_AGE': 300,
        # A reset terminates the workers' sessions; without the check the next request gets a 500.
        'CONN_HEALTH_CHECKS': True,
    }
}
REDIS = {
    'tasks': {'HOST': '127.0.0.1', 'PORT': ${REDIS_PORT}, 'USERNAME': '', 'PASSWORD': '',
              'DATABASE': ${REDIS_TASKS_DB}, 'SSL': False},
    'caching': {'HOST': '127.0.0.1', 'PORT': ${REDIS_PORT}, 'USERNAME': '', 'PASSWORD': '',
                'DATABASE': ${REDIS_CACHE_DB}, 'SSL': False},
}
SECRET_KEY = '${SECRET_KEY}'
# A 500 then leaves its traceback in gunicorn.log instead of nowhere.
LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {'console': {'class': 'logging.StreamHandler'}},
    'loggers': {'django.request': {'handlers': ['console'], 'level': 'ERROR'}},
}
API_TOKEN_PEPPERS = {1: '${TOKEN_PEPPER}'}
CONF
}

ensure_role() {
  if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$DB_ROLE'")" != 1 ]; then
    say "creating PostgreSQL role $DB_ROLE"
    psql_admin -c "create role \"$DB_ROLE\" login createdb password '$DB_PASSWORD'" >/dev/null
  fi
}

# Dropping needs no admin rights: the role owns both databases.
drop_databases() {
  psql_role -c "drop database if exists \"$DB\" with (force)" -c "drop database if exists \"$PRISTINE_DB\" with (force)"
}

save_snapshot() {
  say "saving the migrated database as $SNAPSHOT"
  PGPASSWORD=$DB_PASSWORD pg_dump -w -h "$PG_HOST" -p "$PG_PORT" -U "$DB_ROLE" -Fc --no-owner \
    -f "$SNAPSHOT.tmp" "$DB"
  mv "$SNAPSHOT.tmp" "$SNAPSHOT"
  mkdir -p "$NB_CACHE"
  cp "$SNAPSHOT" "$CACHED_SNAPSHOT.tmp" && mv "$CACHED_SNAPSHOT.tmp" "$CACHED_SNAPSHOT"
}

restore_snapshot() {
  say "restoring the migrated database from $1"
  PGPASSWORD=$DB_PASSWORD pg_restore -w -h "$PG_HOST" -p "$PG_PORT" -U "$DB_ROLE" -d "$DB" \
    --no-owner -j 2 "$1" >"$NB_STATE/restore.log" 2>&1
}

migrate() {
  say "running netbox migrate on an empty database (7 to 10 minutes; log: $NB_STATE/migrate.log)"
  netbox migrate --no-input >"$NB_STATE/migrate.log" 2>&1 || { tail_log "$NB_STATE/migrate.log"; die "netbox migrate failed"; }
  save_snapshot
}

bootstrap() {
  say "creating the superuser $ADMIN_USER and the API tokens"
  # Values come from the environment so they never show on a command line.
  NB_BOOT_USER=$ADMIN_USER NB_BOOT_PASSWORD=$ADMIN_PASSWORD NB_BOOT_V1=$TOKEN_V1 \
    NB_BOOT_V2_KEY=$TOKEN_V2_KEY NB_BOOT_V2_SECRET=$TOKEN_V2_SECRET \
    netbox shell -c '
import os
from users.models import Token, User
env = os.environ
user = User.objects.filter(username=env["NB_BOOT_USER"]).first()
if user is None:
    user = User.objects.create_superuser(env["NB_BOOT_USER"], "admin@ispflow.test", env["NB_BOOT_PASSWORD"])
Token.objects.filter(user=user).delete()
Token(user=user, version=1, token=env["NB_BOOT_V1"], description="ispflow v1").save()
Token(user=user, version=2, key=env["NB_BOOT_V2_KEY"], token=env["NB_BOOT_V2_SECRET"], description="ispflow v2").save()
print("bootstrapped", user.username, Token.objects.filter(user=user).count())
' >"$NB_STATE/bootstrap.log" 2>&1 || { tail_log "$NB_STATE/bootstrap.log"; die "bootstrap failed"; }
}

# The database $DB with migrations and bootstrap, cloned into the template $PRISTINE_DB.
build_databases() {
  ensure_role
  drop_databases
  psql_role -c "create database \"$DB\"" >/dev/null
  local snapshot=
  if [ -s "$SNAPSHOT" ]; then
    snapshot=$SNAPSHOT
  elif [ -s "$CACHED_SNAPSHOT" ]; then
    snapshot=$CACHED_SNAPSHOT
  fi
  if [ -n "$snapshot" ] && ! restore_snapshot "$snapshot"; then
    tail_log "$NB_STATE/restore.log"
    say "the snapshot did not restore: migrating instead"
    psql_role -c "drop database \"$DB\" with (force)" -c "create database \"$DB\"" >/dev/null
    snapshot=
  fi
  if [ -n "$snapshot" ]; then
    [ -s "$SNAPSHOT" ] || cp "$snapshot" "$SNAPSHOT"
  else
    migrate
  fi
  bootstrap
  say "creating the template database $PRISTINE_DB"
  psql_role -c "create database \"$PRISTINE_DB\" template \"$DB\"" \
    -c "comment on database \"$PRISTINE_DB\" is '$PROVISION_MARK'" >/dev/null
}

ensure_databases() {
  ensure_role
  if ! provisioned; then
    build_databases
  elif ! db_exists "$DB"; then
    clone_pristine
  fi
}

clone_pristine() {
  psql_role -c "drop database if exists \"$DB\" with (force)" \
    -c "create database \"$DB\" template \"$PRISTINE_DB\"" >/dev/null
}

flush_redis() {
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" -n "$REDIS_TASKS_DB" flushdb >/dev/null
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" -n "$REDIS_CACHE_DB" flushdb >/dev/null
}

write_env() {
  umask 077
  cat >"$ENV_FILE.tmp" <<ENV
NETBOX_URL=${NB_URL}
NETBOX_TOKEN=${TOKEN_V2}
NETBOX_TOKEN_V1=${TOKEN_V1}
NETBOX_USER=${ADMIN_USER}
NETBOX_PASSWORD=${ADMIN_PASSWORD}
NETBOX_VERSION=${NB_VERSION}
ENV
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  umask 022
}

gunicorn_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

wait_until_answering() {
  local seconds=$1 pid
  for _ in $(seq 1 $((seconds * 5))); do
    answers && return 0
    if ! pid=$(gunicorn_pid) && [ -f "$PIDFILE" ]; then
      tail_log "$NB_STATE/gunicorn.log"
      die "gunicorn exited (log: $NB_STATE/gunicorn.log)"
    fi
    sleep 0.2
  done
  tail_log "$NB_STATE/gunicorn.log"
  die "NetBox did not answer on $NB_URL within $seconds s"
}

start_server() {
  if command -v ss >/dev/null && ss -Hltn "sport = :$NB_PORT" | grep -q .; then
    die "port $NB_PORT is taken by another program (set ISPFLOW_NETBOX_PORT)"
  fi
  say "starting gunicorn on $NB_URL"
  rm -f "$PIDFILE"
  # --preload: workers fork from a loaded app (boot 10 s instead of 13, HUP restarts them in < 1 s);
  # --no-control-socket: gunicorn would otherwise create one under ~/.gunicorn.
  # fd 8 holds this script's lock: the server must not inherit it.
  (cd "$NETBOX_ROOT" && NETBOX_ROOT="$NETBOX_ROOT" "$VENV/bin/gunicorn" \
    --bind "127.0.0.1:$NB_PORT" --workers "$NB_WORKERS" --threads "$NB_THREADS" \
    --timeout 120 --graceful-timeout 2 --preload --no-control-socket \
    --pid "$PIDFILE" --error-logfile "$NB_STATE/gunicorn.log" --capture-output --daemon netbox.wsgi) 8>&- \
    || { tail_log "$NB_STATE/gunicorn.log"; die "gunicorn did not start"; }
  wait_until_answering 120
}

stop_server() {
  local pid children
  pid=$(gunicorn_pid) || { rm -f "$PIDFILE"; return 0; }
  children=$(pgrep -P "$pid" || true)
  kill -TERM "$pid" 2>/dev/null || true
  # NetBox's workers only leave when the graceful timeout runs out, and the master waits for them.
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  # shellcheck disable=SC2086 # a list of pids
  kill -KILL "$pid" $children 2>/dev/null || true
  rm -f "$PIDFILE"
}

# New workers fork from the preloaded app; the old ones finish their requests and leave.
restart_workers() {
  local pid old
  pid=$(gunicorn_pid) || return 1
  old=$(pgrep -P "$pid" || true)
  kill -HUP "$pid"
  # A connection an old worker accepted just before leaving is closed unanswered: only return
  # once none of them is left to accept one (the graceful timeout bounds the wait).
  for _ in $(seq 1 100); do
    # shellcheck disable=SC2086 # a list of pids
    any_alive $old || break
    sleep 0.1
  done
  wait_until_answering 60
}

any_alive() {
  local pid
  for pid in "$@"; do
    if kill -0 "$pid" 2>/dev/null; then return 0; fi
  done
  return 1
}

up() {
  if answers && [ -f "$ENV_FILE" ] && gunicorn_pid >/dev/null && configured && provisioned; then
    say "already up at $NB_URL"
    return 0
  fi
  ensure_tools
  ensure_postgres
  ensure_redis
  ensure_venv
  write_configuration
  stop_server
  ensure_databases
  write_env
  start_server
  say "ready: NetBox $NB_VERSION at $NB_URL (API $NB_URL/api/), env in $ENV_FILE"
}

reset() {
  if ! gunicorn_pid >/dev/null || ! configured || ! provisioned; then
    up
    return 0
  fi
  clone_pristine
  flush_redis
  restart_workers
  say "reset to the bootstrapped state"
}

snapshot_db() {
  [[ "$1" =~ ^[a-z0-9_]{1,30}$ ]] || die "snapshot names are 1 to 30 of a-z, 0-9 and _, not '$1'"
  echo "${DB}_snap_$1"
}

# Keeps the current content (e.g. a populated benchmark fleet) as a template database.
save() {
  local snapshot
  snapshot=$(snapshot_db "$1")
  if ! provisioned || ! db_exists "$DB"; then die "nothing to save: run up first"; fi
  # A template must have no sessions; the workers reconnect on their next request.
  psql_role -c "select pg_terminate_backend(pid) from pg_stat_activity where datname = '$DB' and pid <> pg_backend_pid()" \
    -c "drop database if exists \"$snapshot\"" \
    -c "create database \"$snapshot\" template \"$DB\"" \
    -c "comment on database \"$snapshot\" is '$PROVISION_MARK'" >/dev/null
  say "saved the current content as snapshot '$1'"
}

# Exit status 3: no such snapshot for this NetBox version and provisioning.
restore() {
  local snapshot mark
  snapshot=$(snapshot_db "$1")
  if ! gunicorn_pid >/dev/null || ! configured || ! provisioned; then up; fi
  mark=$(psql_role -c "select shobj_description(oid, 'pg_database') from pg_database where datname = '$snapshot'")
  if [ "$mark" != "$PROVISION_MARK" ]; then
    say "no snapshot '$1' for this NetBox (save one with: $0 save $1)"
    exit 3
  fi
  psql_role -c "drop database if exists \"$DB\" with (force)" \
    -c "create database \"$DB\" template \"$snapshot\"" >/dev/null
  flush_redis
  restart_workers
  say "restored snapshot '$1'"
}

down() {
  stop_server
  if [ -f "$NB_STATE/redis.pid" ]; then
    kill -TERM "$(cat "$NB_STATE/redis.pid")" 2>/dev/null || true
    rm -f "$NB_STATE/redis.pid"
  fi
  if [ -f "$NB_STATE/started-postgresql" ]; then
    # shellcheck disable=SC2046 # "version name"
    pg_ctlcluster $(cat "$NB_STATE/started-postgresql") stop || true
    rm -f "$NB_STATE/started-postgresql"
  fi
  say "stopped"
}

mkdir -p "$NB_STATE"
# One `up`/`reset`/`down` at a time (test sessions and benchmarks may start several at once).
exec 8>"$NB_STATE/lock"
[ "${1:-up}" = status ] || flock 8

case "${1:-up}" in
  up) up ;;
  reset) reset ;;
  down) down ;;
  status) answers ;;
  save) save "${2:?usage: $0 save NAME}" ;;
  restore) restore "${2:?usage: $0 restore NAME}" ;;
  *) echo "usage: $0 up|down|reset|status|save NAME|restore NAME" >&2; exit 2 ;;
esac
