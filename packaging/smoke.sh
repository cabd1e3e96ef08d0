#!/usr/bin/env bash
# Smoke-runs a built bundle headless (packaging/build.sh calls it after a build):
#
#   packaging/smoke.sh [dist/callviewer/callviewer]
#
#   1. `callviewer --version`
#   2. `callviewer --demo` on Qt's offscreen platform with CALLVIEWER_QUIT_AFTER: the window
#      opens, syncs the demo accounts from the built-in simulator, closes itself, exit status 0
#   3. the command line against the bundle's own `callviewer simulate`: accounts add (keys in a
#      private gnome-keyring in a private D-Bus session, as scripts/test does), sync (the
#      worker processes are spawned from the frozen executable), calls list / show / recording,
#      a second (incremental) sync, accounts remove
#
# Everything runs with a throwaway HOME and profile; nothing of yours is read or written.
set -euo pipefail

say() { printf 'smoke: %s\n' "$*" >&2; }
fail() { printf 'smoke: FAILED: %s\n' "$*" >&2; exit 1; }
show() { printf '  $ %s\n' "$*" >&2; }

# -- 3. runs inside the private D-Bus session (see the end of this file) --------------------------
if [[ ${1:-} == --cli-round-trip ]]; then
  bin=$2 tmp=$3
  eval "$(printf pw | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
  prof=$tmp/profile
  calls=40
  sim_pid=""
  stop_sim() {
    if [[ -n $sim_pid ]]; then
      kill "$sim_pid" 2>/dev/null || true
      wait "$sim_pid" 2>/dev/null || true
    fi
  }
  trap stop_sim EXIT
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 20000))
    "$bin" simulate --port "$port" --calls "$calls" --seed 3 >"$tmp/sim.out" 2>"$tmp/sim.err" &
    sim_pid=$!
    for _ in $(seq 1 600); do
      grep -q "Press Ctrl+C" "$tmp/sim.out" 2>/dev/null && break
      kill -0 "$sim_pid" 2>/dev/null || break
      sleep 0.1
    done
    grep -q "Press Ctrl+C" "$tmp/sim.out" && break
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
    sim_pid=""
  done
  [[ -n $sim_pid ]] || fail "the simulator did not start: $(tail -3 "$tmp/sim.err")"
  show "$bin simulate --port $port --calls $calls --seed 3 &"
  sed 's/^/    /' "$tmp/sim.out" >&2
  keyring_line=$("$bin" --version --profile "$prof" | grep '^Keyring:')
  say "in the private session: $keyring_line"
  for p in atlas callab vatel; do
    url=$(awk -v p="$p" '$1 == p && $2 == "base" { print $4 }' "$tmp/sim.out")
    key=$(awk -v p="$p" '$1 == p && $2 == "base" { print $6 }' "$tmp/sim.out")
    [[ -n $url && -n $key ]] || fail "no base URL or key for $p in the simulator's output"
    show "printf '%s\\n' KEY | $bin accounts add sim-$p --provider $p --base-url $url --api-key-stdin --profile PROFILE"
    printf '%s\n' "$key" | "$bin" accounts add "sim-$p" --provider "$p" --base-url "$url" \
      --api-key-stdin --profile "$prof" >&2 || fail "accounts add sim-$p"
  done
  show "$bin sync --profile PROFILE"
  "$bin" sync --profile "$prof" >"$tmp/sync.out" 2>"$tmp/sync.err" || {
    cat "$tmp/sync.err" >&2; fail "sync"; }
  sed 's/^/    /' "$tmp/sync.out" >&2
  show "$bin calls list --json --profile PROFILE"
  n=$("$bin" calls list --json --profile "$prof" | grep -c '^{"account"' || true)
  say "calls list --json: $n calls"
  ((n == 3 * calls)) || fail "expected $((3 * calls)) calls, got $n"
  show "$bin calls list --limit 3 --profile PROFILE"
  "$bin" calls list --limit 3 --profile "$prof" 2>/dev/null | sed 's/^/    /' >&2
  id=$("$bin" calls list --account sim-atlas --json --profile "$prof" | grep '"has_recording": *true' \
       | grep -o '"provider_call_id": *"[^"]*"' | head -1 | sed 's/.*: *"\(.*\)"/\1/')
  [[ -n $id ]] || fail "no call id in calls list --json"
  show "$bin calls show $id --account sim-atlas --profile PROFILE"
  "$bin" calls show "$id" --account sim-atlas --profile "$prof" >"$tmp/show.out" || fail "calls show"
  head -4 "$tmp/show.out" | sed 's/^/    /' >&2
  show "$bin calls recording $id --account sim-atlas --out REC --profile PROFILE"
  if "$bin" calls recording "$id" --account sim-atlas --out "$tmp/rec" --profile "$prof" 2>"$tmp/rec.err"; then
    sed 's/^/    /' "$tmp/rec.err" >&2
  else
    grep -qi "no recording" "$tmp/rec.err" || { cat "$tmp/rec.err" >&2; fail "calls recording"; }
    say "(that call has no recording)"
  fi
  show "$bin sync --profile PROFILE   # again: incremental"
  "$bin" sync --profile "$prof" 2>/dev/null | sed 's/^/    /' >&2 || fail "second sync"
  show "$bin accounts remove sim-vatel --yes --profile PROFILE"
  "$bin" accounts remove sim-vatel --yes --profile "$prof" >&2 || fail "accounts remove"
  left=$("$bin" accounts list --json --profile "$prof" | grep -c '"name"' || true)
  ((left == 2)) || fail "expected 2 accounts after the removal, got $left"
  say "command line round trip: OK"
  exit 0
