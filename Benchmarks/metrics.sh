#!/usr/bin/env bash
# What --metrics-listen and --metrics-textfile cost the client: PAIRS runs with metrics off and
# on, alternated (the machine's noise is shared), against one arkane-mock; "on" is scraped every
# second by curl. Prints each run's requests/s and client CPU per request (user + sys ÷
# requests), then the mean difference per pair and its standard error. BENCHMARKS.md quotes it.
#
#   Benchmarks/metrics.sh [IDS] [PAIRS]      (defaults: 30000 8)
ids=${1:-30000}
pairs=${2:-8}
source "$(dirname "$0")/common.sh"

generate_ids "$ids" 29 "$work/ids.txt"
"$bin/arkane-mock" --port 0 > "$work/mock.out" &
mock=$!
until grep -q listening "$work/mock.out" 2>/dev/null; do sleep 0.1; done
base=$(sed 's/.*listening on //' "$work/mock.out")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
( while :; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; sleep 1; done ) &
scraper=$!
trap 'kill $mock $scraper 2>/dev/null; cleanup' EXIT

run() {
    local label=$1
    shift
    curl -s -X POST "$base/__mock/reset" > /dev/null
    rm -f "$work"/r.* "$work/m.prom"
    ARKANE_TOKEN=mock-token /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin/offer-cancel" --base-url "$base" -c 64 -q \
        --sink "ndjson:$work/r.ndjson" --sink "csv:$work/r.csv" --sink "summary-json:$work/r.json" "$@" "$work/ids.txt" < /dev/null > /dev/null 2>&1 || true
    read -r elapsed user system rss < "$work/time"
    local requests ok
    requests=$(jq .requests "$work/r.json")
    ok=$(jq '.httpStatus["200"] // 0' "$work/r.json")
    awk -v l="$label" -v e="$elapsed" -v u="$user" -v s="$system" -v n="$requests" -v ok="$ok" -v m="$rss" \
        'BEGIN { printf "%-4s %6.0f requests/s %7.1f us/request  200 x%s  rss %d MiB\n", l, n / e, (u + s) * 1e6 / n, ok, m / 1024 }'
}

for _ in $(seq 1 "$pairs"); do
    run off
    run on --metrics-listen "$port" --metrics-textfile "$work/m.prom"
done | tee "$work/runs"
awk '{ cpu[NR] = $4 } END {
    for (i = 1; i < NR; i += 2) { d = cpu[i + 1] - cpu[i]; sum += d; squares += d * d; n++ }
    mean = sum / n; se = n > 1 ? sqrt((squares - n * mean * mean) / (n - 1) / n) : 0
    printf "on - off, per pair: %+.1f us/request (standard error %.1f, %d pairs)\n", mean, se, n
}' "$work/runs"
