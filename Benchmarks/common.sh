# Sourced by the benchmark scripts: release binaries and generated IDs.
# Sets: root (the repository), work (a temporary folder removed on exit), bin (the products).
# BENCH_CONFIGURATION=debug uses debug builds instead (CI's smoke runs, which check that the
# scripts work, not what they measure: every figure in BENCHMARKS.md is from release builds).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
cd "$root"
# BENCH_SCRATCH=FOLDER builds (and finds the binaries) in that build folder instead of .build.
configuration=${BENCH_CONFIGURATION:-release}
build=(swift build -c "$configuration")
[ -z "${BENCH_SCRATCH:-}" ] || build+=(--scratch-path "$BENCH_SCRATCH")
"${build[@]}" --product offer-cancel >/dev/null
"${build[@]}" --product arkane-mock >/dev/null
bin=$("${build[@]}" --show-bin-path)

# generate_ids COUNT SEED FILE: COUNT random version-4 UUIDs, the same ones for the same seed.
generate_ids() {
    python3 -c "
import uuid, random
random.seed($2)
for _ in range($1): print(uuid.UUID(int=random.getrandbits(128), version=4))
" > "$3"
}
