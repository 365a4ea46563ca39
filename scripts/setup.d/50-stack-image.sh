# Sourced by scripts/setup.sh. The base "stack" image every build starts from (Debian bookworm,
# made with debootstrap: no registry can be reached to pull one). The first build makes it too
# when it is missing, but that build then waits about a minute.
say "Build stack image"
STACK_IMAGE=${BUILD_STACK_IMAGE:-localhost/berth/stack:bookworm-2}
if as_root podman image exists "$STACK_IMAGE"; then
  ok "$STACK_IMAGE" "present"
else
  ok "$STACK_IMAGE" "building from Debian (about a minute)"
  as_root env BERTH_DEBIAN_MIRROR="${BERTH_DEBIAN_MIRROR:-}" bash scripts/stack-image.sh "$STACK_IMAGE" >/dev/null || fail "could not build the stack image $STACK_IMAGE; run 'bash scripts/stack-image.sh' to see why"
  ok "$STACK_IMAGE" "built"
fi
