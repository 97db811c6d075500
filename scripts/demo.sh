#!/usr/bin/env bash
# The demo: localstripe, a Celery worker with beat, and the web server, all
# on this machine, and no server of any other kind: the database is SQLite,
# the shared cache a SQLite file, and Celery's broker a folder
# (hopefund/settings/dev.py), all under var/. Ctrl-C stops everything it
# started.
#
# PORT and LOCALSTRIPE_PORT choose the ports; VAR_DIR another folder for
# everything it writes; DEMO_PYTHON another interpreter than .venv's.
set -euo pipefail
cd "$(dirname "$0")/.."

# The worker would otherwise start with production settings (hopefund/celery.py).
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-hopefund.settings.dev}
PORT=${PORT:-8000}
LOCALSTRIPE_PORT=${LOCALSTRIPE_PORT:-8420}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PORT}
export STRIPE_API_BASE=${STRIPE_API_BASE:-http://127.0.0.1:$LOCALSTRIPE_PORT}
export STRIPE_JS_URL=${STRIPE_JS_URL:-$STRIPE_API_BASE/js.stripe.com/v3/}
export STRIPE_WEBHOOK_SECRET=${STRIPE_WEBHOOK_SECRET:-whsec_localstripe_demo}
PY=${DEMO_PYTHON:-.venv/bin/python}
export VAR_DIR=${VAR_DIR:-$PWD/var}
export EMAIL_FILE_PATH=${EMAIL_FILE_PATH:-$VAR_DIR/mail}
LOG_DIR=$VAR_DIR/log
mkdir -p "$EMAIL_FILE_PATH" "$LOG_DIR"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

wait_for() {  # wait_for URL WHAT
  for _ in $(seq 1 100); do
    curl -s -o /dev/null -H "Authorization: Bearer sk_test_demo" "$1" && return 0
    sleep 0.2
  done
  echo "demo: $2 did not start; see $LOG_DIR/" >&2
  exit 1
}

for port in "$PORT" "$LOCALSTRIPE_PORT"; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "demo: port $port is already in use (another demo running?); set PORT or LOCALSTRIPE_PORT" >&2
    exit 1
  fi
done

$PY manage.py migrate --noinput -v 0
$PY manage.py seed_demo

$PY scripts/localstripe_server.py --port "$LOCALSTRIPE_PORT" >"$LOG_DIR/localstripe.log" 2>&1 &
pids+=($!)
wait_for "$STRIPE_API_BASE/v1/customers" localstripe
# localstripe keeps webhook endpoints in memory: register ours on every start.
curl -sf -o /dev/null "$STRIPE_API_BASE/_config/webhooks/hopefund" \
  -d "url=$SITE_URL/stripe/webhook/" -d "secret=$STRIPE_WEBHOOK_SECRET"

# The only consumer of the broker's folder; gossip and mingle are for
# talking to other workers, and there are none.
$PY -m celery -A hopefund worker --beat --schedule "$VAR_DIR/celerybeat-schedule" \
  --concurrency 2 --without-gossip --without-mingle --loglevel INFO >"$LOG_DIR/worker.log" 2>&1 &
pids+=($!)

$PY manage.py runserver "127.0.0.1:$PORT" --noreload >"$LOG_DIR/web.log" 2>&1 &
pids+=($!)
wait_for "$SITE_URL/healthz" "the web server"

cat <<TXT

  Hopefund demo is running.

  Campaign page:  $SITE_URL/campaigns/dressember-2026/
  Admin:          $SITE_URL/admin/  (logins printed above)
  Test cards:     4242 4242 4242 4242 (succeeds), 4000 0000 0000 0341 (declined),
                  4000 0025 0000 3155 (asks for 3-D Secure); any future date and CVC
  Receipts:       $EMAIL_FILE_PATH/   Logs: $LOG_DIR/

  Press Ctrl-C to stop.
TXT
wait -n "${pids[@]}"
echo "demo: a process stopped; see $LOG_DIR/" >&2
