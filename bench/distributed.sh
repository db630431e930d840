#!/usr/bin/env bash
# Distributed-mode benchmark (issue 18's Performance section): a 3-worker Tributary cluster
# (`tributary distributed`) against a 3-worker Kafka Connect 4.3 cluster with Debezium 3.6.1
# (scripts/lib/connect.sh), on one Apache Kafka broker and one PostgreSQL, both started under
# target/bench-distributed. Prints figures; asserts nothing.
#
#   bench/distributed.sh
#   BENCH_REBALANCE_DELAY_MS=N  scheduled.rebalance.max.delay.ms of the "defaults" run (default
#                               30000; Connect's own default is 300000, i.e. 5 minutes of waiting
#                               per side: set it to 300000 to measure exactly that)
#
# Each side runs twice, with its own database (bench_trib, bench_dbz), slots, topics and group
# per run, and never at the same time as the other side: session.timeout.ms=10000 and
# heartbeat.interval.ms=3000 (Connect's defaults) with scheduled.rebalance.max.delay.ms =
# BENCH_REBALANCE_DELAY_MS, then = 0. Both sides' workers get the same properties (the ones
# scripts/lib/connect-worker.sh writes, plus those three). Three PostgreSQL connectors (pgoutput,
# one table each, snapshot.mode=no_data, tasks.max=1) stream t0, t1 and t2, into which a
# PL/pgSQL loop commits one small INSERT per table every ~10 ms (~90 rows/s each).
# 1. Failover: `kill -9` of the worker that GET /connectors/c0/status names as task 0's owner.
#    Failover time = CreateTime of the first record on c0's topic later than the kill, minus the
#    kill time (the dead worker cannot produce after it, so the new owner did).
# 2. Join (in the delay=0 run, before the kill): a fourth worker starts; from its start to every
#    worker having joined the first generation that includes it, and to every worker having
#    joined the last generation of that rebalance (incremental cooperative: a revoking round,
#    then an assigning one). The events: Tributary's "joined the group ... generation=N" (after
#    JoinGroup) and Connect's "Joined group at generation N" (after SyncGroup; Connect logs
#    nothing at INFO between the two). The fourth worker then stops (SIGTERM) before the kill.
# 3. No stop-the-world: records per 1 s of record timestamp on the three topics from 5 s before
#    to 15 s after each event; "min/s" is the lowest count of an unaffected connector (c1, c2
#    unless its task was on the killed worker) from 5 s before the event to 5 s after the
#    failover (at least 15 s after the event), and the longest time between two of its records
#    in that span. 0/s, or a gap of seconds, would be a stop-the-world pause. (Connect hands
#    Debezium's records to its producer in poll batches, so its 1 s counts are burstier.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
source scripts/lib/kafka.sh
source scripts/lib/connect.sh
source bench/lib/peers.sh
DELAY_MS=${BENCH_REBALANCE_DELAY_MS:-30000}
SESSION_MS=10000
HEARTBEAT_MS=3000
work=$PWD/target/bench-distributed
mkdir -p "$work"

command -v bc >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq bc >/dev/null; }
cargo build --release --quiet --bin tributary
bin=$PWD/target/release/tributary
kafka_python_install "$PWD/target/py-kafka"
probe() { "$TRIBUTARY_KAFKA_PYTHON" bench/lib/distributed_probe.py "$@"; }
now_ms() { date +%s%3N; }

loader=
cleanup() {
  local f
  [ -n "$loader" ] && kill "$loader" 2>/dev/null
  for f in "$work"/*/w*/worker.pid; do [ -f "$f" ] && java_stop "$f" 15; done
  kafka_stop "$work/kafka"
  pg_stop "$work/pg"
}
trap cleanup EXIT
pg_stop "$work/pg" || true
kafka_stop "$work/kafka" || true
pg_start "$work/pg"
kafka_start "$work/kafka"
bootstrap=$TRIBUTARY_KAFKA_BOOTSTRAP
connect_install
psqlb() { pg_as "$PG_BIN/psql" -h "$TRIBUTARY_PG_SOCKET_DIR" -p "$TRIBUTARY_PG_PORT" -U postgres -qAtX -v ON_ERROR_STOP=1 "$@"; }
psqlb -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" >/dev/null
for db in bench_trib bench_dbz; do
  psqlb -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  for t in t0 t1 t2; do
    psqlb -d "$db" -c "CREATE TABLE $t (id bigserial PRIMARY KEY, v text NOT NULL, at timestamptz NOT NULL DEFAULT now())" \
      -c "CREATE PUBLICATION pub_$t FOR TABLE $t"
  done
done

