#!/bin/sh
# Makes the secrets docker/compose.yaml needs, once: random passwords for PostgreSQL and Redis
# and Berth's BERTH_SECRET_KEY (which encrypts config vars at rest: keep a copy somewhere safe,
# config vars cannot be read without it). Run again any time: existing secrets are kept.
#
#   sh docker/init-secrets.sh [DIR]    (DIR: docker/secrets, where compose.yaml looks)
set -eu

dir=${1:-$(dirname "$0")/secrets}
umask 077
mkdir -p "$dir"

hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
make() {
  if [ -s "$dir/$1" ]; then
    echo "$1: present"
  else
    hex "$2" >"$dir/$1"
    echo "$1: made"
  fi
}
# Hex, so they go into connection URLs as they are.
make postgres_password 24
make redis_password 24
make berth_secret_key 32
