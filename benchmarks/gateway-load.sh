#!/usr/bin/env bash
# A load run of the reference app's gateway against a local OpenAI-compatible stub, side by side with
# calls straight to the stub: loopback only, bounded in time. Needs wrk (Debian: apt-get install wrk)
# and the jars: mvn -pl benchmarks,reference-app -am package -DskipTests
# Usage: benchmarks/gateway-load.sh [seconds per run, default 20] [connections, default 32]
#                                   [seconds of warm-up through the gateway, default 120; half as
#                                   long again before the streams]
# The warm-up lasts until the JIT has compiled the hot paths: on two busy cores its C2 compiler stays
# busy for about 100 s of load. The JIT's work (compilations, seconds spent compiling, summed over its
# threads) is printed before and after each measured run through the gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
CONNECTIONS=${2:-32}
WARM_UP=${3:-120}
source benchmarks/gateway-env.sh
start_gateway 16
export TK

cat > "$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Say hello"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TK")
LUA

sed 's/"max_tokens":16,/"max_tokens":16,"stream":true,/' "$WORK/post.lua" > "$WORK/stream.lua"

# run <title> <url> [lua script, default post] [seconds]: wrk's latencies and rate; any answer other
# than 2xx (a refusal, an error) stops the script, as figures of refused calls measure nothing
run() {
  echo "== $1"
  local out
  out=$(wrk -t"$(( CONNECTIONS < 2 ? 1 : 2 ))" -c"$CONNECTIONS" -d"${4:-$SECONDS_PER_RUN}s" --latency \
    -s "$WORK/${3:-post}.lua" "$2")
  printf '%s\n' "$out" | sed -n '/Latency Distribution/,/Requests\/sec/p'
  if printf '%s' "$out" | grep -q 'Non-2xx'; then
    fail "$1: answers other than 2xx" "$WORK/app.log"
  fi
}
run "warm-up through the gateway (not counted)" "$APP_URL" post "$WARM_UP" > /dev/null
jit_report "so far"
run "direct to the stub" "$STUB_URL"
jit_report "so far"
run "through the gateway" "$APP_URL"
jit_report "so far"
# a short stream (three events and [DONE]): its whole time bounds the time to the first byte
run "a stream, straight to the stub" "$STUB_URL" stream
run "a stream, warm-up through the gateway (not counted)" "$APP_URL" stream "$(( WARM_UP / 2 ))" > /dev/null
jit_report "so far"
run "a stream, through the gateway" "$APP_URL" stream
jit_report "so far"
echo "== calls recorded by the gateway"
recorded_calls
