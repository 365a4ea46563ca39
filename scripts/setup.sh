#!/usr/bin/env bash
# npm run setup: installs and starts what Berth needs on a Debian or Ubuntu machine, and
# changes nothing that is already in place. Safe to run again at any time.
#
#   - Debian packages: PostgreSQL, Redis, Podman + runc, git, debootstrap, Chromium (browser tests)
#   - Podman configured for this kind of host (runc; ulimits within the host's)
#   - the kernel's neighbour (ARP) table raised for hundreds of containers (scripts/setup.d)
#   - the Podman API socket, running at BERTH_ENGINE_SOCKET (default /run/podman/podman.sock)
#   - PostgreSQL role and database, Redis server
#   - node_modules, .env with a generated BERTH_SECRET_KEY, the Prisma client, migrations
#   - the base stack image that builds start from (see scripts/setup.d)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
ok() { printf '    %-34s %s\n' "$1" "$2"; }
fail() { printf '\033[31msetup: %s\033[0m\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null && SUDO="sudo" || SUDO="__none__"
fi
as_root() {
  [ "$SUDO" = "__none__" ] && fail "this step needs root: run 'sudo npm run setup' (or install sudo). Step: $*"
  $SUDO "$@"
}

# .env first: later steps read DATABASE_URL etc. from it; values in the environment win. The file
# itself is written (or its URLs brought up to date) under "Berth", once the services are ready.
FROM_ENV_DATABASE_URL=${DATABASE_URL:-}
FROM_ENV_REDIS_URL=${REDIS_URL:-}
if [ -f .env ]; then
  set -a
  # shellcheck disable=SC1091
  . <(grep -E '^[A-Z_][A-Z0-9_]*=' .env | while IFS='=' read -r k v; do [ -z "${!k:-}" ] && printf '%s=%q\n' "$k" "$v"; done)
  set +a
fi
DATABASE_URL=${DATABASE_URL:-postgresql://berth@127.0.0.1:5432/berth}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
ENGINE_SOCKET=${BERTH_ENGINE_SOCKET:-/run/podman/podman.sock}

# The machine's passwords for the PostgreSQL role and Redis that setup runs on this machine, kept
# where only root reads them, so every clone of Berth here (CI, tests, the developer's own) gets
# the same ones in its .env. Made once, with random values; a password an existing .env already
# uses (other than the old defaults) is kept instead.
SECRETS_DIR=${BERTH_SECRETS_DIR:-/var/lib/berth/secrets}
OLD_DEFAULT_DB_PASSWORD=berth
# url_get URL FIELD: user, password, host, port, db (decoded); url_set_password URL (password in $PW).
url_get() { node -e 'const u = new URL(process.argv[1]); const f = { user: u.username, password: u.password, host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port, db: u.pathname.slice(1), scheme: u.protocol.slice(0, -1) }; process.stdout.write(decodeURIComponent(f[process.argv[2]]))' "$1" "$2"; }
url_set_password() { node -e 'const u = new URL(process.argv[1]); u.password = encodeURIComponent(process.env.PW); process.stdout.write(u.toString())' "$1"; }
is_local() { case "$1" in 127.0.0.1 | localhost | ::1) return 0 ;; *) return 1 ;; esac; }
# machine_secret NAME CANDIDATE: sets SECRET to the machine's password NAME, making it (from
# CANDIDATE when not empty, else random) when there is none yet; SECRET_STATE says which.
machine_secret() {
  local file="$SECRETS_DIR/$1.password"
  if as_root test -s "$file"; then
    SECRET=$(as_root cat "$file")
    SECRET_STATE="present"
    return
  fi
  if [ -n "${2:-}" ]; then SECRET=$2; SECRET_STATE="kept the one in use"; else SECRET=$(node -e "console.log(require('crypto').randomBytes(24).toString('hex'))"); SECRET_STATE="generated"; fi
  as_root install -d -m 700 "$SECRETS_DIR"
  as_root install -m 600 /dev/null "$file"
  printf '%s' "$SECRET" | as_root tee "$file" >/dev/null
}
# with_machine_password VAR NAME OLD_DEFAULT: puts the machine's password into the URL in $VAR.
# A URL without one, or with OLD_DEFAULT, gets it; a URL from the environment that carries
# another password stops setup, since the service cannot take two.
with_machine_password() {
  local var=$1 url=${!1} current from_env="FROM_ENV_$1" custom=""
  current=$(url_get "$url" password)
  [ -n "$current" ] && [ "$current" != "$3" ] && custom=$current
  machine_secret "$2" "$custom"
  if [ "$current" != "$SECRET" ]; then
    if [ -n "$custom" ] && [ "${!from_env}" = "$url" ]; then
      fail "$var in your environment carries a password that is not this machine's ($SECRETS_DIR/$2.password). Unset $var to use the machine's, or put yours in that file and run setup again."
    fi
    printf -v "$var" '%s' "$(PW=$SECRET url_set_password "$url")"
  fi
}

