#!/usr/bin/env bash
# Side by side, in one run against one arkane-mock on loopback: requests/s, client CPU per
# request (user + sys of the client process ÷ requests) and peak RSS of offer-cancel and its
# peers, with the status counts each one got; then the 50 ms latency scenario and the memory
# scenario. Writes Markdown to stdout; BENCHMARKS.md quotes it.
#
#   Benchmarks/run.sh [IDS] [CONCURRENCY] [MEMORY_IDS]     (defaults: 50000 64 1000000)
#
# Needs: wrk, hey, curl, jq, python3 with aiohttp, go, /usr/bin/time (Debian: wrk hey curl jq time
# golang-go; pip: aiohttp). Each tool cancels fresh READY offers: the market is reset between runs.
# WRK_SECONDS sets how long wrk runs (default 10; CI's smoke run uses 2).
ids=${1:-50000}
concurrency=${2:-64}
memory_ids=${3:-1000000}
source "$(dirname "$0")/common.sh"

mocks=()
trap 'kill "${mocks[@]}" 2>/dev/null || true; cleanup' EXIT
# start_mock NAME ARGS…: starts an arkane-mock and sets $base to its URL.
start_mock() {
    local name=$1
    shift
    "$bin/arkane-mock" --port 0 "$@" > "$work/$name.out" &
    mocks+=($!)
    until grep -q listening "$work/$name.out" 2>/dev/null; do sleep 0.1; done
    base=$(sed 's/.*listening on //' "$work/$name.out")
}
reset() { curl -s -X POST "$base/__mock/reset" >/dev/null; }

# timed FILE COMMAND…: runs COMMAND under /usr/bin/time; sets seconds, rss_kib, cpu_seconds
# and status (COMMAND's exit status).
timed() {
    local out=$1
    shift
    status=0
    /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" > "$out" 2>&1 || status=$?
    read -r seconds rss_kib user sys < <(tail -1 "$work/time")
    cpu_seconds=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
}
per_second() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
micros_each() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.0f", (n > 0 ? c * 1e6 / n : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "—" }'; }

generate_ids "$ids" 1 "$work/ids.txt"
start_mock market

# Rows are collected first: the ratios need offer-cancel's figures.
names=() requests=() rates=() cpus=() rsss=() statuses=()
add_row() { names+=("$1"); requests+=("$2"); rates+=("$3"); cpus+=("$4"); rsss+=("$5"); statuses+=("$6"); }

# offer_cancel ARGS…: offer-cancel against $base with three sinks (every record as NDJSON and
# as CSV, and the summary-json); sets oc_requests, oc_rate, oc_cpu, oc_rss and oc_replies.
# Each run writes new files: offer-cancel refuses to overwrite a record log, and a row must never
# quote the summary of the run before it.
offer_cancel() {
    rm -f "$work/records.ndjson" "$work/records.csv" "$work/summary.json"
    ARKANE_TOKEN=mock-token timed "$work/oc.out" "$bin/offer-cancel" --base-url "$base" -c "$concurrency" -q \
        --sink "ndjson:$work/records.ndjson" --sink "csv:$work/records.csv" --sink "summary-json:$work/summary.json" \
        "$@" "$work/ids.txt" < /dev/null
    [ "$status" = 0 ] || { echo "offer-cancel $* exited $status: $(tail -3 "$work/oc.out")" >&2; exit 1; }
    oc_requests=$(jq .requests "$work/summary.json")
    oc_rate=$(per_second "$oc_requests" "$seconds")
    oc_cpu=$(micros_each "$cpu_seconds" "$oc_requests")
    oc_rss="$((rss_kib / 1024)) MiB"
    oc_replies=$(jq -r '.httpStatus | to_entries | map("\(.key) ×\(.value)") | join(", ")' "$work/summary.json")
}

reset
offer_cancel
add_row "**offer-cancel** -c $concurrency, ndjson + csv + summary-json" "$oc_requests" "$oc_rate" "$oc_cpu" "$oc_rss" "$oc_replies"
reference_rate=$oc_rate reference_cpu=$oc_cpu

# The same run with jansson on malloc instead of its arena (Sources/JanssonArena), for the A/B.
reset
OFFER_CANCEL_JANSSON_ARENA=0 offer_cancel
add_row "offer-cancel, same, jansson on malloc (\`OFFER_CANCEL_JANSSON_ARENA=0\`)" "$oc_requests" "$oc_rate" "$oc_cpu" "$oc_rss" "$oc_replies"

# The same run through AsyncHTTPClient instead of the client's own connections (issue 29's A/B).
reset
OFFER_CANCEL_ASYNC_HTTP_CLIENT=1 offer_cancel
add_row "offer-cancel, same, through AsyncHTTPClient (\`OFFER_CANCEL_ASYNC_HTTP_CLIENT=1\`)" "$oc_requests" "$oc_rate" "$oc_cpu" "$oc_rss" "$oc_replies"

