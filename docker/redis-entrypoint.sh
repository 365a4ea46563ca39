#!/bin/sh
# Redis for Berth: listens on every address of its container, with the password read from
# $REDIS_PASSWORD_FILE (written into a configuration file only Redis can read, not onto its
# command line, where `ps` would show it).
set -eu

if [ -z "${REDIS_PASSWORD_FILE:-}" ] || [ ! -s "$REDIS_PASSWORD_FILE" ]; then
  echo "redis: REDIS_PASSWORD_FILE must name a file holding the password (docker/init-secrets.sh makes one)." >&2
  exit 1
fi
password=$(tr -d '\r\n' <"$REDIS_PASSWORD_FILE")

mkdir -p /data /run/redis
chown redis:redis /data /run/redis
umask 077
cat >/run/redis/redis.conf <<CONF
bind 0.0.0.0
protected-mode no
port 6379
dir /data
appendonly yes
requirepass "$password"
CONF
chown redis:redis /run/redis/redis.conf

exec setpriv --reuid=redis --regid=redis --init-groups redis-server /run/redis/redis.conf
