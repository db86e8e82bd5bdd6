# Sourced by the gateway's load scripts (gateway-load.sh, gateway-latency.sh), from the project's
# root: the stub upstream and the reference app's jar on loopback, the stub as the app's `openai`
# provider (model gpt-4o-mini), an empty SQLite file without demo data, and an agent token. Whatever
# it starts is stopped, and its files removed, when the script exits.
STUB_PORT=9099
APP_PORT=18080
JAR=benchmarks/target/benchmarks.jar
STUB_URL=http://127.0.0.1:$STUB_PORT/v1/chat/completions
APP_URL=http://127.0.0.1:$APP_PORT/v1/chat/completions
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

# start_gateway <stub threads, 0 for a thread per exchange> [more arguments for the app...]
# Sets APP_PID, ACCESS (an admin's access token) and TK (the agent token). APP_JAVA_OPTS and
# APP_ARGS, when set, go to the app's JVM and to the app.
start_gateway() {
  local stub_threads=$1
  shift
  java -Dthreads="$stub_threads" -cp $JAR dev.tokenkeeper.benchmarks.StubUpstream $STUB_PORT > "$WORK/stub.log" 2>&1 &
  # shellcheck disable=SC2086 # APP_JAVA_OPTS and APP_ARGS are lists of arguments
  TOKENKEEPER_ADMIN_PASSWORD=load-run-passphrase-2026 java -Xmx1g ${APP_JAVA_OPTS:-} \
    -jar reference-app/target/tokenkeeper-reference-app-*-SNAPSHOT.jar \
    --server.port=$APP_PORT \
    --tokenkeeper.demo-data=false \
    --tokenkeeper.storage.sqlite-file="$WORK/app.db" \
    --tokenkeeper.providers.openai.type=openai \
    --tokenkeeper.providers.openai.base-url=http://127.0.0.1:$STUB_PORT/v1 \
    --tokenkeeper.providers.openai.api-key=sk-load-run \
    --tokenkeeper.providers.openai.models=gpt-4o-mini \
    --logging.level.root=WARN "$@" ${APP_ARGS:-} > "$WORK/app.log" 2>&1 &
  APP_PID=$!
  local up=
  for _ in $(seq 1 180); do
    curl -sf "http://127.0.0.1:$APP_PORT/api/v1/health" > /dev/null && { up=1; break; }
    kill -0 "$APP_PID" 2>/dev/null || break
    sleep 1
  done
  [ -n "$up" ] || fail "the app did not start" "$WORK/app.log"
  login
  local issued
  issued=$(curl -sf -X POST "http://127.0.0.1:$APP_PORT/api/v1/tokens" -H "Authorization: Bearer $ACCESS" \
    -H 'Content-Type: application/json' -d '{"name":"load","role":"agent"}') || fail "issuing the agent token failed"
  TK=$(printf '%s' "$issued" | sed -n 's/.*"token":"\(tk_[^"]*\)".*/\1/p')
  [ -n "$TK" ] || fail "no agent token in the answer: $issued"
}

# fail <message> [a log to show]: stops the script, so that a broken set-up never yields figures
fail() {
  echo "gateway load run: $1" >&2
  [ -n "${2:-}" ] && tail -30 "$2" >&2
  exit 1
}

# sets ACCESS, an admin's access token (a fresh one: the login's expires)
login() {
  local answer
  answer=$(curl -sf -X POST "http://127.0.0.1:$APP_PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"username":"admin","password":"load-run-passphrase-2026"}') || fail "the admin's login failed"
  ACCESS=$(printf '%s' "$answer" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  [ -n "$ACCESS" ] || fail "no access token in the login's answer"
}

# the calls the gateway recorded: the requests of GET /api/v1/usage (the last 30 days)
recorded_calls() {
  login
  local answer count
  answer=$(curl -sf "http://127.0.0.1:$APP_PORT/api/v1/usage?granularity=day" -H "Authorization: Bearer $ACCESS") \
    || fail "reading the usage failed"
  count=$(printf '%s' "$answer" | sed -n 's/.*"totals":{"requests":\([0-9]*\).*/\1/p')
  [ -n "$count" ] || fail "no request count in the usage: $answer"
  echo "$count"
}

# the app's JIT so far (compilations, seconds spent compiling summed over its threads): quiet between
# two reports means the hot paths were compiled before the run between them
jit_report() {
  jstat -compiler "$APP_PID" | awk -v label="$1" 'NR == 2 { printf "JIT %s: %d compilations, %.1f s compiling\n", label, $1, $4 }'
}
