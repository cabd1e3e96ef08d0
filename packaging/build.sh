#!/usr/bin/env bash
# Builds the one-folder desktop bundle dist/callviewer/ with PyInstaller (packaging/callviewer.spec)
# and smoke-runs it headless (packaging/smoke.sh). build/ and dist/ are git-ignored.
#
#   packaging/build.sh              # build, report size and time, smoke-run
#   packaging/build.sh --no-smoke   # build only
#
# Sets up .venv first when it is missing (scripts/setup). PyInstaller is installed into .venv
# with pip from PyPI if it is not there yet: the only step that needs the network.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=1
for arg in "$@"; do
  case $arg in
    --no-smoke) smoke=0 ;;
    -h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "build: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

[[ -x .venv/bin/python ]] || bash scripts/setup
py=.venv/bin/python
pyinstaller_req="pyinstaller>=6.10,<7"
if ! "$py" -c 'import PyInstaller' >/dev/null 2>&1; then
  echo "build: installing $pyinstaller_req into .venv" >&2
  "$py" -m pip install -q "$pyinstaller_req"
fi
echo "build: PyInstaller $("$py" -c 'import PyInstaller; print(PyInstaller.__version__)')," \
     "Python $("$py" -c 'import platform; print(platform.python_version())')" >&2

rm -rf dist/callviewer
t0=$(date +%s.%N)
"$py" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/callviewer.spec
t1=$(date +%s.%N)
[[ -x dist/callviewer/callviewer ]] || { echo "build: dist/callviewer/callviewer was not made" >&2; exit 1; }
seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
size=$(du -sh dist/callviewer | cut -f1)
echo "build: dist/callviewer built in ${seconds} s; size ${size} (du -sh dist/callviewer)"

if ((smoke)); then
  bash packaging/smoke.sh dist/callviewer/callviewer
fi
