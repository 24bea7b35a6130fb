#!/usr/bin/env bash
# A local stand-in for the base image `node:24-bookworm-slim`, made from Debian packages,
# ONLY for machines that cannot pull images (no registry access). Anywhere the base image
# can be pulled, do not run this: `docker build` pulls the real one.
#
# What it makes: Debian bookworm (debootstrap minbase, with ca-certificates), the Node 24
# binary of the project's `node` devDependency, npm from an installed npm package, a
# `node` user with uid/gid 1000 (as in the official image), the host's extra CA
# certificates trusted (NODE_EXTRA_CA_CERTS), imported and tagged
# docker.io/library/node:24-bookworm-slim so docker/Dockerfile builds unchanged.
#
# Usage (as root, from anywhere):  docker/stand-in-base.sh
# Environment:
#   ENGINE        docker or podman (default: podman if installed, else docker)
#   ROOTFS        folder for the Debian tree; reused when it already holds one
#                 (default: a temporary folder, removed afterwards)
#   NODE_BIN      the Node 24 binary (default: the project's node_modules/node/bin/node)
#   NPM_DIR       an npm package folder (default: the one the host's `npm` runs from)
#   DEBIAN_MIRROR debootstrap's mirror (default: its own)
# Needs: root, debootstrap, tar. Takes one to five minutes (debootstrap); the image is 272 MB.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
tag="docker.io/library/node:24-bookworm-slim"
die() {
  echo "stand-in-base: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || die "run as root (debootstrap and chroot need it)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
engine="${ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}"
command -v "$engine" >/dev/null || die "neither podman nor docker is installed"

node_bin="${NODE_BIN:-$(readlink -f "$root/node_modules/node/bin/node" || true)}"
[ -x "$node_bin" ] || die "no Node binary at '$node_bin' (run npm ci, or set NODE_BIN)"
node_version="$("$node_bin" --version)"
case "$node_version" in v24.*) ;; *) die "$node_bin is Node $node_version, not 24" ;; esac

npm_dir="${NPM_DIR:-}"
if [ -z "$npm_dir" ]; then
  npm_cli="$(readlink -f "$(command -v npm)" 2>/dev/null || true)"
  [ -n "$npm_cli" ] || die "no npm on PATH (set NPM_DIR to an npm package folder)"
  npm_dir="$(dirname "$(dirname "$npm_cli")")"
fi
[ -f "$npm_dir/bin/npm-cli.js" ] || die "'$npm_dir' is not an npm package folder (set NPM_DIR)"

cleanup_rootfs=""
rootfs="${ROOTFS:-}"
if [ -z "$rootfs" ]; then
  rootfs="$(mktemp -d /var/tmp/stand-in-rootfs.XXXXXX)"
  cleanup_rootfs="$rootfs"
fi
tarball="$(mktemp /var/tmp/stand-in-base.XXXXXX.tar)"
trap 'rm -f "$tarball"; [ -z "$cleanup_rootfs" ] || rm -rf "$cleanup_rootfs"' EXIT

if [ ! -f "$rootfs/etc/debian_version" ]; then
  echo "stand-in-base: debootstrap bookworm into $rootfs (one to five minutes)"
  # shellcheck disable=SC2086 # DEBIAN_MIRROR is one optional word
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" ${DEBIAN_MIRROR:-}
fi

echo "stand-in-base: Node $node_version from $node_bin, npm $(node "$npm_dir/bin/npm-cli.js" --version 2>/dev/null || echo '?') from $npm_dir"
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
rm -rf "$rootfs/usr/local/lib/node_modules/npm"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# The host's extra CA certificates (e.g. a TLS-intercepting egress proxy's), so npm ci
# inside the build reaches the registry as the host does.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
fi
chroot "$rootfs" update-ca-certificates >/dev/null 2>&1

if ! chroot "$rootfs" getent passwd node >/dev/null; then
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
fi
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

tar -C "$rootfs" --numeric-owner -cf "$tarball" .
"$engine" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  "$tarball" "$tag" >/dev/null
echo "stand-in-base: tagged $tag ($engine)"
