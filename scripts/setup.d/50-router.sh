# Sourced by scripts/setup.sh. The router drives HAProxy (2.6 or later: it relies on
# option idle-close-on-response for seamless reloads); npm run bench:router uses wrk.
say "Router"
for pkg in haproxy wrk; do
  if dpkg -s "$pkg" >/dev/null 2>&1; then
    ok "$pkg" "present"
  else
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null \
      || { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null; }
    ok "$pkg" "installed"
  fi
done
haproxy_version=$(haproxy -v 2>/dev/null | awk 'NR==1 {print $3}')
case "$haproxy_version" in
  2.[6-9]* | 2.[1-9][0-9]* | [3-9].*) ok "haproxy version" "$haproxy_version" ;;
  *) fail "the router needs HAProxy 2.6 or later; found ${haproxy_version:-none}" ;;
esac
