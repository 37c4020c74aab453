#!/bin/sh
# One-shot: creates Temporal's two databases when missing and brings their schemas to the server's
# version with temporal-sql-tool (update-schema is idempotent, so re-running is safe).
set -eu
for pair in "temporal:temporal" "temporal_visibility:visibility"; do
  db="${pair%%:*}"; schema="${pair##*:}"
  temporal-sql-tool --plugin postgres12 --endpoint "$POSTGRES_SEEDS" --port 5432 --user "$POSTGRES_USER" --password "$POSTGRES_PWD" --db "$db" create-database 2>/dev/null || true
  temporal-sql-tool --plugin postgres12 --endpoint "$POSTGRES_SEEDS" --port 5432 --user "$POSTGRES_USER" --password "$POSTGRES_PWD" --db "$db" setup-schema --version 0.0 2>/dev/null || true
  temporal-sql-tool --plugin postgres12 --endpoint "$POSTGRES_SEEDS" --port 5432 --user "$POSTGRES_USER" --password "$POSTGRES_PWD" --db "$db" update-schema --schema-dir "/etc/temporal/schema/postgresql/v12/$schema/versioned"
done
