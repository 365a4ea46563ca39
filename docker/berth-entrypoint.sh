#!/bin/sh
# Starts Berth in its container: reads secrets from files (compose secrets), applies pending
# database migrations, then runs the command (Berth, every role, by default).
#
#   BERTH_SECRET_KEY_FILE     file holding BERTH_SECRET_KEY (64 hex characters)
#   POSTGRES_PASSWORD_FILE    with POSTGRES_HOST (postgres), POSTGRES_PORT (5432), POSTGRES_USER
#                             and POSTGRES_DB (berth): makes DATABASE_URL when it is not set
#   REDIS_PASSWORD_FILE       with REDIS_HOST (redis), REDIS_PORT (6379): makes REDIS_URL
# Passwords go into URLs as they are: use URL-safe ones (docker/init-secrets.sh makes hex).
set -eu

read_secret() { tr -d '\r\n' <"$1"; }

if [ -z "${BERTH_SECRET_KEY:-}" ] && [ -n "${BERTH_SECRET_KEY_FILE:-}" ]; then
  BERTH_SECRET_KEY=$(read_secret "$BERTH_SECRET_KEY_FILE")
  export BERTH_SECRET_KEY
fi
if [ -z "${DATABASE_URL:-}" ] && [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
  DATABASE_URL="postgresql://${POSTGRES_USER:-berth}:$(read_secret "$POSTGRES_PASSWORD_FILE")@${POSTGRES_HOST:-postgres}:${POSTGRES_PORT:-5432}/${POSTGRES_DB:-berth}"
  export DATABASE_URL
fi
if [ -z "${REDIS_URL:-}" ] && [ -n "${REDIS_PASSWORD_FILE:-}" ]; then
  REDIS_URL="redis://:$(read_secret "$REDIS_PASSWORD_FILE")@${REDIS_HOST:-redis}:${REDIS_PORT:-6379}"
  export REDIS_URL
fi

if [ ! -S "${BERTH_ENGINE_SOCKET:-/run/engine.sock}" ]; then
  echo "berth: no container engine socket at ${BERTH_ENGINE_SOCKET:-/run/engine.sock}. Mount the host's Podman or Docker socket there (see docker/compose.yaml)." >&2
  exit 1
fi

# PostgreSQL may still be starting: try the migrations for a minute before giving up.
tries=0
until node scripts/db-migrate.mjs deploy; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "berth: could not apply the database migrations to ${POSTGRES_HOST:-the database} for a minute; check that PostgreSQL runs and the password matches." >&2
    exit 1
  fi
  sleep 2
done

exec "$@"
