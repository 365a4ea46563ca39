#!/bin/sh
# PostgreSQL for Berth: a cluster in $PGDATA (made on first start), reachable over TCP with a
# password only (scram-sha-256), and the role $POSTGRES_USER owning the database $POSTGRES_DB,
# whose password is read from $POSTGRES_PASSWORD_FILE at every start.
set -eu

bin=/usr/lib/postgresql/15/bin
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

if [ -z "${POSTGRES_PASSWORD_FILE:-}" ] || [ ! -s "$POSTGRES_PASSWORD_FILE" ]; then
  echo "postgres: POSTGRES_PASSWORD_FILE must name a file holding the password of ${POSTGRES_USER} (docker/init-secrets.sh makes one)." >&2
  exit 1
fi
password=$(tr -d '\r\n' <"$POSTGRES_PASSWORD_FILE")

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  as_postgres "$bin/initdb" -D "$PGDATA" --username=postgres --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  {
    echo "listen_addresses = '*'"
    echo "password_encryption = scram-sha-256"
  } >>"$PGDATA/postgresql.conf"
  {
    echo "host all all 0.0.0.0/0 scram-sha-256"
    echo "host all all ::/0 scram-sha-256"
  } >>"$PGDATA/pg_hba.conf"
fi

# The role and database, on a server that listens on its socket only meanwhile.
as_postgres "$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w -s start
as_postgres "$bin/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -v user="$POSTGRES_USER" -v db="$POSTGRES_DB" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user')\gexec
ALTER ROLE :"user" WITH LOGIN PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\gexec
SQL
as_postgres "$bin/pg_ctl" -D "$PGDATA" -m fast -w -s stop

exec setpriv --reuid=postgres --regid=postgres --init-groups "$bin/postgres" -D "$PGDATA"
