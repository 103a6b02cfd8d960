#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases (run by the
# temporal-schema service of compose.yaml in the temporalio/admin-tools
# image). Safe to run on every `docker compose up`: creating what exists
# is tolerated, and update-schema, which must succeed, is idempotent.
# Connection: SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD.
set -eu

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) schema=postgresql/v12/temporal ;;
    temporal_visibility) schema=postgresql/v12/visibility ;;
  esac
  if temporal-sql-tool --db "$db" create-database 2>/dev/null; then
    echo "created database $db"
    temporal-sql-tool --db "$db" setup-schema -v 0.0
  else
    echo "database $db exists (or could not be created); upgrading it"
  fi
  temporal-sql-tool --db "$db" update-schema --schema-name "$schema"
done
echo "Temporal schemas are up to date"