# The production path: the same run over HTTPS (a test CA made for this run), HTTP/1.1 and
# HTTP/2 by ALPN, each against a fresh market of its own.
plain=$base
for protocol in http/1.1 h2; do
    folder="$work/tls-${protocol//\//}"
    start_mock "tls-${protocol//\//}" --tls-self-signed "$folder" $([ "$protocol" = h2 ] && echo --http2) 2>/dev/null
    offer_cancel --cacert "$folder/ca.pem"
    seen=$(curl -s --cacert "$folder/ca.pem" "$base/__mock/stats" | jq -r '.protocols | to_entries | map("\(.key) ×\(.value)") | join(", ")')
    add_row "**offer-cancel** over HTTPS ($seen at the market), same sinks" "$oc_requests" "$oc_rate" "$oc_cpu" "$oc_rss" "$oc_replies"
done
base=$plain

# wrk: the ceiling of this market on this machine (a new UUID per request, no parsing).
wrk_seconds=${WRK_SECONDS:-10}
reset
timed "$work/wrk.out" wrk -t1 -c"$concurrency" -d"${wrk_seconds}s" -s Benchmarks/scripts/wrk-cancel.lua "$base"
wrk_requests=$(awk '/requests in/ { print $1 }' "$work/wrk.out")
wrk_bad=$(awk '/Non-2xx/ { print $NF }' "$work/wrk.out")
add_row "wrk -t1 -c$concurrency ($wrk_seconds s; no parsing, no output)" "$wrk_requests" "$(per_second "$wrk_requests" "$seconds")" \
    "$(micros_each "$cpu_seconds" "$wrk_requests")" "—" "2xx ×$((wrk_requests - ${wrk_bad:-0})), other ×${wrk_bad:-0}"

# hey: one URL only, so after the first request every reply is the short 409 "already closed".
reset
timed "$work/hey.out" hey -n "$ids" -c "$concurrency" -H "Authorization: Bearer mock-token" "$base/offers/$(head -1 "$work/ids.txt")/cancel"
add_row "hey -c $concurrency (one URL; no parsing)" "$ids" "$(per_second "$ids" "$seconds")" "$(micros_each "$cpu_seconds" "$ids")" \
    "$((rss_kib / 1024)) MiB" "$(awk '/Status code distribution/ { on = 1; next } on && /\[[0-9]+\]/ { gsub(/[\[\]]/, "", $1); printf "%s%s ×%s", sep, $1, $2; sep = ", " } on && /^$/ { on = 0 }' "$work/hey.out")"

# Python aiohttp: parses each reply and writes one NDJSON line, 64 in flight.
if python3 -c "import aiohttp" 2>/dev/null; then
    reset
    timed "$work/py.out" python3 Benchmarks/peers/aiohttp_cancel.py "$base" "$work/ids.txt" "$concurrency" "$work/py.ndjson"
    add_row "python aiohttp, $concurrency in flight, one NDJSON line each" "$ids" "$(per_second "$ids" "$seconds")" \
        "$(micros_each "$cpu_seconds" "$ids")" "$((rss_kib / 1024)) MiB" "$(sed -n 's/.*statuses //p' "$work/py.out")"
fi

# Go: net/http with a pool of CONCURRENCY connections, as many goroutines, encoding/json into
# the fields a record needs, one NDJSON line each through one buffered writer.
if command -v go >/dev/null; then
    (cd Benchmarks/peers/go-cancel && GOCACHE=${GOCACHE:-$work/go-cache} go build -o "$work/go-cancel" .)
    reset
    timed "$work/go.out" "$work/go-cancel" "$base" "$work/ids.txt" "$concurrency" "$work/go.ndjson"
    grep -q "statuses 200 ×$ids\$" "$work/go.out" || { echo "the Go peer did not get a 200 for every ID: $(cat "$work/go.out")" >&2; exit 1; }
    add_row "Go net/http + encoding/json, $concurrency goroutines, one NDJSON line each" "$ids" "$(per_second "$ids" "$seconds")" \
        "$(micros_each "$cpu_seconds" "$ids")" "$((rss_kib / 1024)) MiB" "$(sed -n 's/.*statuses //p' "$work/go.out")"
fi

# xargs -P with curl: a process per ID, so a tenth of the IDs (at most 5,000).
reset
few=$((ids / 10 < 5000 ? ids / 10 : 5000))
head -n "$few" "$work/ids.txt" > "$work/few.txt"
timed "$work/curl.out" sh -c "xargs -P $concurrency -I{} curl -s -o /dev/null -w '%{http_code}\n' -H 'Authorization: Bearer mock-token' '$base/offers/{}/cancel' < '$work/few.txt'"
add_row "xargs -P $concurrency curl" "$few" "$(per_second "$few" "$seconds")" "$(micros_each "$cpu_seconds" "$few")" "—" \
    "$(sort "$work/curl.out" | uniq -c | awk '{ printf "%s%s ×%s", sep, $2, $1; sep = ", " }')"

