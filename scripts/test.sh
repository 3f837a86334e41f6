#!/usr/bin/env bash
# The whole test suite, with its own set-up, on a fresh machine:
#   1. installs Datadog's test agent (ddapm-test-agent, pinned) in a venv under target/;
#   2. makes sure PostgreSQL, MariaDB and Redis answer on loopback, starting them if not
#      (and failing loudly if they cannot be started: no test is skipped silently);
#   3. starts the test agent on free loopback ports with its payload checks enabled;
#   4. runs every test of the workspace (cargo-nextest, then the doc tests);
#   5. stops the test agent.
# Extra arguments go to `cargo nextest run` (e.g. a test-name filter).
set -euo pipefail
cd "$(dirname "$0")/.."

AGENT_VERSION=1.69.1
AGENT_DIR=target/test-agent
VENV=$AGENT_DIR/venv
mkdir -p "$AGENT_DIR"

say() { printf '\033[1m[test.sh]\033[0m %s\n' "$*"; }

# --- 1. the test agent --------------------------------------------------------------------
if ! "$VENV/bin/ddapm-test-agent" --version 2>/dev/null | grep -q "$AGENT_VERSION"; then
    say "installing ddapm-test-agent==$AGENT_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "ddapm-test-agent==$AGENT_VERSION"
fi

# --- 2. databases and Redis ---------------------------------------------------------------
wait_for() { # name, check command
    for _ in $(seq 1 60); do
        if eval "$2" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    say "ERROR: $1 is not answering on loopback and could not be started"; exit 1
}
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || service postgresql start || true
fi
wait_for PostgreSQL "pg_isready -h 127.0.0.1 -p 5432"
if ! mariadb -h127.0.0.1 -uroot -e 'select 1' >/dev/null 2>&1; then
    say "starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || service mariadb start || true
fi
wait_for MariaDB "mariadb -h127.0.0.1 -uroot -e 'select 1'"
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    say "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /tmp --logfile /tmp/redis-ci.log || service redis-server start || true
fi
wait_for Redis "redis-cli -h 127.0.0.1 -p 6379 ping"
mariadb -h127.0.0.1 -uroot -e 'create database if not exists test' >/dev/null

# --- 3. start the test agent on free ports ------------------------------------------------
read -r PORT OTLP_HTTP OTLP_GRPC < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()
PY
)
LOG=$AGENT_DIR/agent_$PORT.log
# Checks the agent runs on every payload; end-to-end tests assert it found no failure.
# trace_peer_service and trace_dd_service skip spans unless a test sends the settings they
# need (`ddtrace_test_support::with_trace_env_variables`) under span schema v1.
CHECKS=trace_count_header,meta_tracer_version_header,trace_content_length,meta_events_is_valid_json,trace_peer_service,trace_dd_service
env -u DD_TRACE_AGENT_URL -u DD_AGENT_URL -u DD_AGENT_HOST -u DD_TRACE_AGENT_PORT \
    PORT=$PORT OTLP_HTTP_PORT=$OTLP_HTTP OTLP_GRPC_PORT=$OTLP_GRPC \
    SNAPSHOT_DIR=$AGENT_DIR/snapshots ENABLED_CHECKS=$CHECKS DD_POOL_TRACE_CHECK_FAILURES=true \
    LOG_LEVEL=WARNING \
    "$VENV/bin/ddapm-test-agent" >"$LOG" 2>&1 &
AGENT_PID=$!
trap 'kill $AGENT_PID 2>/dev/null || true' EXIT
for i in $(seq 1 300); do
    kill -0 $AGENT_PID 2>/dev/null || { say "ERROR: the test agent died"; tail -20 "$LOG"; exit 1; }
    if curl -fsS "http://127.0.0.1:$PORT/info" 2>/dev/null | grep -q '"version"'; then break; fi
    [ "$i" = 300 ] && { say "ERROR: the test agent did not start in 30 s"; tail -20 "$LOG"; exit 1; }
    sleep 0.1
done
say "test agent $AGENT_VERSION on 127.0.0.1:$PORT (checks: $CHECKS)"

# --- 4. the tests -------------------------------------------------------------------------
export DD_TEST_AGENT_URL=http://127.0.0.1:$PORT
export DD_TEST_AGENT_CHECKS=$CHECKS
export TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test
export TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test
export TEST_REDIS_URL=redis://127.0.0.1:6379/
# Tests configure the tracer themselves; a DD_* variable from the caller's shell must not leak in.
for v in $(env | grep -o '^DD_TRACE_[A-Z0-9_]*\|^DD_AGENT_[A-Z0-9_]*\|^DD_SERVICE\|^DD_ENV\|^DD_VERSION\|^DD_TAGS' || true); do
    unset "$v"
done

command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest
cargo nextest run --workspace --all-features --no-fail-fast "$@"
cargo test --workspace --all-features --doc

# --- 5. the examples, end to end --------------------------------------------------------------
# Run as a newcomer runs them, against the test agent (tokenless requests go to the session
# started last), then once more with no agent, where the shop must say so and print waterfalls.
TOKEN=examples-$$
curl -fsS "$DD_TEST_AGENT_URL/test/session/start?test_session_token=$TOKEN" >/dev/null
cargo build -q --examples
DD_TRACE_AGENT_URL=$DD_TEST_AGENT_URL DD_SERVICE=shop cargo run -q --example quickstart >/dev/null
DD_TRACE_AGENT_URL=$DD_TEST_AGENT_URL cargo run -q --example shop >/dev/null
python3 scripts/check_examples.py "$DD_TEST_AGENT_URL" "$TOKEN"
OUT=$(DD_TRACE_AGENT_URL=http://127.0.0.1:9 cargo run -q --example shop)
echo "$OUT" | grep -q "No Datadog Agent answers" || { say "ERROR: the shop did not report the missing agent"; exit 1; }
echo "$OUT" | grep -q "^trace " || { say "ERROR: the shop printed no waterfall without an agent"; exit 1; }
# The custom carrier: each message's consumer span continues its producer's trace.
OUT=$(cargo run -q --example custom_carrier)
COUNTS=$(echo "$OUT" | grep -o '^trace [0-9a-f]*' | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')
[ "$COUNTS" = "2 " ] || { say "ERROR: custom_carrier: producer and consumer traces differ:"; echo "$OUT"; exit 1; }
say "all tests passed"
