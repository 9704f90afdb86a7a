#!/usr/bin/env bash
# Serve envgrid: gunicorn (production WSGI server) and one Huey consumer (`manage.py
# run_huey`: the task workers and the scheduler of the periodic jobs — the sweep, the
# reporting schedule, the index rebuild, the import-job reaper; docs/decisions/0018).
# The queue is a SQLite file under var/ unless ENVGRID_TASK_REDIS_URL is set, so this
# needs no extra server. Periodic jobs take a database lease per period: a second
# consumer (on another host) never runs them twice.
set -euo pipefail
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
BIN=$(dirname "$PY")
trap 'kill 0' EXIT INT TERM
"$PY" manage.py run_huey --workers "${ENVGRID_TASK_WORKERS:-2}" --quiet &
echo "envgrid: http://$HOST:$PORT/  (logins: see README)"
"$BIN/gunicorn" config.wsgi:application --bind "$HOST:$PORT" --workers "${WEB_CONCURRENCY:-3}" \
  --access-logfile - --timeout 120
