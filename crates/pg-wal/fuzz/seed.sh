#!/usr/bin/env bash
# Seeds corpus/pgoutput from the captured fixtures: every message once per mode byte 2..9
# (in_stream false/true x protocol versions 1..4; see fuzz_targets/pgoutput.rs).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/pgoutput
n=0
for line in $(grep -hv '^#' ../tests/data/pgoutput/*.hex); do
  for mode in 02 03 04 05 06 07 08 09; do
    printf '%s%s' "$mode" "$line" | xxd -r -p > "corpus/pgoutput/seed$n"
    n=$((n + 1))
  done
done
echo "seeded $n inputs"
