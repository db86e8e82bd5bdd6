#!/usr/bin/env bash
# Compares two builds of the benchmarks on this machine, where a figure moves by more from one
# fork to the next than most changes move it: pairs of single forks, one of each build, in the
# order A B, B A, A B, ... (so that neither build always runs first), then the per-pair ratio B / A
# (Compare). Any JMH options after the pair count go to every fork.
# Usage: benchmarks/compare.sh A.jar B.jar 'BenchmarkRegex' [pairs, default 4] [JMH options ...]
# Results: benchmarks/target/compare/{a,b}-N.json
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
A=$1
B=$2
SELECT=$3
PAIRS=${4:-4}
shift $(( $# < 4 ? 3 : 4 ))
for jar in "$A" "$B"; do
  [ -f "$jar" ] || { echo "no such jar: $jar" >&2; exit 2; }
done
OUT=benchmarks/target/compare
rm -rf "$OUT"
mkdir -p "$OUT"
run() { # build (a or b), jar, pair
  java -jar "$2" "$SELECT" -f 1 -foe true -rf json -rff "$OUT/$1-$3.json" "${@:4}" > "$OUT/$1-$3.log" 2>&1 \
    || { tail -30 "$OUT/$1-$3.log"; exit 1; }
}
for i in $(seq 1 "$PAIRS"); do
  echo "pair $i of $PAIRS"
  if [ $((i % 2)) -eq 1 ]; then
    run a "$A" "$i" "$@"; run b "$B" "$i" "$@"
  else
    run b "$B" "$i" "$@"; run a "$A" "$i" "$@"
  fi
done
java -cp "$B" dev.tokenkeeper.benchmarks.Compare "$OUT"
