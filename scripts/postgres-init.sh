#!/bin/sh
# docker-compose: runs once, when the postgres container initialises an empty volume
# (/docker-entrypoint-initdb.d). Two roles besides the administrator (POSTGRES_USER):
#   invoicing      owns the database and its tables: migrations run as it (compose: migrate);
#   invoicing_app  what web, worker and beat connect as: rows only (manage.py grant_app_role).
# Neither is a superuser; only the owner could switch a trigger off (contracts.seals).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v db="$POSTGRES_DB" -v owner_pw="$OWNER_DB_PASSWORD" -v app_pw="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE invoicing LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_pw';
CREATE ROLE invoicing_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_pw';
ALTER DATABASE :"db" OWNER TO invoicing;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