say "System packages"
# iptables: the firewall around the build network (the builder refuses to build without it).
# e2fsprogs: mkfs.ext4 and debugfs make each container's disk.
PACKAGES=(postgresql redis-server podman runc git debootstrap ca-certificates chromium haproxy busybox-static iproute2 iptables e2fsprogs)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || fail "missing ${missing[*]} and this is not a Debian/Ubuntu machine; install them by hand."
  ok "installing" "${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  ok "packages" "all present"
fi

say "Podman"
CONF=/etc/containers/containers.conf.d/berth.conf
WANT='[containers]
# The host cannot raise rlimits above its own hard limits; Podman'"'"'s defaults are higher.
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
# crun refuses cgroup v1 hybrid hosts; runc works on both v1 and v2.
runtime = "runc"
# Every container and every volume (each instance has a disk volume) holds one of these locks:
# the default 2048 ran out at about a thousand sleeping instances on one host.
num_locks = 32768'
if [ "$(cat "$CONF" 2>/dev/null)" != "$WANT" ]; then
  as_root mkdir -p "$(dirname "$CONF")"
  printf '%s\n' "$WANT" | as_root tee "$CONF" >/dev/null
  ok "$CONF" "written"
  # An engine that already ran made its locks with the old number: it stops, the locks are made
  # again for the new one (`podman system renumber`), and it is started again below. Containers
  # keep running; no engine call is under way while the service is stopped.
  if [ -e /dev/shm/libpod_lock ]; then
    if [ -d /run/systemd/system ] && [ "$ENGINE_SOCKET" = /run/podman/podman.sock ]; then
      as_root systemctl stop podman.service podman.socket >/dev/null 2>&1 || true
    else
      as_root pkill -f "podman system service" || true
      for _ in $(seq 1 50); do pgrep -f "podman system service" >/dev/null || break; sleep 0.2; done
    fi
    # Podman cannot open a lock segment of another size, not even to renumber it: it goes first.
    as_root rm -f /dev/shm/libpod_lock
    as_root podman system renumber
    ok "engine locks" "made again for the new configuration"
  fi
else
  ok "$CONF" "present"
fi
if curl -sf --unix-socket "$ENGINE_SOCKET" http://d/v1.41/version >/dev/null 2>&1; then
  ok "engine API $ENGINE_SOCKET" "answering"
else
  as_root mkdir -p "$(dirname "$ENGINE_SOCKET")"
  if [ -d /run/systemd/system ] && [ "$ENGINE_SOCKET" = /run/podman/podman.sock ]; then
    as_root systemctl enable --now podman.socket >/dev/null
  else
    as_root mkdir -p /var/log/berth
    # From the socket's directory: conmon inherits the working directory and writes files there
    # (an `oom` marker after an OOM kill), which must not land in this checkout.
    (cd "$(dirname "$ENGINE_SOCKET")" && as_root setsid nohup podman system service --time=0 "unix://$ENGINE_SOCKET") >>/var/log/berth/podman-service.log 2>&1 < /dev/null &
  fi
  for _ in $(seq 1 50); do curl -sf --unix-socket "$ENGINE_SOCKET" http://d/v1.41/version >/dev/null 2>&1 && break; sleep 0.2; done
  curl -sf --unix-socket "$ENGINE_SOCKET" http://d/v1.41/version >/dev/null || fail "the Podman API did not start at $ENGINE_SOCKET; see /var/log/berth/podman-service.log"
  ok "engine API $ENGINE_SOCKET" "started"
fi

