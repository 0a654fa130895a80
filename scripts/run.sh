#!/usr/bin/env bash
# `make run`: set up, then start the sandbox, the web server and the background worker
# together (Procfile.dev, through honcho). Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export DASHBOARD_PORT="${DASHBOARD_PORT:-8000}" DEEPCALL_SANDBOX_PORT="${DEEPCALL_SANDBOX_PORT:-8765}"
PY=.venv/bin/python
$PY manage.py migrate --no-input -v 0
echo
echo "DeepCall dashboard: http://127.0.0.1:${DASHBOARD_PORT}/"
if [ -z "${DEEPCALL_BASE_URL:-}" ]; then
  echo "Talking to the embedded DeepCall sandbox at http://127.0.0.1:${DEEPCALL_SANDBOX_PORT}/"
fi
if $PY -c "import os,sys; sys.exit(0 if os.environ.get('DJANGO_DEBUG','1').lower() in ('1','true','yes','on','') else 1)"; then
  echo "Demo logins (role, username / password):"
  $PY manage.py create_demo_users
fi
echo "Press Ctrl-C to stop everything."
echo
export PATH="$PWD/.venv/bin:$PATH"
exec honcho -f Procfile.dev start
