# Sourced by scripts/setup.sh. Puts the berth CLI (apps/cli) on the PATH of this machine:
# /usr/local/bin/berth runs the bundle that `npm run build:cli` (part of npm run build) writes.
# Other machines install it from Berth itself: npm install -g http://<berth>/cli/berth.tgz
say "CLI"
BUNDLE="$ROOT/dist/cli/package/bin/berth.js"
if [ -f "$BUNDLE" ] && [ -f "$ROOT/dist/cli/berth.tgz" ]; then
  ok "dist/cli (bundle, berth.tgz)" "present"
else
  npm run --silent build:cli >/dev/null || fail "could not build the CLI: run npm run build:cli to see why"
  ok "dist/cli (bundle, berth.tgz)" "built"
fi
BERTH_BIN=${BERTH_CLI_PATH:-/usr/local/bin/berth}
WANT_BIN="#!/bin/sh
# Written by Berth's npm run setup: the berth CLI of $ROOT.
exec node \"$BUNDLE\" \"\$@\""
if [ "$(cat "$BERTH_BIN" 2>/dev/null)" = "$WANT_BIN" ]; then
  ok "$BERTH_BIN" "present"
else
  printf '%s\n' "$WANT_BIN" | as_root tee "$BERTH_BIN" >/dev/null
  as_root chmod 755 "$BERTH_BIN"
  ok "$BERTH_BIN" "written"
fi
