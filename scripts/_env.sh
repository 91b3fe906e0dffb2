# Shared by scripts/demo and scripts/test: make .venv, install the project, check system libraries.
# Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"

libs() { { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q "$1"; }

need_system_packages() {
  # WeasyPrint needs Pango (with HarfBuzz) and fonts; venv needs ensurepip (python3-venv on Debian).
  local missing=()
  libs 'libpango-1.0.so' || missing+=(libpango-1.0-0)
  libs 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
  libs 'libharfbuzz.so' || missing+=(libharfbuzz0b)
  libs 'libharfbuzz-subset.so' || missing+=(libharfbuzz-subset0)
  if [ ! -x .venv/bin/python ] && ! "$PY" -c 'import ensurepip' >/dev/null 2>&1; then
    missing+=("python3-venv")
  fi
  fc-list 2>/dev/null | grep -qi 'dejavu' || missing+=(fonts-dejavu-core fontconfig)
  # Account and function names can be in any script; a CJK font keeps them legible in the PDFs.
  fc-list 2>/dev/null | grep -qi 'wenquanyi' || missing+=(fonts-wqy-microhei)
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing system packages: ${missing[*]}" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null
    else
      echo "missing system packages: ${missing[*]} (install them with apt-get, then run again)" >&2
      exit 2
    fi
  fi
}

ensure_venv() {
  local extra="$1"
  local stamp=".venv/.installed-$extra"
  if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
  fi
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    if [ "$extra" = "base" ]; then
      .venv/bin/python -m pip install -q -e .
    else
      .venv/bin/python -m pip install -q -e ".[$extra]"
    fi
    touch "$stamp"
  fi
}