echo "## Throughput and client CPU ($ids IDs, $concurrency in flight)"
echo
echo "| tool | requests | replies | requests/s | client CPU per request | peak RSS | offer-cancel ÷ tool, requests/s | tool ÷ offer-cancel, CPU per request |"
echo "|---|---:|---|---:|---:|---:|---:|---:|"
for i in "${!names[@]}"; do
    printf '| %s | %s | %s | %s | %s µs | %s | %s | %s |\n' "${names[$i]}" "${requests[$i]}" "${statuses[$i]}" "${rates[$i]}" \
        "${cpus[$i]}" "${rsss[$i]}" "$(ratio "$reference_rate" "${rates[$i]}")" "$(ratio "${cpus[$i]}" "$reference_cpu")"
done

# 50 ms added to every offer request: the ideal is CONCURRENCY / 0.05 s requests per second.
latency_ids=$((ids < 10000 ? ids : 10000))
head -n "$latency_ids" "$work/ids.txt" > "$work/latency-ids.txt"
start_mock slow --latency-ms 50
ideal=$(awk -v c="$concurrency" 'BEGIN { print c / 0.05 }')
echo
echo "## 50 ms of added latency ($latency_ids IDs, $concurrency in flight; ideal $ideal requests/s)"
echo
echo "| tool | requests/s | share of ideal | client CPU per request |"
echo "|---|---:|---:|---:|"
reset
ARKANE_TOKEN=mock-token timed "$work/oc-slow.out" "$bin/offer-cancel" --base-url "$base" -c "$concurrency" -q \
    --sink "ndjson:$work/slow.ndjson" --sink "summary-json:$work/slow.json" "$work/latency-ids.txt" < /dev/null
[ "$status" = 0 ] || { echo "offer-cancel at 50 ms exited $status: $(tail -3 "$work/oc-slow.out")" >&2; exit 1; }
slow_requests=$(jq .requests "$work/slow.json")
printf '| offer-cancel -c %s | %s | %s | %s µs |\n' "$concurrency" "$(per_second "$slow_requests" "$seconds")" \
    "$(awk -v n="$slow_requests" -v s="$seconds" -v i="$ideal" 'BEGIN { printf "%.2f", n / s / i }')" "$(micros_each "$cpu_seconds" "$slow_requests")"
if python3 -c "import aiohttp" 2>/dev/null; then
    reset
    timed "$work/py-slow.out" python3 Benchmarks/peers/aiohttp_cancel.py "$base" "$work/latency-ids.txt" "$concurrency" "$work/py-slow.ndjson"
    printf '| python aiohttp | %s | %s | %s µs |\n' "$(per_second "$latency_ids" "$seconds")" \
        "$(awk -v n="$latency_ids" -v s="$seconds" -v i="$ideal" 'BEGIN { printf "%.2f", n / s / i }')" "$(micros_each "$cpu_seconds" "$latency_ids")"
fi
# The Go peer (built above): what a client without flow control or records gets of the ideal.
if [ -x "$work/go-cancel" ]; then
    reset
    timed "$work/go-slow.out" "$work/go-cancel" "$base" "$work/latency-ids.txt" "$concurrency" "$work/go-slow.ndjson"
    grep -q "statuses 200 ×$latency_ids\$" "$work/go-slow.out" || { echo "the Go peer at 50 ms did not get a 200 for every ID: $(cat "$work/go-slow.out")" >&2; exit 1; }
    printf '| Go net/http + encoding/json | %s | %s | %s µs |\n' "$(per_second "$latency_ids" "$seconds")" \
        "$(awk -v n="$latency_ids" -v s="$seconds" -v i="$ideal" 'BEGIN { printf "%.2f", n / s / i }')" "$(micros_each "$cpu_seconds" "$latency_ids")"
fi

# Memory: a --dry-run reads, validates and (by default) de-duplicates generated IDs.
small_ids=$((memory_ids / 10))
generate_ids "$memory_ids" 2 "$work/memory-ids.txt"
head -n "$small_ids" "$work/memory-ids.txt" > "$work/memory-small.txt"
echo
echo "## Memory (--dry-run)"
echo
echo "| run | peak RSS | time | records |"
echo "|---|---:|---:|---:|"
for run in "$memory_ids:memory-ids:" "$memory_ids:memory-ids:--no-dedupe" "$small_ids:memory-small:--no-dedupe"; do
    IFS=: read -r count file flag <<< "$run"
    rm -f "$work/memory.json"
    timed "$work/memory.out" "$bin/offer-cancel" --dry-run -q $flag --sink "summary-json:$work/memory.json" "$work/$file.txt"
    [ "$status" = 0 ] || { echo "offer-cancel --dry-run $flag exited $status: $(tail -3 "$work/memory.out")" >&2; exit 1; }
    printf '| %s IDs, %s | %s MiB | %s s | %s |\n' "$count" "${flag:-dedupe on}" "$((rss_kib / 1024))" "$seconds" "$(jq .total "$work/memory.json")"
done
