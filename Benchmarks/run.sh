#!/usr/bin/env bash
# Side-by-side throughput and memory of offer-cancel and its peers against one arkane-mock,
# all on loopback. Writes a Markdown table to stdout; BENCHMARKS.md quotes it.
#
#   Benchmarks/run.sh [IDS] [CONCURRENCY]     (defaults: 50000 64)
#
# Needs: wrk, hey, curl, python3 with aiohttp, /usr/bin/time (Debian: wrk hey curl time;
# pip: aiohttp). Each tool cancels fresh READY offers: the market is reset between runs.
ids=${1:-50000}
concurrency=${2:-64}
source "$(dirname "$0")/common.sh"

"$bin/arkane-mock" --port 0 > "$work/mock.out" &
mock=$!
trap 'kill $mock 2>/dev/null || true; cleanup' EXIT
until grep -q listening "$work/mock.out" 2>/dev/null; do sleep 0.1; done
base=$(sed 's/.*listening on //' "$work/mock.out")
reset() { curl -s -X POST "$base/__mock/reset" >/dev/null; }
generate_ids "$ids" 1 "$work/ids.txt"

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }

echo "| tool | requests | requests/s | peak RSS |"
echo "|---|---:|---:|---:|"

# wrk: the ceiling of this market on this machine (a new UUID per request, 10 s).
reset
wrk_out=$(wrk -t1 -c"$concurrency" -d10s -s Benchmarks/scripts/wrk-cancel.lua "$base")
wrk_rps=$(echo "$wrk_out" | awk '/Requests\/sec/ { printf "%.0f", $2 }')
row "wrk -t1 -c$concurrency (10 s)" "$(echo "$wrk_out" | awk '/requests in/ { print $1 }')" "$wrk_rps" "—"

# offer-cancel: every ID, concurrency $concurrency, records to a file.
reset
ARKANE_TOKEN=mock-token /usr/bin/time -f "%e %M" -o "$work/time" "$bin/offer-cancel" --base-url "$base" -c "$concurrency" -q \
    --sink "ndjson:$work/records.ndjson" "$work/ids.txt" < /dev/null || true
read -r seconds rss < "$work/time"
oc_rps=$(rate "$ids" "$seconds")
row "offer-cancel -c $concurrency" "$ids" "$oc_rps" "$((rss / 1024)) MiB"

# hey: one URL only (every request after the first is an 'already closed' 409).
reset
hey_out=$(hey -n "$ids" -c "$concurrency" -H "Authorization: Bearer mock-token" "$base/offers/$(head -1 "$work/ids.txt")/cancel")
row "hey -c $concurrency (one URL)" "$ids" "$(echo "$hey_out" | awk '/Requests\/sec/ { printf "%.0f", $2 }')" "—"

# Python aiohttp with the same concurrency.
if python3 -c "import aiohttp" 2>/dev/null; then
    reset
    /usr/bin/time -f "%e %M" -o "$work/time" python3 Benchmarks/peers/aiohttp_cancel.py "$base" "$work/ids.txt" "$concurrency" > "$work/py.out"
    read -r seconds rss < "$work/time"
    row "python aiohttp, $concurrency in flight" "$ids" "$(rate "$ids" "$seconds")" "$((rss / 1024)) MiB"
fi

# xargs -P with curl: one process per ID, so a tenth of the IDs.
reset
few=$((ids / 10))
head -n "$few" "$work/ids.txt" > "$work/few.txt"
start=$(date +%s.%N)
xargs -P "$concurrency" -I{} curl -s -o /dev/null -H "Authorization: Bearer mock-token" "$base/offers/{}/cancel" < "$work/few.txt"
seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
row "xargs -P $concurrency curl" "$few" "$(rate "$few" "$seconds")" "—"

echo
echo "offer-cancel / wrk = $(awk -v a="$oc_rps" -v b="$wrk_rps" 'BEGIN { printf "%.2f", a / b }')"
