#!/usr/bin/env bash
# Create or update everything the dashboard needs: a virtual environment on Python >= 3.12 with
# the locked dependencies (uv.lock), and the front-end packages (package-lock.json).
# Safe to run again: it does nothing when the lock files have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

MIN_MINOR=12
UV_VERSION=0.13.8
export UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=.venv

python_ok() {
  "$1" -c "import sys; sys.exit(0 if sys.version_info >= (3, $MIN_MINOR) else 1)" 2>/dev/null
}

find_python() {
  local candidates=()
  [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
  candidates+=(python3.14 python3.13 python3.12)
  if command -v pyenv >/dev/null 2>&1; then
    local v
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])' | sort -rV); do
      candidates+=("$(pyenv root)/versions/$v/bin/python3")
    done
  fi
  candidates+=(python3)
  local c
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && python_ok "$c"; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

if [ -x .venv/bin/python ] && ! python_ok .venv/bin/python; then
  echo "bootstrap: .venv uses a Python older than 3.$MIN_MINOR; recreating it."
  rm -rf .venv
fi

if [ ! -x .venv/bin/python ]; then
  if ! PY=$(find_python); then
    echo "bootstrap: this project needs Python 3.$MIN_MINOR or newer, and none was found." >&2
    echo "  Looked for \$PYTHON, python3.14, python3.13, python3.12, pyenv's versions and python3." >&2
    echo "  Install one (e.g. 'pyenv install 3.13' or 'apt-get install python3.13'), or set PYTHON=/path/to/python3.13." >&2
    exit 1
  fi
  echo "bootstrap: creating .venv with $PY ($("$PY" --version))"
  "$PY" -m venv .venv
fi

stamp=.venv/.installed
want="$(cat uv.lock package-lock.json pyproject.toml | sha256sum | cut -c1-64)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d node_modules/bootstrap ]; then
  exit 0
fi

if ! .venv/bin/python -m uv --version 2>/dev/null | grep -q "$UV_VERSION"; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
# --inexact keeps uv itself installed in the environment it manages.
.venv/bin/python -m uv sync --frozen --inexact --quiet

if ! command -v npm >/dev/null 2>&1; then
  echo "bootstrap: npm (Node.js) is needed to install Bootstrap from the npm registry." >&2
  echo "  Install it (e.g. 'apt-get install nodejs npm') and run this again." >&2
  exit 1
fi
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null

echo "$want" > "$stamp"
echo "bootstrap: environment ready ($(.venv/bin/python --version))"
