#!/usr/bin/env bash
# Peak RSS of reading and de-duplicating many IDs: a --dry-run over a generated file.
#
#   Benchmarks/memory.sh [IDS]     (default: 1000000)
set -euo pipefail
ids=${1:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
swift build -c release --product offer-cancel >/dev/null
bin=$(swift build -c release --show-bin-path)
python3 -c "
import uuid, random
random.seed(2)
for _ in range($ids): print(uuid.UUID(int=random.getrandbits(128), version=4))
" > "$work/ids.txt"
for dedupe in "" "--no-dedupe"; do
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin/offer-cancel" --dry-run -q $dedupe --sink summary-json:"$work/s.json" "$work/ids.txt"
    read -r seconds rss < "$work/time"
    echo "$ids IDs ${dedupe:---dedupe (default)}: peak RSS $((rss / 1024)) MiB, $seconds s, $(jq .total "$work/s.json") records"
done
