#!/bin/sh
# The postgres image allows replication connections from localhost only; let the worker's
# container connect (password-authenticated) for logical replication.
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
