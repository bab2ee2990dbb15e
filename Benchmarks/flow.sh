#!/usr/bin/env bash
# Flow control against a rate limit nobody published: offer-cancel and a Python aiohttp peer
# against one arkane-mock gateway (LIMIT requests/s per client, a burst, and a lock-out of
# PENALTY seconds for a client with over 30 % of a 2-second window rejected). Prints Markdown
# tables; BENCHMARKS.md quotes them.
#
#   Benchmarks/flow.sh [IDS] [LIMIT] [BURST] [PENALTY]     (defaults: 20000 300 50 10)
#   FLOW_SECTIONS="limited halved open noise overload noisy-limit" (the default: all) runs
#   only those tables. FLOW_FIRST_RELEASE=no leaves out the first release's rows
#   (--fixed-concurrency) of the limited and halved tables: minutes each, for a behaviour that
#   does not change. The noise, overload and noisy-limit rows keep theirs: each is a ratio to it.
#
# "ideal" is IDS / LIMIT seconds; "429 share" and "lock-outs" are the gateway's counts;
# "not cancelled" is IDS less the cancels the market applied. Then the same with the limit
# halved a third of the way in (POST /__mock/config), and a run with no limit at all
# (adaptive defaults against --fixed-concurrency -c 64, same market). Then noise: random 429s
# and 503s at 20 ms latency (a limit is not there; the defaults must not slow down); overload:
# a market that answers 503 past K requests in flight (ideal K / latency; beside it a client told K,
# --fixed-concurrency -c K: what this machine can do); and noise on top of
# the limit (2 % random 503s behind the same gateway).
ids=${1:-20000}
limit=${2:-300}
burst=${3:-50}
penalty=${4:-10}
sections=${FLOW_SECTIONS:-limited halved open noise overload noisy-limit}
first_release=${FLOW_FIRST_RELEASE:-yes}
source "$(dirname "$0")/common.sh"

"$bin/arkane-mock" --port 0 --rate-limit "$limit/s" --burst "$burst" --penalty "$penalty" > "$work/mock.out" &
mock=$!
"$bin/arkane-mock" --port 0 > "$work/open.out" &
open=$!
trap 'kill $mock $open 2>/dev/null || true; cleanup' EXIT
until grep -q listening "$work/mock.out" 2>/dev/null && grep -q listening "$work/open.out" 2>/dev/null; do sleep 0.1; done
base=$(sed 's/.*listening on //' "$work/mock.out")
open_base=$(sed 's/.*listening on //' "$work/open.out")
generate_ids "$ids" 7 "$work/ids.txt"
ideal=$(awk -v n="$ids" -v r="$limit" 'BEGIN { print n / r }')

reset() { curl -s -X POST "$1/__mock/reset" >/dev/null; }
stat() { curl -s "$base/__mock/stats" | jq "$1"; }
seconds_of() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }'; }

# row NAME SECONDS IDEAL: one line of the table from the gateway's counts.
row() {
    local accepted rejected lockouts cancelled
    accepted=$(stat .gateway.accepted)
    rejected=$(stat .gateway.rejected)
    lockouts=$(stat .gateway.lockOuts)
    cancelled=$(stat '.cancelReplies.cancelled // 0')
    awk -v name="$1" -v s="$2" -v ideal="$3" -v a="$accepted" -v r="$rejected" -v l="$lockouts" -v c="$cancelled" -v n="$ids" \
        'BEGIN { share = (n > c) ? "— (offers left open)" : sprintf("%.2f", ideal / s)
                 printf "| %s | %.1f s | %s | %.1f %% | %d | %d |\n", name, s, share, (a + r) ? 100 * r / (a + r) : 0, l, n - c }'
}

# cancel NAME [FLAGS...]: one offer-cancel run against the limited gateway.
cancel() {
    local name=$1
    shift
    reset "$base"
    local start
    start=$(date +%s.%N)
    ARKANE_TOKEN=mock-token "$bin/offer-cancel" --base-url "$base" -q --no-records "$@" "$work/ids.txt" < /dev/null || true
    row "$name" "$(seconds_of "$start")" "$ideal"
}

if [[ " $sections " == *" limited "* ]]; then
echo "$ids IDs, gateway limit $limit/s per client, burst $burst, lock-out ${penalty} s; ideal ${ideal} s"
echo
echo "| run | time | share of ideal | 429 share | lock-outs | not cancelled |"
echo "|---|---:|---:|---:|---:|---:|"
cancel "offer-cancel (defaults)"
cancel "offer-cancel -c 64" -c 64
[ "$first_release" = no ] || cancel "offer-cancel --fixed-concurrency -c 64 (the first release)" --fixed-concurrency -c 64
cancel "offer-cancel --rate $limit/s (the limit known)" --rate "$limit/s"
if python3 -c "import aiohttp" 2>/dev/null; then
    reset "$base"
    start=$(date +%s.%N)
    python3 Benchmarks/peers/aiohttp_cancel.py "$base" "$work/ids.txt" 64 > "$work/py.out"
    row "python aiohttp, 64 in flight (no retries)" "$(seconds_of "$start")" "$ideal"
fi

fi

