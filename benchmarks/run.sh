#!/usr/bin/env bash
# The benchmark set docs/performance.md publishes, in rounds: each round runs one fork of every
# benchmark of the set, yardsticks (BaselineBenchmark) included, so that a ratio divides figures
# measured minutes apart on the same machine. Prints the table of medians, ranges and ratios.
# Usage: benchmarks/run.sh [rounds, default 5]   (about 8 minutes a round on 2 cores)
# Results: benchmarks/target/published/round-N.json (JMH's JSON, one file a round)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
JAR=benchmarks/target/benchmarks.jar
if [ ! -f "$JAR" ]; then
  mvn -q -pl benchmarks -am package -DskipTests
fi
OUT=benchmarks/target/published
rm -rf "$OUT"
mkdir -p "$OUT"
SET=(
  'BaselineBenchmark'
  'TokenVerifyBenchmark.(verifyCached|verifyCachedTwoThreads|rejectMalformed)$'
  'AdmissionBenchmark.authorize(Release|CompleteBurst|CompleteBurstTwoThreads)$'
  'RateLimitBenchmark.checkRequest$'
  'FilterBenchmark.filtered$'
  'TokenTailBenchmark'
)
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%d), $(java -version 2>&1 | head -1)"
for i in $(seq 1 "$ROUNDS"); do
  echo "round $i of $ROUNDS"
  java -jar "$JAR" "${SET[@]}" -p budgets=local -p backend=local -f 1 -foe true -rf json -rff "$OUT/round-$i.json" > "$OUT/round-$i.log" 2>&1 \
    || { tail -50 "$OUT/round-$i.log"; exit 1; }
  grep -h "cold start" "$OUT/round-$i.log" || true
done
java -cp "$JAR" dev.tokenkeeper.benchmarks.Report "$OUT"/round-*.json
