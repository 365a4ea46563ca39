#!/usr/bin/env bash
# Builds the base "stack" image every build starts from: Debian bookworm (minbase) made with
# debootstrap and imported into the container engine, since no registry can be reached to pull
# one. Used by `npm run setup` (scripts/setup.d/50-stack-image.sh) and by the builder when the
# image is missing. Idempotent: does nothing when the image exists.
#
#   scripts/stack-image.sh [IMAGE]     (default: $BERTH_STACK_IMAGE or localhost/berth/stack:bookworm-2)
#
# Change what goes into the image => bump the tag (bookworm-N) and BUILD_STACK_IMAGE's default.
set -euo pipefail

IMAGE=${1:-${BERTH_STACK_IMAGE:-localhost/berth/stack:bookworm-2}}
# Packages on top of minbase: certificates and curl to fetch Node.js from the npm registry,
# busybox for the static-site server (httpd), and Debian's Python (3.11 on bookworm) with venv
# and pip for the Python buildpack, which installs apps' packages into a venv at build time.
PACKAGES=ca-certificates,curl,busybox,python3,python3-venv,python3-pip

if podman image exists "$IMAGE"; then
  echo "present"
  exit 0
fi

# One build at a time on this host: setup and a first build may race.
exec 9>/tmp/berth-stack-image.lock
flock 9
if podman image exists "$IMAGE"; then
  echo "present"
  exit 0
fi

mirror=${BERTH_DEBIAN_MIRROR:-}
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '/^deb / && $2 ~ /^http/ { print $2; exit }' /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d /var/tmp/berth-stack.XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -20 "$root.log" >&2
  echo "stack-image: debootstrap failed (mirror $mirror); set BERTH_DEBIAN_MIRROR to a reachable Debian mirror" >&2
  rm -f "$root.log"
  exit 1
}
rm -f "$root.log"
# Apps run as an unprivileged user; caches and package lists are not needed at run time.
chroot "$root" useradd --uid 1000 --create-home --shell /bin/sh app
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/tmp/*

tar --numeric-owner -C "$root" -c . | podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'LABEL berth.stack=bookworm' \
  --change 'CMD ["/bin/sh"]' \
  - "$IMAGE" >/dev/null
echo "built $IMAGE"
