# Sourced by scripts/setup.sh. Kernel limits that a host of hundreds of containers outgrows.
#
# The host's neighbour (ARP) table: the router and the agent's probes reach every awake web
# container through its own address on an app network, one neighbour entry each. Linux's
# defaults (gc_thresh2 512, gc_thresh3 1024) let about 512 be reached at once: beyond that the
# kernel logs "neighbor table overflow!" and new containers never answer (bench:density failed
# every deploy past 512 awake). Raised here to what 5,000+ containers need; only raised, never
# lowered, and left alone when already as high. Not persisted across reboots (no systemd here):
# setup, run again, sets them again.
say "Host limits"
raise_sysctl() { # name minimum
  local file="/proc/sys/${1//.//}" now
  [ -r "$file" ] || { ok "$1" "not on this kernel"; return 0; }
  now=$(cat "$file")
  if [ "$now" -ge "$2" ]; then
    ok "$1" "$now"
  else
    # Berth runs without it (up to about gc_thresh2 awake containers), so a kernel that will not
    # take it (a read-only /proc/sys in a container) is a warning, not a failed setup.
    if printf '%s\n' "$2" | as_root tee "$file" >/dev/null 2>&1; then
      ok "$1" "$now -> $2"
    else
      ok "$1" "$now (could not raise it to $2; set it as root: sysctl -w $1=$2)"
    fi
  fi
}
for family in ipv4 ipv6; do
  [ -d "/proc/sys/net/$family/neigh/default" ] || continue
  raise_sysctl "net.$family.neigh.default.gc_thresh1" 4096
  raise_sysctl "net.$family.neigh.default.gc_thresh2" 16384
  raise_sysctl "net.$family.neigh.default.gc_thresh3" 32768
done
