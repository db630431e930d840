# shellcheck shell=bash
# Debezium on Kafka Connect beside Tributary, on the same broker, timed the same way: the
# benchmarks' shared baseline. Source after scripts/lib/kafka.sh and scripts/lib/connect.sh,
# with $work (a scratch directory), $bin (the release worker) and $bootstrap (the broker) set.
#
#   peers_build                              builds the helpers below (kafka_watermark, mysql_relay)
#   debezium_run NAME CONFIG_JSON TOPIC N [OFFSETS_JSON]
#                                            a fresh Connect worker runs the connector until TOPIC
#                                            holds N records; with OFFSETS_JSON the connector is
#                                            created STOPPED, given those offsets (PATCH
#                                            .../offsets) and resumed, and the clock starts there
#   tributary_run NAME CONNECTOR_FILE TOPIC N  the worker (on Kafka) runs the connector until TOPIC
#                                            holds N records
#   debezium_sink_run NAME CONFIG_JSON CMD [ARG...]
#   tributary_sink_run NAME CONNECTOR_FILE CMD [ARG...]
#                                            the same for a sink connector: it runs until CMD ARG...
#                                            succeeds (e.g. "the target table holds N rows"; polled
#                                            every 0.1 s, given up after 900 s)
# All print "SECONDS PEAK_RSS_MIB CPU_SECONDS": seconds from the POST (or the worker's start) until
# the last record is readable on the topic (or CMD succeeds), the process's VmHWM, and the CPU
# (user + system) it spent meanwhile. PEERS_CONNECT_PLUGINS (a directory) replaces the Connect
# worker's shared plugin.path (target/java-peers/plugins) for connectors kept off it, such as
# Debezium's JDBC sink (target/java-peers/jdbc-plugins). Debezium's figures are the whole JVM's
# (the Connect worker runs nothing else), with the heap capped at TRIBUTARY_CONNECT_HEAP (768m; a
# JVM left to its default takes a quarter of the machine's memory, so this understates what users
# see).