say "PostgreSQL"
DB_USER=$(url_get "$DATABASE_URL" user)
DB_NAME=$(url_get "$DATABASE_URL" db)
DB_HOST=$(url_get "$DATABASE_URL" host)
DB_PORT=$(url_get "$DATABASE_URL" port)
DB_PORT=${DB_PORT:-5432}
DB_SECRET=""
if is_local "$DB_HOST"; then
  if pg_isready -q -h 127.0.0.1 -p "$DB_PORT"; then
    ok "server" "running"
  else
    if command -v pg_ctlcluster >/dev/null; then
      cluster=$(pg_lsclusters --no-header | awk -v port="$DB_PORT" '$3 == port {print $1" "$2; exit}')
      [ -n "$cluster" ] || fail "no PostgreSQL cluster on port $DB_PORT; create one with pg_createcluster"
      # shellcheck disable=SC2086
      as_root pg_ctlcluster --skip-systemctl-redirect $cluster start
    else
      fail "PostgreSQL is not running on 127.0.0.1:$DB_PORT and pg_ctlcluster is missing; start it yourself"
    fi
    for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p "$DB_PORT" && break; sleep 0.2; done
    ok "server" "started"
  fi
  # SQL goes on stdin, so no password shows in the process list.
  psql_admin() { as_root su postgres -c "psql -p $DB_PORT -qtAX -v ON_ERROR_STOP=1"; }
  sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }
  sql_ident() { printf '"%s"' "${1//\"/\"\"}"; }
  role_logs_in() { PGPASSWORD=$DB_SECRET PGCONNECT_TIMEOUT=5 psql -h 127.0.0.1 -p "$DB_PORT" -U "$DB_USER" -d "$DB_NAME" -qtAX -c 'SELECT 1' >/dev/null 2>&1; }
  with_machine_password DATABASE_URL postgres "$OLD_DEFAULT_DB_PASSWORD"
  DB_SECRET=$SECRET
  ok "password" "$SECRET_STATE ($SECRETS_DIR/postgres.password)"
  if [ "$(echo "SELECT 1 FROM pg_roles WHERE rolname=$(sql_literal "$DB_USER")" | psql_admin)" != 1 ]; then
    # CREATEDB: the test suite makes a throw-away database per run.
    echo "CREATE ROLE $(sql_ident "$DB_USER") LOGIN CREATEDB PASSWORD $(sql_literal "$DB_SECRET")" | psql_admin
    ok "role $DB_USER" "created"
    ROLE_STATE=""
  else
    ROLE_STATE="present"
  fi
  if [ "$(echo "SELECT 1 FROM pg_database WHERE datname=$(sql_literal "$DB_NAME")" | psql_admin)" != 1 ]; then
    echo "CREATE DATABASE $(sql_ident "$DB_NAME") OWNER $(sql_ident "$DB_USER")" | psql_admin
    ok "database $DB_NAME" "created"
  else
    ok "database $DB_NAME" "present"
  fi
  if [ -n "$ROLE_STATE" ]; then
    if role_logs_in; then
      ok "role $DB_USER" "present"
    else
      # An install from before the machine's password (the old default berth:berth), or a lost one.
      echo "ALTER ROLE $(sql_ident "$DB_USER") PASSWORD $(sql_literal "$DB_SECRET")" | psql_admin
      ok "role $DB_USER" "password set to the machine's"
    fi
  fi
  role_logs_in || fail "role $DB_USER cannot log in to 127.0.0.1:$DB_PORT with the machine's password; check pg_hba.conf allows password logins from 127.0.0.1"
  listen=$(echo "SHOW listen_addresses" | psql_admin)
  case ",${listen// /}," in
    *,\**|*,0.0.0.0,*|*,::,*) ok "listening on" "$listen (WARNING: not only loopback; set listen_addresses = 'localhost')" ;;
    *) ok "listening on" "$listen" ;;
  esac
else
  ok "database" "remote ($DB_HOST): not managed by setup"
fi