fi

# -- 1 and 2 ----------------------------------------------------------------------------------------
bin=${1:-dist/callviewer/callviewer}
[[ -x $bin ]] || fail "$bin is not an executable (build it with packaging/build.sh)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/callviewer-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/run"
chmod 700 "$tmp/run"
export HOME=$tmp/home XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config \
       XDG_CACHE_HOME=$tmp/cache XDG_RUNTIME_DIR=$tmp/run
export QT_QPA_PLATFORM=offscreen QT_LOGGING_RULES="qt.multimedia.*=false;qt.qpa.*=false"
unset CALLVIEWER_PROFILE DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS

show "$bin --version"
"$bin" --version >"$tmp/version.out" || fail "--version exited with $?"
sed 's/^/    /' "$tmp/version.out" >&2
grep -q '^callviewer [0-9]' "$tmp/version.out" || fail "--version printed no version"
grep -q '^Qt: [0-9]' "$tmp/version.out" || fail "--version found no Qt in the bundle"

seconds=${CALLVIEWER_SMOKE_DEMO_SECONDS:-15}
show "QT_QPA_PLATFORM=offscreen CALLVIEWER_QUIT_AFTER=$seconds $bin --demo"
t0=$(date +%s)
status=0
# (with Qt's FFmpeg messages on: they say that the multimedia backend was found and loaded)
QT_LOGGING_RULES="qt.multimedia.*=false;qt.multimedia.ffmpeg=true;qt.qpa.*=false" \
CALLVIEWER_QUIT_AFTER=$seconds timeout $((seconds + 60)) "$bin" --demo >"$tmp/demo.out" 2>"$tmp/demo.err" \
  || status=$?
line=$(grep 'quit after' "$tmp/demo.err" || true)
ffmpeg=$(grep -m1 'Using Qt multimedia with FFmpeg' "$tmp/demo.err" || true)
printf '    %s\n    %s\n    exit status %s after %s s\n' "${ffmpeg:-(no FFmpeg backend message)}" \
  "${line:-(no quit line)}" "$status" $(($(date +%s) - t0)) >&2
if ((status != 0)) || [[ -z $line ]]; then
  tail -20 "$tmp/demo.err" >&2
  fail "--demo did not quit cleanly (status $status)"
fi
[[ $line =~ :\ 3\ accounts,\ ([0-9]+)\ calls ]] && ((BASH_REMATCH[1] > 0)) \
  || fail "the demo did not sync its calls in $seconds s: $line"
[[ -n $ffmpeg ]] || fail "Qt's FFmpeg multimedia backend did not load (is plugins/multimedia in the bundle?)"
if grep -q 'Traceback' "$tmp/demo.err"; then
  tail -20 "$tmp/demo.err" >&2
  fail "--demo printed a traceback"
fi

if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then
  dbus-run-session -- bash "$0" --cli-round-trip "$bin" "$tmp"
else
  fail "the command line round trip needs dbus-run-session and gnome-keyring-daemon (scripts/setup installs them)"
fi
say "all passed"
