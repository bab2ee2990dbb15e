#!/usr/bin/env bash
# Two builds of offer-cancel, alternated run by run against one arkane-mock (reset before each
# run): client CPU per request (user + sys ÷ the market's count of cancel requests) and the
# 200s each run got, then each build's median and mean. How a change on the hot path is judged
# on this shared machine, where one run is one sample.
#
#   Benchmarks/pair.sh BEFORE AFTER [IDS] [PAIRS]     (defaults: 30000 10)
#
# BEFORE and AFTER are offer-cancel binaries (copy .build/release/offer-cancel aside before
# rebuilding). Each run: -c 64, one NDJSON sink. Needs curl, jq, python3, /usr/bin/time.
before=$(realpath "$1")
after=$(realpath "$2")
ids=${3:-30000}
pairs=${4:-10}
source "$(dirname "$0")/common.sh"

"$bin/arkane-mock" --port 0 > "$work/mock.out" &
mock=$!
trap 'kill "$mock" 2>/dev/null || true; cleanup' EXIT
until grep -q listening "$work/mock.out" 2>/dev/null; do sleep 0.1; done
base=$(sed 's/.*listening on //' "$work/mock.out")
generate_ids "$ids" 7 "$work/ids.txt"

# run NAME BINARY: one run; appends "NAME MICROS" to $work/cpu.
run() {
    curl -s -X POST "$base/__mock/reset" > /dev/null
    rm -f "$work/records.ndjson"
    local status=0 user sys requests ok micros
    ARKANE_TOKEN=mock-token /usr/bin/time -f "%U %S" -o "$work/time" "$2" --base-url "$base" -c 64 -q \
        --sink "ndjson:$work/records.ndjson" "$work/ids.txt" < /dev/null > "$work/client.out" 2>&1 || status=$?
    [ "$status" = 0 ] || { echo "$1 ($2) exited $status: $(tail -3 "$work/client.out")" >&2; exit 1; }
    read -r user sys < <(tail -1 "$work/time")
    requests=$(curl -s "$base/__mock/stats" | jq '.requests.cancel')
    ok=$(grep -c '"httpStatus":200' "$work/records.ndjson" || true)
    micros=$(awk -v u="$user" -v s="$sys" -v n="$requests" 'BEGIN { printf "%.1f", (u + s) * 1e6 / n }')
    echo "$1: $micros µs of client CPU per request, $requests requests, $ok records with a 200"
    echo "$1 $micros" >> "$work/cpu"
}
for _ in $(seq "$pairs"); do
    run before "$before"
    run after "$after"
done
for name in before after; do
    awk -v name="$name" '$1 == name { print $2 }' "$work/cpu" | sort -n | awk -v name="$name" '
        { v[NR] = $1; sum += $1 }
        END { median = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%s: median %.1f µs, mean %.1f µs, %.1f – %.1f over %d runs\n", name, median, sum / NR, v[1], v[NR], NR }'
done
