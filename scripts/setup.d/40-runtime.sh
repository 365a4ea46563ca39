# Sourced by scripts/setup.sh. Agents start every container with an init process (Podman's
# --init: catatonit) that forwards signals and reaps zombies; Debian only recommends it.
say "Host agent"
if dpkg -s catatonit >/dev/null 2>&1; then
  ok "catatonit" "present"
else
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends catatonit >/dev/null \
    || { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends catatonit >/dev/null; }
  ok "catatonit" "installed"
fi
[ -x /usr/libexec/podman/catatonit ] || fail "Podman's init is missing at /usr/libexec/podman/catatonit; reinstall catatonit"
