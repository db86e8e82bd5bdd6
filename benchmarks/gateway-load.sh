#!/usr/bin/env bash
# A load run of the reference app's gateway against a local OpenAI-compatible stub, side by side with
# calls straight to the stub: loopback only, bounded in time. Needs wrk (Debian: apt-get install wrk)
# and the jars: mvn -pl benchmarks,reference-app -am package -DskipTests
# Usage: benchmarks/gateway-load.sh [seconds per run, default 20] [connections, default 32]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
CONNECTIONS=${2:-32}
STUB_PORT=9099
APP_PORT=18080
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

java -cp benchmarks/target/benchmarks.jar dev.tokenkeeper.benchmarks.StubUpstream $STUB_PORT > "$WORK/stub.log" 2>&1 &
TOKENKEEPER_ADMIN_PASSWORD=load-run-passphrase-2026 java -Xmx1g ${APP_JAVA_OPTS:-} -jar reference-app/target/tokenkeeper-reference-app-*-SNAPSHOT.jar \
  --server.port=$APP_PORT \
  --tokenkeeper.storage.sqlite-file="$WORK/app.db" \
  --tokenkeeper.providers.openai.type=openai \
  --tokenkeeper.providers.openai.base-url=http://127.0.0.1:$STUB_PORT/v1 \
  --tokenkeeper.providers.openai.api-key=sk-load-run \
  --tokenkeeper.providers.openai.models=gpt-4o-mini \
  --logging.level.root=WARN > "$WORK/app.log" 2>&1 &
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$APP_PORT/api/v1/health" > /dev/null && break; sleep 1; done
ACCESS=$(curl -sf -X POST "http://127.0.0.1:$APP_PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"load-run-passphrase-2026"}' | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
export TK=$(curl -sf -X POST "http://127.0.0.1:$APP_PORT/api/v1/tokens" -H "Authorization: Bearer $ACCESS" \
  -H 'Content-Type: application/json' -d '{"name":"load","role":"agent"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')

cat > "$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"Say hello"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TK")
LUA

sed 's/"max_tokens":16,/"max_tokens":16,"stream":true,/' "$WORK/post.lua" > "$WORK/stream.lua"

run() { echo "== $1"; wrk -t"$(( CONNECTIONS < 2 ? 1 : 2 ))" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/${3:-post}.lua" "$2" | sed -n '/Latency Distribution/,/Requests\/sec/p'; }
run "warm-up through the gateway (not counted)" "http://127.0.0.1:$APP_PORT/v1/chat/completions" > /dev/null
run "direct to the stub" "http://127.0.0.1:$STUB_PORT/v1/chat/completions"
run "through the gateway" "http://127.0.0.1:$APP_PORT/v1/chat/completions"
# a short stream (three events and [DONE]): its whole time bounds the time to the first byte
run "a stream, straight to the stub" "http://127.0.0.1:$STUB_PORT/v1/chat/completions" stream
run "a stream, through the gateway" "http://127.0.0.1:$APP_PORT/v1/chat/completions" stream
echo "== calls recorded by the gateway"
curl -sf "http://127.0.0.1:$APP_PORT/api/v1/usage?granularity=day" -H "Authorization: Bearer $ACCESS" | sed 's/.*"totals":{"requests":\([0-9]*\).*/\1/'