now() { date +%s.%N; }
peak_rss_mib() { awk '/VmHWM/ { printf "%.0f", $2/1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo "?"; }

# The path of a bench target's executable (built by peers_build).
bench_exe() {
  cargo bench --no-run --quiet --bench "$1" --message-format=json 2>/dev/null |
    python3 -c 'import json, sys
print(next(m["executable"] for m in map(json.loads, sys.stdin)
           if m.get("executable") and m["target"]["name"] == sys.argv[1]))' "$1"
}

peers_build() {
  cargo bench --no-run --quiet --bench kafka_watermark --bench mysql_relay 2>/dev/null
  watermark_exe=$(bench_exe kafka_watermark)
  relay_exe=$(bench_exe mysql_relay)
}

# Seconds from T0 until TOPIC holds N records (gives up after 900 s).
on_topic() { # t0 topic n
  local at
  at=$("$watermark_exe" "$bootstrap" "$2" "$3" 900) || return 1
  echo "$at - $1" | bc -l
}

# METHOD PATH BODY EXPECTED-STATUS against the Connect worker; complains and fails otherwise.
connect_call() {
  local answer
  answer=$(curl -s -w '\n%{http_code}' -X "$1" -H 'Content-Type: application/json' ${3:+--data "$3"} "$TRIBUTARY_CONNECT_URL$2")
  [ "${answer##*$'\n'}" = "$4" ] || { echo "Connect: $1 $2 answered $answer" >&2; return 1; }
}

# connect_start, with PEERS_CONNECT_PLUGINS as the plugin.path when set (connect_start's
# connect_install exports the shared one, which scripts/lib/connect-worker.sh reads).
peers_connect_start() { # dir
  [ -n "${PEERS_CONNECT_PLUGINS:-}" ] || { connect_start "$1" "$bootstrap"; return; }
  local shared rc=0
  shared=$(declare -f connect_install)
  connect_install() { kafka_install && export TRIBUTARY_CONNECT_PLUGINS=$PEERS_CONNECT_PLUGINS \
    TRIBUTARY_CONNECT_WORKER=$CONNECT_LIB_DIR/connect-worker.sh; }
  connect_start "$1" "$bootstrap" || rc=$?
  eval "$shared"
  return $rc
}

debezium_run() { # name config-json topic n [offsets-json]
  local name=$1 cfg=$2 topic=$3 n=$4 offsets=${5:-} dir=$work/connect-$1 cpid cpu0 t0 s
  peers_connect_start "$dir" >&2 || return 1
  cpid=$(cat "$dir/worker.pid")
  if [ -n "$offsets" ]; then
    cfg=$(python3 -c 'import json, sys; c = json.loads(sys.argv[1]); c["initial_state"] = "STOPPED"; print(json.dumps(c))' "$cfg")
    connect_call POST /connectors "$cfg" 201 && connect_call PATCH "/connectors/$name/offsets" "$offsets" 200 ||
      { connect_stop "$dir"; return 1; }
    cpu0=$(cpu_s "$cpid")
    t0=$(now)
    connect_call PUT "/connectors/$name/resume" "" 202 || { connect_stop "$dir"; return 1; }
  else
    cpu0=$(cpu_s "$cpid")
    t0=$(now)
    connect_call POST /connectors "$cfg" 201 || { connect_stop "$dir"; return 1; }
  fi
  if ! s=$(on_topic "$t0" "$topic" "$n"); then
    curl -s "$TRIBUTARY_CONNECT_URL/connectors/$name/status" >&2
    tail -30 "$dir/worker.log" >&2
    connect_stop "$dir"
    return 1
  fi
  echo "$s $(peak_rss_mib "$cpid") $(echo "$(cpu_s "$cpid") - $cpu0" | bc -l)"
  curl -sf -X DELETE "$TRIBUTARY_CONNECT_URL/connectors/$name" >/dev/null || true
  connect_stop "$dir"
}

tributary_run() { # name connector-file topic n
  local name=$1 file=$2 topic=$3 n=$4 data=$work/data-$1 p t0 s
  rm -rf "$data"
  echo "bootstrap.servers=$bootstrap" > "$work/peers-worker.properties"
  # Extra worker properties, one a line (e.g. BENCH_WORKER_EXTRA='producer.linger.ms=1').
  [ -z "${BENCH_WORKER_EXTRA:-}" ] || printf '%s\n' "$BENCH_WORKER_EXTRA" >> "$work/peers-worker.properties"
  t0=$(now)
  "$bin" standalone --listen 127.0.0.1:0 --data-dir "$data" --worker-config "$work/peers-worker.properties" "$file" \
    > "$work/worker-$name.log" 2>&1 &
  p=$!
  if ! s=$(on_topic "$t0" "$topic" "$n"); then
    tail -30 "$work/worker-$name.log" >&2
    kill -TERM "$p"; wait "$p" || true
    return 1
  fi
  echo "$s $(peak_rss_mib "$p") $(cpu_s "$p")"
  kill -TERM "$p"; wait "$p" || true
  rm -rf "$data"
}

# Polls CMD ARG... every 0.1 s until it succeeds and prints the seconds since T0; fails when
# FAILED (a command, run every 2 s) succeeds, or after 900 s.
until_done() { # t0 failed cmd [arg...]
  local t0=$1 failed=$2 i=0; shift 2
  until "$@"; do
    if (( ++i % 20 == 0 )) && eval "$failed"; then echo "failed: $failed" >&2; return 1; fi
    (( i < 9000 )) || { echo "gave up after 900 s: $*" >&2; return 1; }
    sleep 0.1
  done
  echo "$(now) - $t0" | bc -l
}

debezium_sink_run() { # name config-json cmd [arg...]
  local name=$1 cfg=$2 dir=$work/connect-$1 cpid cpu0 t0 s; shift 2
  peers_connect_start "$dir" >&2 || return 1
  cpid=$(cat "$dir/worker.pid")
  cpu0=$(cpu_s "$cpid")
  t0=$(now)
  connect_call POST /connectors "$cfg" 201 || { connect_stop "$dir"; return 1; }
  if ! s=$(until_done "$t0" "! kill -0 $cpid 2>/dev/null || curl -s $TRIBUTARY_CONNECT_URL/connectors/$name/status | grep -q '\"FAILED\"'" "$@"); then
    curl -s "$TRIBUTARY_CONNECT_URL/connectors/$name/status" >&2
    tail -30 "$dir/worker.log" >&2
    connect_stop "$dir"
    return 1
  fi
  echo "$s $(peak_rss_mib "$cpid") $(echo "$(cpu_s "$cpid") - $cpu0" | bc -l)"
  curl -sf -X DELETE "$TRIBUTARY_CONNECT_URL/connectors/$name" >/dev/null || true
  connect_stop "$dir"
}

tributary_sink_run() { # name connector-file cmd [arg...]
  local name=$1 file=$2 data=$work/data-$1 p t0 s; shift 2
  rm -rf "$data"
  printf 'bootstrap.servers=%s\noffset.flush.interval.ms=1000\n' "$bootstrap" > "$work/peers-worker.properties"
  [ -z "${BENCH_WORKER_EXTRA:-}" ] || printf '%s\n' "$BENCH_WORKER_EXTRA" >> "$work/peers-worker.properties"
  t0=$(now)
  "$bin" standalone --listen 127.0.0.1:0 --data-dir "$data" --worker-config "$work/peers-worker.properties" "$file" \
    > "$work/worker-$name.log" 2>&1 &
  p=$!
  if ! s=$(until_done "$t0" "! kill -0 $p 2>/dev/null || grep -q 'task failed' '$work/worker-$name.log'" "$@"); then
    tail -30 "$work/worker-$name.log" >&2
    kill -TERM "$p"; wait "$p" || true
    return 1
  fi
  echo "$s $(peak_rss_mib "$p") $(cpu_s "$p")"
  kill -TERM "$p"; wait "$p" || true
  rm -rf "$data"
}

# The line both scripts print for one side: label, seconds, N/seconds, RSS, CPU.
peers_row() { # label n seconds rss cpu
  printf '%-40s %9.2f %11.0f %8sM %8.2f\n' "$1" "$3" "$(echo "$2 / $3" | bc -l)" "$4" "$5"
}
peers_header() { printf '%-40s %9s %11s %9s %8s\n' "" seconds "$1/s" "peak RSS" "CPU s"; }
peers_ratios() { # what dbz_s dbz_rss dbz_cpu trib_s trib_rss trib_cpu
  printf 'ratio tributary / Debezium (%s): throughput %.2f, peak RSS %.3f, CPU %.3f\n' "$1" \
    "$(echo "$2 / $5" | bc -l)" "$(echo "$6 / $3" | bc -l)" "$(echo "$7 / $4" | bc -l)"
}
