#!/bin/sh
# The image's entrypoint: runs the command's script with Node, as the container's user
# (the image's `node`, uid 1000, unless `--user` says otherwise). It changes no owner or
# permission: before the embedded system or the CLI (the commands that keep data in $DATA_DIR)
# starts, it checks that the data folder is writable, and if it is not (a bind mount
# owned by another uid), it exits 2 saying how to fix it, instead of SQLite's
# "unable to open database file". The AWS services keep no local data: not checked.
set -eu

case "${1:-}" in
  dist/services/embedded/main.js | bin/api-extractor.js)
    dir="${DATA_DIR:-/app/.data}"
    mkdir -p "$dir" 2>/dev/null || true
    blocked=""
    if [ ! -d "$dir" ] || [ ! -w "$dir" ] || [ ! -x "$dir" ]; then
      blocked="$dir"
    else
      # A file left by a run as another user (the database, say) blocks it too.
      blocked="$(find "$dir" -maxdepth 1 ! -writable -print -quit 2>/dev/null || true)"
    fi
    if [ -n "$blocked" ]; then
      uid="$(id -u)"
      gid="$(id -g)"
      owner="$(stat -c '%u:%g' "$blocked" 2>/dev/null || echo 'unknown')"
      cat >&2 <<EOF
api-extractor: the data folder $dir cannot be written by this container's user (uid $uid, gid $gid):
  $blocked is owned by uid:gid $owner.
The folder is usually a bind mount (-v "\$PWD/.data:$dir") that the host created as another user.
Fix it one of these ways, then start the container again:
  - give the host folder to the container's user:    sudo chown -R $uid:$gid .data
  - or run the container as the folder's owner:       docker run --user "\$(stat -c %u:%g .data)" ...
  - or use a named volume instead of a host folder:   docker run -v api-extractor-data:$dir ...
EOF
      exit 2
    fi
    ;;
esac

# The commands set their own heap limits from inside (services/heap.ts, docs/benchmarks.md).
exec node "$@"
