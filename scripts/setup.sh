#!/usr/bin/env bash
# npm run setup: installs and starts what Berth needs on a Debian or Ubuntu machine, and
# changes nothing that is already in place. Safe to run again at any time.
#
#   - Debian packages: PostgreSQL, Redis, Podman + runc, git, debootstrap, Chromium (browser tests)
#   - Podman configured for this kind of host (runc; ulimits within the host's)
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

# .env first: later steps read DATABASE_URL etc. from it; values in the environment win.
if [ ! -f .env ]; then
  key=$(node -e "console.log(require('crypto').randomBytes(32).toString('hex'))")
  cat > .env <<ENV
# Written by npm run setup. See README "Configuration" for every variable.
BERTH_SECRET_KEY=$key
DATABASE_URL=postgresql://berth:berth@127.0.0.1:5432/berth
REDIS_URL=redis://127.0.0.1:6379
ENV
  chmod 600 .env
  ENV_STATE="written (new BERTH_SECRET_KEY)"
else
  ENV_STATE="present, unchanged"
fi
set -a
# shellcheck disable=SC1091
. <(grep -E '^[A-Z_][A-Z0-9_]*=' .env | while IFS='=' read -r k v; do [ -z "${!k:-}" ] && printf '%s=%q\n' "$k" "$v"; done)
set +a
DATABASE_URL=${DATABASE_URL:-postgresql://berth:berth@127.0.0.1:5432/berth}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
ENGINE_SOCKET=${BERTH_ENGINE_SOCKET:-/run/podman/podman.sock}

say "System packages"
# iptables: the firewall around the build network (the builder refuses to build without it).
PACKAGES=(postgresql redis-server podman runc git debootstrap ca-certificates chromium haproxy busybox-static iproute2 iptables)
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
runtime = "runc"'
if [ "$(cat "$CONF" 2>/dev/null)" != "$WANT" ]; then
  as_root mkdir -p "$(dirname "$CONF")"
  printf '%s\n' "$WANT" | as_root tee "$CONF" >/dev/null
  ok "$CONF" "written"
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
if pg_isready -q -h 127.0.0.1 -p 5432; then
  ok "server" "running"
else
  if command -v pg_ctlcluster >/dev/null; then
    cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
    [ -n "$cluster" ] || fail "no PostgreSQL cluster found; create one with pg_createcluster"
    # shellcheck disable=SC2086
    as_root pg_ctlcluster --skip-systemctl-redirect $cluster start
  else
    fail "PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster is missing; start it yourself"
  fi
  for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
  ok "server" "started"
fi
DB_USER=$(node -e "const u=new URL(process.argv[1]); console.log(decodeURIComponent(u.username))" "$DATABASE_URL")
DB_PASS=$(node -e "const u=new URL(process.argv[1]); console.log(decodeURIComponent(u.password))" "$DATABASE_URL")
DB_NAME=$(node -e "const u=new URL(process.argv[1]); console.log(u.pathname.slice(1))" "$DATABASE_URL")
DB_HOST=$(node -e "const u=new URL(process.argv[1]); console.log(u.hostname)" "$DATABASE_URL")
if [ "$DB_HOST" = 127.0.0.1 ] || [ "$DB_HOST" = localhost ]; then
  psql_admin() { as_root su postgres -c "psql -qtAX -v ON_ERROR_STOP=1 $*"; }
  if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'\"")" != 1 ]; then
    # CREATEDB: the test suite makes a throw-away database per run.
    psql_admin "-c \"CREATE ROLE \\\"$DB_USER\\\" LOGIN CREATEDB PASSWORD '$DB_PASS'\""
    ok "role $DB_USER" "created"
  else
    ok "role $DB_USER" "present"
  fi
  if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname='$DB_NAME'\"")" != 1 ]; then
    psql_admin "-c \"CREATE DATABASE \\\"$DB_NAME\\\" OWNER \\\"$DB_USER\\\"\""
    ok "database $DB_NAME" "created"
  else
    ok "database $DB_NAME" "present"
  fi
else
  ok "database" "remote ($DB_HOST): not managed by setup"
fi

say "Redis"
REDIS_HOST=$(node -e "console.log(new URL(process.argv[1]).hostname)" "$REDIS_URL")
REDIS_PORT=$(node -e "console.log(new URL(process.argv[1]).port || 6379)" "$REDIS_URL")
if redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  ok "server" "running"
elif [ "$REDIS_HOST" = 127.0.0.1 ] || [ "$REDIS_HOST" = localhost ]; then
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  ok "server" "started on port $REDIS_PORT"
else
  fail "Redis at $REDIS_URL does not answer"
fi

say "Berth"
ok ".env" "$ENV_STATE"
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
