#!/usr/bin/env bash
# Serve envgrid with gunicorn (production WSGI server) and run the overdue sweep beside it.
set -euo pipefail
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
BIN=$(dirname "$PY")
trap 'kill 0' EXIT INT TERM
"$PY" manage.py sweep --loop "${ENVGRID_SWEEP_SECONDS:-300}" &
# New reporting periods open their due reports (I3) before the sweep looks for missing ones.
"$PY" manage.py reporting_schedule --loop "${ENVGRID_REPORTING_SCHEDULE_SECONDS:-3600}" &
echo "envgrid: http://$HOST:$PORT/  (logins: see README)"
"$BIN/gunicorn" config.wsgi:application --bind "$HOST:$PORT" --workers "${WEB_CONCURRENCY:-3}" \
  --access-logfile - --timeout 120
