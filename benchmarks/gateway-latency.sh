#!/usr/bin/env bash
# The gateway's latency at a fixed rate, side by side with calls straight to the stub, and many long
# streams held at once with the app's memory sampled: loopback only, bounded in time. Uses the
# project's own LoadDriver (wrk has no fixed rate). Needs the jars:
#   mvn -pl benchmarks,reference-app -am package -DskipTests
# Usage: benchmarks/gateway-latency.sh [rate, default 500] [seconds per run, default 60]
#          [streams, default 1000] [stream seconds, default 300] [seconds of warm-up at 3,000/s, default 120, before any run]
#          [rounds of the fixed-rate runs, default 2]
# Each round runs the stub, the relay and the gateway with a JSON answer, then with a short stream
# (reported with its time to first byte).
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-500}
SECONDS_PER_RUN=${2:-60}
STREAMS=${3:-1000}
STREAM_SECONDS=${4:-300}
WARM_UP=${5:-120}
ROUNDS=${6:-2}
source benchmarks/gateway-env.sh
# a thread per exchange in the stub: it holds every long stream at once; the gateway relays streams
# without holding a thread each, so Tomcat keeps its default of 200 threads
start_gateway 0

# the least any proxy adds on this machine, measured in the same run: a bare TCP relay to the stub
RELAY_PORT=9098
RELAY_URL=http://127.0.0.1:$RELAY_PORT/v1/chat/completions
java -cp $JAR dev.tokenkeeper.benchmarks.TcpRelay $RELAY_PORT $STUB_PORT > "$WORK/relay.log" 2>&1 &

BODY='{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Say hello"}]}'
# the same call as a stream: the stub answers three events and [DONE] at once
STREAM='{"model":"gpt-4o-mini","stream":true,"max_tokens":16,"messages":[{"role":"user","content":"Say hello"}]}'
drive() { java -cp $JAR dev.tokenkeeper.benchmarks.LoadDriver "$@"; }

# the JIT compiles the hot paths only under load: on two busy cores its C2 compiler stays busy for
# about 100 s at full load, far longer at 500 requests/s, so the warm-up runs at a high rate first,
# before the fixed-rate runs and the long streams alike
if [ "$WARM_UP" -gt 0 ]; then
  drive url=$APP_URL bearer="$TK" body="$BODY" rate=3000 connections=32 seconds=$WARM_UP label="warm-up through the gateway (not counted)" > /dev/null
  drive url=$APP_URL bearer="$TK" body="$STREAM" rate=3000 connections=32 seconds=$(( WARM_UP / 2 )) label="warm-up of streams through the gateway (not counted)" > /dev/null
fi
if [ "$SECONDS_PER_RUN" -gt 0 ]; then
echo "== $RATE requests/s, 8 connections, $SECONDS_PER_RUN s per run, alternating: the stub, a bare TCP relay to it, the gateway;"
echo "   JSON, then streams"
drive url=$APP_URL bearer="$TK" body="$BODY" rate=$RATE seconds=20 label="warm-up through the gateway at the rate (not counted)" > /dev/null
jit_report "before the runs"
drive url=$STUB_URL body="$BODY" rate=$RATE seconds=20 label="warm-up of the driver (not counted)" > /dev/null
drive url=$RELAY_URL body="$BODY" rate=$RATE seconds=20 label="warm-up of the relay (not counted)" > /dev/null
for round in $(seq 1 "$ROUNDS"); do
  drive url=$STUB_URL body="$BODY" rate=$RATE seconds=$SECONDS_PER_RUN label="direct to the stub, round $round"
  drive url=$RELAY_URL body="$BODY" rate=$RATE seconds=$SECONDS_PER_RUN label="through a bare TCP relay, round $round"
  drive url=$APP_URL bearer="$TK" body="$BODY" rate=$RATE seconds=$SECONDS_PER_RUN label="through the gateway, round $round"
  drive url=$STUB_URL body="$STREAM" rate=$RATE seconds=$SECONDS_PER_RUN label="streams direct to the stub, round $round"
  drive url=$RELAY_URL body="$STREAM" rate=$RATE seconds=$SECONDS_PER_RUN label="streams through a bare TCP relay, round $round"
  drive url=$APP_URL bearer="$TK" body="$STREAM" rate=$RATE seconds=$SECONDS_PER_RUN label="streams through the gateway, round $round"
done
jit_report "after the runs"
fi

if [ "$STREAMS" -gt 0 ]; then
  echo "== $STREAMS concurrent streams for $STREAM_SECONDS s (each: 50 events 100 ms apart), the app's memory every 30 s"
  SLOW='{"model":"gpt-4o-mini","stream":true,"max_tokens":64,"messages":[{"role":"user","content":"slow stream"}]}'
  sample() {
    while kill -0 $APP_PID 2>/dev/null; do
      rss=$(awk '/VmRSS/ {print $2}' /proc/$APP_PID/status)
      threads=$(awk '/Threads/ {print $2}' /proc/$APP_PID/status)
      heap=$(jcmd $APP_PID GC.heap_info 2>/dev/null | grep -o 'used [0-9]*K' | head -1)
      echo "$(date -u +%H:%M:%S) rss ${rss} kB, threads ${threads}, heap ${heap}"
      sleep 30
    done
  }
  drive url=$STUB_URL body="$SLOW" mode=streams connections=$STREAMS seconds=60 label="streams straight to the stub (60 s)"
  jit_report "before the streams through the gateway"
  sample &
  SAMPLER=$!
  drive url=$APP_URL bearer="$TK" body="$SLOW" mode=streams connections=$STREAMS seconds=$STREAM_SECONDS label="streams through the gateway"
  kill $SAMPLER 2>/dev/null || true
  jit_report "after the streams through the gateway"
  jcmd $APP_PID GC.run > /dev/null
  echo "after a full collection: $(jcmd $APP_PID GC.heap_info | grep -o 'used [0-9]*K' | head -1), rss $(awk '/VmRSS/ {print $2}' /proc/$APP_PID/status) kB"
fi
echo "== calls recorded by the gateway"
recorded_calls
