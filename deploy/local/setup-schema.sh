#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases, temporal and
# temporal_visibility, with the server's own schema tool. Every step is
# idempotent (create-database accepts an existing database, setup-schema
# -v 0.0 keeps a newer version, update-schema applies only what is
# missing), so it runs before every server start: deploy/local/topology
# runs it with the tool built from patchflow's go.mod, deploy/compose's
# temporal-schema service in the temporalio/admin-tools image.
# Connection: SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD (SQL_PLUGIN is
# postgres12 unless set). TEMPORAL_SQL_TOOL names the tool if it is not
# temporal-sql-tool on PATH.
set -eu
: "${SQL_PLUGIN:=postgres12}"
export SQL_PLUGIN
tool=${TEMPORAL_SQL_TOOL:-temporal-sql-tool}

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) schema=postgresql/v12/temporal ;;
    temporal_visibility) schema=postgresql/v12/visibility ;;
  esac
  "$tool" --db "$db" create-database
  "$tool" --db "$db" setup-schema -v 0.0
  "$tool" --db "$db" update-schema --schema-name "$schema"
done
echo "Temporal schemas are up to date"