say "Redis"
REDIS_HOST=$(url_get "$REDIS_URL" host)
REDIS_PORT=$(url_get "$REDIS_URL" port)
REDIS_PORT=${REDIS_PORT:-6379}
REDIS_SECRET=""
# redis_ping PASSWORD: what Redis answers a PING (PONG, NOAUTH…, or nothing when it is down).
redis_ping() {
  if [ -n "$1" ]; then
    REDISCLI_AUTH=$1 redis-cli --no-auth-warning -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>&1 | grep -v '^AUTH failed' || true
  else
    env -u REDISCLI_AUTH redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>&1 || true
  fi
}
redis_as_admin() { REDISCLI_AUTH=$REDIS_SECRET redis-cli --no-auth-warning -h "$REDIS_HOST" -p "$REDIS_PORT" "$@"; }
if is_local "$REDIS_HOST" && [ "$(url_get "$REDIS_URL" scheme)" = redis ] && [ -z "$(url_get "$REDIS_URL" user)" ]; then
  with_machine_password REDIS_URL redis ""
  REDIS_SECRET=$SECRET
  ok "password" "$SECRET_STATE ($SECRETS_DIR/redis.password)"
  answer=$(redis_ping "")
  case "$answer" in
    PONG)
      # An install from before the machine's password: the server and its data stay; from now
      # on it asks every client for the password (commands on stdin: none in the process list).
      printf 'CONFIG SET requirepass %s\n' "$REDIS_SECRET" | env -u REDISCLI_AUTH redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" | grep -qx OK \
        || fail "could not set a password on the Redis at 127.0.0.1:$REDIS_PORT"
      config_file=$(redis_as_admin info server | sed -n 's/^config_file:\(.*\)\r$/\1/p')
      if [ -n "$config_file" ] && redis_as_admin config rewrite | grep -qx OK; then
        ok "server" "running; password now required (also in $config_file), data kept"
      else
        ok "server" "running; password now required, data kept"
      fi
      ;;
    *NOAUTH*)
      [ "$(redis_ping "$REDIS_SECRET")" = PONG ] \
        || fail "the Redis at 127.0.0.1:$REDIS_PORT asks for a password that is not the machine's ($SECRETS_DIR/redis.password); put its password in that file and run setup again"
      ok "server" "running, password required"
      ;;
    *)
      # The configuration comes on stdin, so the password is not in the process list.
      printf 'requirepass %s\n' "$REDIS_SECRET" \
        | as_root redis-server - --daemonize yes --bind 127.0.0.1 --protected-mode yes --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
      for _ in $(seq 1 50); do [ "$(redis_ping "$REDIS_SECRET")" = PONG ] && break; sleep 0.1; done
      [ "$(redis_ping "$REDIS_SECRET")" = PONG ] || fail "Redis did not start on 127.0.0.1:$REDIS_PORT"
      ok "server" "started on port $REDIS_PORT, password required"
      ;;
  esac
  ok "listening on" "$(redis_as_admin config get bind | sed -n 2p)"
elif [ "$(redis_ping "$(url_get "$REDIS_URL" password)")" = PONG ]; then
  ok "server" "$REDIS_HOST:$REDIS_PORT answers: not managed by setup"
else
  fail "Redis at $REDIS_HOST:$REDIS_PORT does not answer with the password in REDIS_URL"
fi
export DATABASE_URL REDIS_URL

say "Berth"
# .env: written once with a new BERTH_SECRET_KEY; after that only its URLs to this machine's
# PostgreSQL and Redis are brought up to date (the machine's passwords), every other line kept.
if [ ! -f .env ]; then
  key=$(node -e "console.log(require('crypto').randomBytes(32).toString('hex'))")
  (umask 077 && cat > .env <<ENV
# Written by npm run setup. See README "Configuration" for every variable.
BERTH_SECRET_KEY=$key
DATABASE_URL=$DATABASE_URL
REDIS_URL=$REDIS_URL
ENV
  )
  chmod 600 .env
  ok ".env" "written (new BERTH_SECRET_KEY, the machine's passwords)"
else
  changed=()
  for var in DATABASE_URL REDIS_URL; do
    secret=$([ "$var" = DATABASE_URL ] && echo "$DB_SECRET" || echo "$REDIS_SECRET")
    line=$(grep -E "^$var=" .env | tail -n 1 || true)
    if [ -z "$line" ]; then
      printf '%s=%s\n' "$var" "${!var}" >> .env
      changed+=("$var added")
      continue
    fi
    value=${line#*=}
    value=${value%\"}; value=${value#\"}; value=${value%\'}; value=${value#\'}
    [ -n "$secret" ] && is_local "$(url_get "$value" host)" || continue
    [ "$(url_get "$value" password)" = "$secret" ] && continue
    K=$var V=$(PW=$secret url_set_password "$value") awk 'index($0, ENVIRON["K"] "=") == 1 { print ENVIRON["K"] "=" ENVIRON["V"]; next } { print }' .env > .env.setup-tmp
    cat .env.setup-tmp > .env && rm -f .env.setup-tmp
    changed+=("$var")
  done
  if [ ${#changed[@]} -gt 0 ]; then
    ok ".env" "rewritten: ${changed[*]} (the machine's passwords); other lines kept"
  else
    ok ".env" "present, unchanged"
  fi
fi
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
  ok "node_modules" "installed"
else
  ok "node_modules" "present"
fi
npm run --silent generate >/dev/null 2>&1 || fail "prisma generate failed; run npm run generate to see why"
ok "prisma client" "generated"
ok "migrations" "$(node scripts/db-migrate.mjs deploy)"

# Feature steps (base images and the like) live in scripts/setup.d, run in name order.
for step in scripts/setup.d/*.sh; do
  [ -e "$step" ] || continue
  # shellcheck disable=SC1090
  . "$step"
done

say "Ready. Start Berth with: npm start"
