#!/usr/bin/env bash
# Peak RSS of reading and de-duplicating many IDs: a --dry-run over a generated file.
#
#   Benchmarks/memory.sh [IDS]     (default: 1000000)
ids=${1:-1000000}
source "$(dirname "$0")/common.sh"
generate_ids "$ids" 2 "$work/ids.txt"
for dedupe in "" "--no-dedupe"; do
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin/offer-cancel" --dry-run -q $dedupe --sink summary-json:"$work/s.json" "$work/ids.txt"
    read -r seconds rss < "$work/time"
    echo "$ids IDs ${dedupe:---dedupe (default)}: peak RSS $((rss / 1024)) MiB, $seconds s, $(jq .total "$work/s.json") records"
done