# The limit halved a third of the way in.
if [[ " $sections " == *" halved "* ]]; then
third=$(awk -v i="$ideal" 'BEGIN { printf "%.1f", i / 3 }')
halved_ideal=$(awk -v n="$ids" -v r="$limit" -v t="$third" 'BEGIN { print t + (n - r * t) / (r / 2) }')
echo
echo "The limit halved to $((limit / 2))/s after ${third} s (ideal ${halved_ideal} s); 429 share after the change: from 10 s on"
echo
echo "| run | time | share of ideal | 429 share | lock-outs | not cancelled | 429 share 10 s after the change |"
echo "|---|---:|---:|---:|---:|---:|---:|"
halved_runs=("")
[ "$first_release" = no ] || halved_runs+=("--fixed-concurrency -c 64")
for flags in "${halved_runs[@]}"; do
    reset "$base"
    (sleep "$third"; curl -s -X POST "$base/__mock/config" -d "{\"rateLimit\": $((limit / 2))}" > /dev/null) &
    change=$!
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    ARKANE_TOKEN=mock-token "$bin/offer-cancel" --base-url "$base" -q --no-records $flags "$work/ids.txt" < /dev/null || true
    seconds=$(seconds_of "$start")
    wait "$change"
    late=$(curl -s "$base/__mock/stats" | jq --argjson from "$(awk -v t="$third" 'BEGIN { printf "%d", t + 10 }')" \
        '[.gateway.perSecond[$from:][] ] | (map(.rejected) | add // 0) as $r | (map(.accepted) | add // 0) as $a | if $a + $r > 0 then 100 * $r / ($a + $r) else 0 end')
    line=$(row "offer-cancel ${flags:-(defaults)}" "$seconds" "$halved_ideal")
    printf '%s %.1f %% |\n' "$line" "$late"
done

fi

# No limit at all: what adaptation costs when there is nothing to adapt to.
if [[ " $sections " == *" open "* ]]; then
echo
echo "No limit (a second arkane-mock): $ids IDs"
echo
echo "| run | time | requests/s |"
echo "|---|---:|---:|"
for flags in "" "--fixed-concurrency -c 64"; do
    reset "$open_base"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    ARKANE_TOKEN=mock-token "$bin/offer-cancel" --base-url "$open_base" -q --no-records $flags "$work/ids.txt" < /dev/null || true
    seconds=$(seconds_of "$start")
    awk -v name="offer-cancel ${flags:-(defaults)}" -v s="$seconds" -v n="$ids" 'BEGIN { printf "| %s | %.1f s | %.0f |\n", name, s, n / s }'
done
fi

# another_mock FLAGS...: starts one more arkane-mock; sets $other to its base URL.
another_mock() {
    local out="$work/other-$RANDOM.out"
    "$bin/arkane-mock" --port 0 "$@" > "$out" &
    others+=($!)
    until grep -q listening "$out" 2>/dev/null; do sleep 0.1; done
    other=$(sed 's/.*listening on //' "$out")
}
others=()
trap 'kill $mock $open "${others[@]}" 2>/dev/null || true; cleanup' EXIT

# side_by_side NAME BASE [FLAGS...]: the defaults and --fixed-concurrency against one market (then
# a run with each FLAGS: the overload's -c 32, a client told the capacity), one row each,
# with the defaults' share of the fixed run's requests/s, the market's 429/503 counts and its
# lock-outs.
side_by_side() {
    local name=$1 url=$2 flags seconds fixed_rate="" rate stats
    for flags in "--fixed-concurrency -c 64" "" "${@:3}"; do
        curl -s -X POST "$url/__mock/reset" > /dev/null
        start=$(date +%s.%N)
        # shellcheck disable=SC2086
        ARKANE_TOKEN=mock-token "$bin/offer-cancel" --base-url "$url" -q --no-records $flags "$work/ids.txt" < /dev/null || true
        seconds=$(seconds_of "$start")
        stats=$(curl -s "$url/__mock/stats")
        rate=$(awk -v s="$seconds" -v n="$ids" 'BEGIN { printf "%.0f", n / s }')
        [ -n "$fixed_rate" ] || fixed_rate=$rate
        awk -v name="$name, offer-cancel ${flags:-(defaults)}" -v s="$seconds" -v r="$rate" -v f="$fixed_rate" \
            -v c="$(jq '.cancelReplies.cancelled // 0' <<< "$stats")" -v n="$ids" \
            -v t="$(jq '[.faults["429"] // 0, .faults["503"] // 0, .gateway.rejected // 0, .gateway.overCapacity // 0] | add' <<< "$stats")" \
            -v l="$(jq '.gateway.lockOuts // 0' <<< "$stats")" \
            'BEGIN { printf "| %s | %.1f s | %d | %.2f | %d | %d | %d |\n", name, s, r, r / f, t, l, n - c }'
    done
}

if [[ " $sections " == *" noise "* || " $sections " == *" overload "* || " $sections " == *" noisy-limit "* ]]; then
echo
echo "Noise, overload and noise on a limit: $ids IDs; \"of fixed\" is requests/s ÷ --fixed-concurrency's"
echo
echo "| market, run | time | requests/s | of fixed | 429+503 answered | lock-outs | not cancelled |"
echo "|---|---:|---:|---:|---:|---:|---:|"
fi
if [[ " $sections " == *" noise "* ]]; then
    another_mock --latency-ms 20 --fault-429 0.01 --fault-503 0.02
    side_by_side "1 % 429 + 2 % 503 at random" "$other"
    another_mock --latency-ms 20 --fault-503 0.05
    side_by_side "5 % 503 at random" "$other"
fi
if [[ " $sections " == *" overload "* ]]; then
    another_mock --latency-ms 20 --capacity 32
    side_by_side "503 past 32 in flight (ideal $((32 * 1000 / 20))/s)" "$other" "--fixed-concurrency -c 32"
fi
if [[ " $sections " == *" noisy-limit "* ]]; then
    another_mock --rate-limit "$limit/s" --burst "$burst" --penalty "$penalty" --fault-503 0.02
    side_by_side "$limit/s gateway + 2 % 503 at random (ideal ${limit}/s)" "$other"
fi
