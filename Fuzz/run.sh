#!/usr/bin/env bash
# Builds the libFuzzer targets (AddressSanitizer and libFuzzer's coverage, Fuzz/build-flags)
# and runs each for SECONDS (default 60) from the seed corpus in Fuzz/Corpus/TARGET, one per
# core at a time (FUZZ_JOBS=N sets how many), printing executions, coverage and crashes.
# FUZZ_BUILD_PATH=DIR builds in DIR (default Fuzz/.build): `.ci/run` names its ASan build
# folder, built with the same flags, so only the fuzz targets compile.
# A crash leaves its input in Fuzz/crashes/; turn it into a regression test.
#   Fuzz/run.sh [SECONDS] [TARGET ...]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzLines FuzzCSV FuzzNDJSON FuzzJSONDocument FuzzReplyClassifier FuzzResumeLog)
build=${FUZZ_BUILD_PATH:-.build}
read -r -a flags <<< "$(grep -v '^#' build-flags | tr '\n' ' ')"
mkdir -p crashes work
# One build for every target when none is named: one planning pass, shared modules once.
# (`swift build` takes one --product.)
builds=(all)
[ $# -eq 0 ] || builds=("${targets[@]}")
for product in "${builds[@]}"; do
    selection=()
    [ "$product" = all ] || selection=(--product "$product")
    if ! swift build -c debug --scratch-path "$build" "${selection[@]}" "${flags[@]}" > work/build.log 2>&1; then
        grep -E "error:" work/build.log | head -20 || tail -20 work/build.log
        echo "the fuzz targets did not build (Fuzz/work/build.log)"
        exit 1
    fi
done
# fuzz TARGET: one run from the seed corpus; prints its figures, returns 1 on a crash.
fuzz() {
    local target=$1 started status=0
    rm -rf "work/$target" && cp -r "Corpus/$target" "work/$target"
    started=$(date +%s)
    if ! "$build/debug/$target" "work/$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="crashes/$target-" -print_final_stats=1 > "work/$target.log" 2>&1; then
        status=1
        echo "$target: CRASH — see Fuzz/work/$target.log and Fuzz/crashes/"
        grep -m5 -E "ERROR|Fatal|panic|==[0-9]+==" "work/$target.log" || true
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "work/$target.log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -oE 'cov: [0-9]+' "work/$target.log" | tail -1 | grep -oE '[0-9]+' || echo '?')
    echo "$target: $runs executions, coverage $cov edges, $(( $(date +%s) - started )) s"
    return $status
}
# One fuzzer per core at a time (each is single-threaded), in order of the list.
jobs=${FUZZ_JOBS:-$(nproc)}
status=0
pids=()
for target in "${targets[@]}"; do
    fuzz "$target" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then
        wait "${pids[0]}" || status=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