# One committed INSERT per table every ~10 ms, until load_stop (at most 20 minutes).
load_start() { # db
  PGAPPNAME=bench-load psqlb -d "$1" -c "DO \$\$ BEGIN FOR i IN 1..120000 LOOP
    INSERT INTO t0 (v) VALUES ('r' || i); COMMIT; INSERT INTO t1 (v) VALUES ('r' || i); COMMIT;
    INSERT INTO t2 (v) VALUES ('r' || i); COMMIT; PERFORM pg_sleep(0.01); END LOOP; END \$\$" >/dev/null 2>&1 &
  loader=$!
}
load_stop() {
  psqlb -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bench-load'" >/dev/null
  wait "$loader" 2>/dev/null || true
  loader=
}

# Workers live in $work/RUN/wI: worker.log, worker.pid, addr (the REST host:port, its worker_id).
start_worker() { # kind run i
  local d=$work/$2/w$3 i
  mkdir -p "$d"
  if [ "$1" = trib ]; then
    "$bin" distributed --listen 127.0.0.1:0 "$work/$2/worker.properties" > "$d/worker.log" 2>&1 &
    echo $! > "$d/worker.pid"
    for i in $(seq 1 600); do
      sed -n 's|.*REST API listening on http://\([0-9.:]*\).*|\1|p' "$d/worker.log" | head -1 > "$d/addr"
      [ -s "$d/addr" ] && curl -sf "http://$(cat "$d/addr")/health" >/dev/null && return 0
      kill -0 "$(cat "$d/worker.pid")" 2>/dev/null || break
      sleep 0.1
    done
    echo "worker $2/w$3 did not become healthy:" >&2; tail -20 "$d/worker.log" >&2; return 1
  else
    TRIBUTARY_CONNECT_WORKER_EXTRA=$(cat "$work/$2/extra.properties") connect_start "$d" "$bootstrap" "$2" >/dev/null
    echo "127.0.0.1:$(sed -n 's/^rest.advertised.port=//p' "$d/worker.properties")" > "$d/addr"
  fi
}
# A running worker's REST address.
any_addr() { # run
  local d
  for d in "$work/$1"/w*; do
    kill -0 "$(cat "$d/worker.pid" 2>/dev/null)" 2>/dev/null && { cat "$d/addr"; return; }
  done
}
owner() { # run connector: task 0's worker_id once RUNNING on a running worker
  local i s
  for i in $(seq 1 600); do
    s=$(curl -s "http://$(any_addr "$1")/connectors/$2/status" | python3 -c 'import json, sys
t = json.load(sys.stdin)["tasks"]; print(t[0]["worker_id"] if t and t[0]["state"] == "RUNNING" else "")' 2>/dev/null || true)
    [ -n "$s" ] && [ -f "$(worker_of "$1" "$s")/worker.pid" ] && { echo "$s"; return 0; }
    sleep 0.2
  done
  echo "$2 never RUNNING" >&2; return 1
}
# The group leader's worker_id: the running worker that last logged "assigning as the leader"
# (Tributary), or the leaderUrl of the last assignment a running Connect worker logged.
leader_addr() { # kind run
  local d
  if [ "$1" = trib ]; then
    for d in "$work/$2"/w*; do
      [ -f "$d/worker.pid" ] || continue
      grep "assigning as the leader" "$d/worker.log" | tail -1 | sed "s|\$| $(cat "$d/addr")|"
    done | sort | tail -1 | awk '{ print $NF }' || true
  else
    for d in "$work/$2"/w*; do [ -f "$d/worker.pid" ] && grep -h "Joined group at generation" "$d/worker.log"; done |
      sort | tail -1 | sed -n "s|.*leaderUrl='http://\([^/]*\)/'.*|\1|p" || true
  fi
}
topic() { echo "${1}_$2.public.t${2#c}"; } # run connector
worker_of() { dirname "$(grep -lx "$2" "$work/$1"/w*/addr | head -1)"; } # run worker_id -> dir

declare -A R # results, by run and figure
run() { # kind run delay-ms join(0/1)
  local kind=$1 name=$2 delay=$3 join=$4 db c i t0 code ts src victim span leader vc
  db=bench_$([ "$kind" = trib ] && echo trib || echo dbz)
  rm -rf "${work:?}/$name"; mkdir -p "$work/$name"
  printf 'session.timeout.ms=%s\nheartbeat.interval.ms=%s\nscheduled.rebalance.max.delay.ms=%s\n' \
    "$SESSION_MS" "$HEARTBEAT_MS" "$delay" > "$work/$name/extra.properties"
  # Tributary: the properties scripts/lib/connect-worker.sh writes (but the plugin path and
  # listeners), then the same three.
  cat > "$work/$name/worker.properties" <<PROPS
bootstrap.servers=$bootstrap
group.id=$name
config.storage.topic=$name-configs
offset.storage.topic=$name-offsets
status.storage.topic=$name-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
offset.storage.partitions=1
status.storage.replication.factor=1
status.storage.partitions=1
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
offset.flush.interval.ms=1000
topic.creation.enable=true
PROPS
  cat "$work/$name/extra.properties" >> "$work/$name/worker.properties"
  echo "== $name: 3 workers, session.timeout.ms=$SESSION_MS heartbeat.interval.ms=$HEARTBEAT_MS scheduled.rebalance.max.delay.ms=$delay"
  for i in 0 1 2; do start_worker "$kind" "$name" $i & done
  for i in 0 1 2; do wait -n || { echo "a worker did not start" >&2; return 1; }; done
  for c in c0 c1 c2; do
    cat > "$work/$name/$c.json" <<JSON
{"name": "$c", "config": {
  "connector.class": "io.debezium.connector.postgresql.PostgresConnector", "tasks.max": "1",
  "database.hostname": "127.0.0.1", "database.port": "$TRIBUTARY_PG_PORT",
  "database.user": "postgres", "database.password": "postgres", "database.dbname": "$db",
  "topic.prefix": "${name}_$c", "slot.name": "${name}_$c", "publication.name": "pub_t${c#c}",
  "plugin.name": "pgoutput", "table.include.list": "public.t${c#c}", "snapshot.mode": "no_data",
  "topic.creation.default.partitions": "1", "topic.creation.default.replication.factor": "1"}}
JSON
    for i in $(seq 1 300); do # 409 while the group rebalances
      code=$(curl -s -o "$work/$name/$c.answer" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data @"$work/$name/$c.json" "http://$(any_addr "$name")/connectors")
      [ "$code" = 201 ] && break
      sleep 0.2
    done
    [ "$code" = 201 ] || { echo "POST $c: $code $(cat "$work/$name/$c.answer")" >&2; return 1; }
  done
  for c in c0 c1 c2; do owner "$name" $c >/dev/null; done
  load_start "$db"
  t0=$(now_ms)
  for c in c0 c1 c2; do probe first-after "$bootstrap" "$(topic "$name" $c)" "$t0" 120 >/dev/null ||
    { echo "$name: no record on $(topic "$name" $c)" >&2; return 1; }; done
  sleep 6 # the 5 s before the event

  if [ "$join" = 1 ]; then
    t0=$(now_ms)
    start_worker "$kind" "$name" 3
    while [ "$(now_ms)" -lt $(( t0 + 35000 )) ]; do sleep 0.5; done
    read -r g1 ms1 glast mslast < <(probe join "$([ "$kind" = trib ] && echo tributary || echo connect)" "$t0" 35 \
      "$work/$name/w3/worker.log" "$work/$name"/w[012]/worker.log) || { echo "$name: the join was not found in the logs" >&2; return 1; }
    R[$name.join1]=$ms1 R[$name.joinlast]=$mslast
    printf 'fourth worker: all 4 joined generation %s after %d ms; the rebalance ended with generation %s, joined by all after %d ms\n' \
      "$g1" "$ms1" "$glast" "$mslast"
    echo "records per second on each topic, 5 s before to 15 s after the fourth worker's start (topic, min/s, longest gap ms, counts):"
    probe buckets "$bootstrap" "$t0" -5 15 15 "$(topic "$name" c0)" "$(topic "$name" c1)" "$(topic "$name" c2)" | tee "$work/$name/join-buckets.txt"
    R[$name.joinmin]=$(awk '{ print $2 }' "$work/$name/join-buckets.txt" | sort -n | head -1)
    R[$name.joingap]=$(awk '{ print $3 }' "$work/$name/join-buckets.txt" | sort -n | tail -1)
    java_stop "$work/$name/w3/worker.pid" 30
    sleep 8
    for c in c0 c1 c2; do owner "$name" $c >/dev/null; done
    sleep 6
  fi

  # The killed worker is a follower: the lost tasks of a killed leader are not held for
  # scheduled.rebalance.max.delay.ms (its successor has no previous assignment to miss them
  # from; Connect's IncrementalCooperativeAssignor, and Tributary alike), so the first
  # connector whose task a follower runs is the one whose owner dies.
  for c in c0 c1 c2; do R[$name.owner.$c]=$(owner "$name" $c); done
  leader=$(leader_addr "$kind" "$name")
  vc=c0
  for c in c0 c1 c2; do [ "${R[$name.owner.$c]}" != "$leader" ] && { vc=$c; break; }; done
  R[$name.victim]=$vc
  victim=$(worker_of "$name" "${R[$name.owner.$vc]}")
  printf 'leader %s; task owners: c0 %s, c1 %s, c2 %s; kill -9 of %s, the owner of %s task 0\n' "$leader" \
    "${R[$name.owner.c0]}" "${R[$name.owner.c1]}" "${R[$name.owner.c2]}" "${R[$name.owner.$vc]}" "$vc"
  t0=$(now_ms)
  kill -9 "$(cat "$victim/worker.pid")"
  rm -f "$victim/worker.pid"
  read -r ts src < <(probe first-after "$bootstrap" "$(topic "$name" $vc)" "$t0" $(( delay / 1000 + 180 ))) ||
    { echo "$name: $vc never resumed" >&2; return 1; }
  R[$name.failover]=$(( ts - t0 ))
  printf 'failover: first record on %s after the kill at +%d ms (that row committed at %+d ms)\n' "$vc" "$(( ts - t0 ))" "$(( src - t0 ))"
  span=$(( (ts - t0) / 1000 + 6 )); [ "$span" -lt 15 ] && span=15
  while [ "$(now_ms)" -lt $(( t0 + span * 1000 + 1500 )) ]; do sleep 0.5; done
  echo "records per second on each topic, 5 s before to 15 s after the kill (topic, min/s and longest gap ms to 5 s after the failover, counts):"
  probe buckets "$bootstrap" "$t0" -5 15 "$span" "$(topic "$name" c0)" "$(topic "$name" c1)" "$(topic "$name" c2)" | tee "$work/$name/kill-buckets.txt"
  # The unaffected connectors: those whose task was not on the killed worker.
  R[$name.killmin]=$(for c in c0 c1 c2; do
    [ "${R[$name.owner.$c]}" = "${R[$name.owner.$vc]}" ] || awk -v t="t${c#c}" '$1 ~ t"$" { print $2 }' "$work/$name/kill-buckets.txt"
  done | sort -n | head -1)
  R[$name.killgap]=$(for c in c0 c1 c2; do
    [ "${R[$name.owner.$c]}" = "${R[$name.owner.$vc]}" ] || awk -v t="t${c#c}" '$1 ~ t"$" { print $3 }' "$work/$name/kill-buckets.txt"
  done | sort -n | tail -1)
  load_stop
  for i in "$work/$name"/w*/worker.pid; do [ -f "$i" ] && java_stop "$i" 15; done
  psqlb -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '${name}_%'" >/dev/null
  echo
}

run trib trib_delay "$DELAY_MS" 0
run dbz dbz_delay "$DELAY_MS" 0
run trib trib_nodelay 0 1
run dbz dbz_nodelay 0 1

secs() { echo "scale=2; $1 / 1000" | bc -l; }
ratio() { echo "$1 / $2" | bc -l; }
row() { # label trib-ms dbz-ms
  printf '%-52s %10.2f %10.2f %7.2f\n' "$1" "$(secs "$2")" "$(secs "$3")" "$(ratio "$2" "$3")"
}
echo "== summary: Tributary (3 workers) vs Kafka Connect 4.3 + Debezium 3.6.1 (3 workers), same broker and PostgreSQL"
printf '%-52s %10s %10s %7s\n' "seconds (ratio tributary/connect, lower is better)" tributary connect ratio
row "failover after kill -9, max.delay=$DELAY_MS ms" "${R[trib_delay.failover]}" "${R[dbz_delay.failover]}"
row "failover after kill -9, max.delay=0" "${R[trib_nodelay.failover]}" "${R[dbz_nodelay.failover]}"
row "4th worker: all joined its first generation" "${R[trib_nodelay.join1]}" "${R[dbz_nodelay.join1]}"
row "4th worker: all joined the rebalance's last one" "${R[trib_nodelay.joinlast]}" "${R[dbz_nodelay.joinlast]}"
printf '%-52s %14s %14s\n' "unaffected connectors: min records/s, longest gap" tributary connect
printf '%-52s %14s %14s\n' "  (~90/s and ~10 ms when nothing stops)" "" ""
mg() { printf '%s/s %sms' "${R[$1.${2}min]:--}" "${R[$1.${2}gap]:--}"; }
printf '%-52s %14s %14s\n' "  kill -9, max.delay=$DELAY_MS ms" "$(mg trib_delay kill)" "$(mg dbz_delay kill)"
printf '%-52s %14s %14s\n' "  kill -9, max.delay=0" "$(mg trib_nodelay kill)" "$(mg dbz_nodelay kill)"
printf '%-52s %14s %14s\n' "  4th worker joins" "$(mg trib_nodelay join)" "$(mg dbz_nodelay join)"
