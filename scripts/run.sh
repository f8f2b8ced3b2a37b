#!/bin/sh
# Started by `make run` with DATABASE_URL and REDIS_URL set: migrate, demo data if the database
# is empty, then the web server, a Celery worker and Celery beat together (honcho, Procfile.dev).
set -eu
export DEBUG="${DEBUG:-1}"
export PORT="${PORT:-8000}"
PY=.venv/bin/python
mkdir -p var/staticfiles
$PY manage.py migrate --no-input
$PY manage.py seed_demo --if-empty
echo
echo "  Project invoicing is starting on http://127.0.0.1:${PORT}/"
echo "  Demo logins (password: demo12345):"
echo "    teammember  - team member       (my week, expenses)"
echo "    manager     - project manager   (approvals, backlog, invoices)"
echo "    accountant  - project accountant (journals, proposals, receivables)"
echo "    admin       - administrator     (master data, /admin/)"
echo "  API docs: http://127.0.0.1:${PORT}/api/docs/    Ctrl-C stops web, worker and beat."
echo
# honcho forwards Ctrl-C / SIGTERM to all three as SIGTERM (and SIGKILLs after 10 s).
exec .venv/bin/honcho -f Procfile.dev start
