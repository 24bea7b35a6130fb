#!/usr/bin/env bash
# The image, proven: builds docker/Dockerfile, then runs the product from it on an AWS
# emulator and checks one extraction end to end, with Docker or Podman.
#
#   1. build the image
#   2. the data folder: the embedded system on a bind mount it cannot write exits 2
#      with the fix; run as the folder's owner it starts, and stops on SIGTERM with 0
#   3. moto (the pinned moto of test/requirements.txt, on the host, through
#      moto_serialized.py) and the demo API
#      (services/cli/demoApi.ts, in a container from the image) as the upstream
#   4. bootstrap, then config-api, scheduler, page-fetcher, detail-mapper, writer
#   5. a config created through the config-api container, executed; the run must
#      succeed and its CSV in the emulator's S3 must hold every record
#   6. every container stopped with SIGTERM: each logs "stopped" and exits 0
#
# Every container uses the host's network (Linux engines): the services reach moto and
# the demo API on 127.0.0.1 as in docs/aws.md, and nothing needs a published port.
#
# Usage: docker/smoke-test.sh          (or: npm run smoke:image)
# Environment:
#   ENGINE      docker or podman (default: docker if its engine answers, else podman)
#   IMAGE       the tag to build and test (default: api-extractor:smoke)
#   SKIP_BUILD  1: test IMAGE as it is, without building it
#   RECORDS     the demo API's record count (default: 120)
# Needs: the engine, python3 with the pinned moto (python3 -m pip install -r
# test/requirements.txt), curl.
set -euo pipefail

cd "$(dirname "$0")/.."
started_at=$(date +%s)
step_at=$started_at
image="${IMAGE:-api-extractor:smoke}"
records="${RECORDS:-120}"
run_tag="aes$$"
work="$(mktemp -d /tmp/api-extractor-smoke.XXXXXX)"
moto_pid=""
containers=()

log() { echo "smoke: $*"; }
fail() {
  echo "smoke: FAILED: $*" >&2
  exit 1
}
lap() {
  local now
  now=$(date +%s)
  log "$1 ($((now - step_at)) s; $((now - started_at)) s in all)"
  step_at=$now
}

if [ -n "${ENGINE:-}" ]; then
  engine="$ENGINE"
elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  engine=docker
elif command -v podman >/dev/null; then
  engine=podman
else
  fail "no container engine: install Docker (with a running engine) or Podman, or set ENGINE"
fi
command -v curl >/dev/null || fail "curl is not installed"
python3 -c 'import moto' 2>/dev/null ||
  fail "moto is not installed: python3 -m pip install -r test/requirements.txt"
log "engine: $engine ($("$engine" --version)), image: $image, work folder: $work"

cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    for name in "${containers[@]}"; do
      echo "----- $name (last lines)" >&2
      "$engine" logs --tail 25 "$name" >&2 2>&1 || true
    done
  fi
  for name in "${containers[@]}"; do "$engine" rm -f "$name" >/dev/null 2>&1 || true; done
  if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $2 seconds for container $1's output to match $3 (a grep -E pattern).
wait_for_log() {
  local name=$1 seconds=$2 pattern=$3 deadline
  deadline=$(($(date +%s) + seconds))
  until "$engine" logs "$name" 2>&1 | grep -Eq "$pattern"; do
    if [ "$("$engine" inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != true ]; then
      fail "$name exited before printing /$pattern/"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || fail "$name did not print /$pattern/ within $seconds s"
    sleep 1
  done
}

# Starts a detached container named $run_tag-$1 on the host network; the rest are
# `run` arguments (environment, image, command).
start() {
  local name="$run_tag-$1"
  shift
  "$engine" run -d --name "$name" --network host "$@" >/dev/null
  containers+=("$name")
}

exit_code() { "$engine" inspect -f '{{.State.ExitCode}}' "$1"; }

# Sends SIGTERM to every container given (the engine's stop), waits, and checks each
# logged "stopped" (its drain finished) and exited 0.
stop_and_check() {
  local name code
  "$engine" stop -t 60 "$@" >/dev/null
  for name in "$@"; do
    code=$(exit_code "$name")
    [ "$code" = 0 ] || fail "$name exited $code after SIGTERM"
    "$engine" logs "$name" >"$work/stopped.log" 2>&1
    grep -q '"signal":"SIGTERM"' "$work/stopped.log" || fail "$name did not log receiving SIGTERM"
    grep -q '"message":"stopped"' "$work/stopped.log" || fail "$name exited without logging \"stopped\" (no drain)"
    log "  $name: drained, exit 0"
  done
}

json() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }

# 1. The image.
if [ "${SKIP_BUILD:-}" != 1 ]; then
  "$engine" build -f docker/Dockerfile -t "$image" . >"$work/build.log" 2>&1 ||
    {
      tail -40 "$work/build.log" >&2
      fail "the image did not build"
    }
  lap "built $image ($("$engine" image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }'))"
fi

# 2. The data folder, on a bind mount the image's user (uid 1000) cannot write.
data="$work/data"
mkdir -p "$data"
chmod 0755 "$data"
if [ "$(id -u)" = 1000 ]; then
  log "running as uid 1000: the bind mount would be writable, the refusal is not checked"
else
  name="$run_tag-data-refused"
  containers+=("$name")
  set +e
  "$engine" run --name "$name" --network host -e PORT="$(free_port)" -e HOST=127.0.0.1 \
    -v "$data:/app/.data" "$image" >"$work/refused.log" 2>&1
  code=$?
  set -e
  [ "$code" = 2 ] || fail "the embedded system on an unwritable data folder exited $code, not 2: $(cat "$work/refused.log")"
  grep -q 'cannot be written' "$work/refused.log" || fail "no explanation: $(cat "$work/refused.log")"
  grep -q 'chown' "$work/refused.log" || fail "the explanation gives no fix: $(cat "$work/refused.log")"
  log "data folder owned by uid $(stat -c %u "$data"): refused with the fix (exit 2)"
fi
start data-owner --user "$(stat -c %u:%g "$data")" -e PORT="$(free_port)" -e HOST=127.0.0.1 \
  -v "$data:/app/.data" "$image"
wait_for_log "$run_tag-data-owner" 90 'listening on'
[ -n "$(ls -A "$data")" ] || fail "the embedded system wrote nothing in the data folder"
stop_and_check "$run_tag-data-owner"
lap "data folder: run as its owner (uid:gid $(stat -c %u:%g "$data")), it starts, writes and stops"

# 3. The emulator and the upstream.
moto_port=$(free_port)
moto_script=test/support/moto_serialized.py
[ -f scripts/moto_serialized.py ] && moto_script=scripts/moto_serialized.py
python3 "$moto_script" -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
moto_pid=$!
deadline=$(($(date +%s) + 60))
until curl -fsS "http://127.0.0.1:$moto_port/moto-api/" >/dev/null 2>&1; do
  kill -0 "$moto_pid" 2>/dev/null || fail "moto exited: $(tail -5 "$work/moto.log")"
  [ "$(date +%s)" -lt "$deadline" ] || fail "moto did not answer within 60 s"
  sleep 1
done
upstream_port=$(free_port)
start upstream "$image" -e \
  "require('/app/dist/services/cli/demoApi').startFakeApi({ records: $records, pageSize: 25, port: $upstream_port }).then((api) => { console.log('demo API on ' + api.url); process.on('SIGTERM', () => { console.error(JSON.stringify({ message: 'draining in-flight work', signal: 'SIGTERM' })); api.close().then(() => { console.error(JSON.stringify({ message: 'stopped' })); process.exit(0); }); }); })"
wait_for_log "$run_tag-upstream" 60 'demo API on'
lap "moto on 127.0.0.1:$moto_port, the demo API on 127.0.0.1:$upstream_port ($records records)"

# 4. Bootstrap and the five services (environment: docs/aws.md).
stage="smoke$$"
suffix="smoke"
api_port=$(free_port)
root_key="smoke-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
cat >"$work/aws.env" <<EOF
AWS_ENDPOINT_URL=http://127.0.0.1:$moto_port
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=testing
AWS_SECRET_ACCESS_KEY=testing
STAGE=$stage
DEFAULT_OUTPUT_BUCKET_SUFFIX=$suffix
SQS_WAIT_TIME_SECONDS=1
EOF
"$engine" run --rm --network host --env-file "$work/aws.env" "$image" dist/services/bootstrap/main.js \
  >"$work/bootstrap.log" 2>&1 || fail "bootstrap failed: $(tail -20 "$work/bootstrap.log")"
lap "bootstrap: stage $stage created on moto"

start config-api --env-file "$work/aws.env" -e PORT="$api_port" -e HOST=127.0.0.1 \
  -e ROOT_API_KEY="$root_key" "$image" dist/services/config-api/main.js
start scheduler --env-file "$work/aws.env" "$image" dist/services/scheduler/main.js
for worker in page-fetcher detail-mapper writer; do
  start "$worker" --env-file "$work/aws.env" "$image" dist/services/worker/main.js "$worker"
done
wait_for_log "$run_tag-config-api" 90 'config-api listening on'
wait_for_log "$run_tag-scheduler" 90 'scheduler started'
for worker in page-fetcher detail-mapper writer; do
  wait_for_log "$run_tag-$worker" 90 'worker started'
done
lap "config-api, scheduler, page-fetcher, detail-mapper and writer running"

# 5. A config through the REST API, executed against the demo API.
base="http://127.0.0.1:$api_port"
api() { curl -fsS -H "Authorization: $root_key" -H 'Content-Type: application/json' "$@"; }
cat >"$work/config.json" <<EOF
{
  "name": "smoke",
  "extractions": [
    {
      "name": "deals",
      "endpoint": { "url": "http://127.0.0.1:$upstream_port/crm/v2/deals", "query_params": { "per_page": 25 } },
      "data_key": "data",
      "format": "csv",
      "s3_destiny": { "folder": "smoke/deals/" },
      "data_schema": { "id": "id", "Deal_Name": "deal_name", "Amount": "amount" },
      "pagination": {
        "type": "sequential",
        "parameters": { "param_name": "page", "start_from": 1, "there_are_more_pages": "info.more_records" }
      }
    }
  ]
}
EOF
curl -fsS "$base/health" >/dev/null || fail "GET /health failed"
# The dashboard is in the image: its page, and the bundle the page loads.
curl -fsS "$base/" | grep -q '/assets/app.js' || fail "GET / did not serve the dashboard page"
curl -fsS "$base/assets/app.js" >/dev/null || fail "the dashboard bundle is not in the image"
config_id=$(api -d @"$work/config.json" "$base/config" | json "['id']") || fail "POST /config failed"
run_id=$(api -X POST "$base/config/$config_id/execute" | json "['run_id']") || fail "execute failed"
log "config $config_id created, run $run_id started"
deadline=$(($(date +%s) + 180))
while :; do
  status=$(api "$base/runs/$run_id" | json "['status']")
  [ "$status" = running ] || [ "$status" = pending ] || break
  [ "$(date +%s)" -lt "$deadline" ] || fail "run $run_id still $status after 180 s"
  sleep 1
done
[ "$status" = succeeded ] || fail "run $run_id ended $status: $(api "$base/runs/$run_id")"
lap "run $run_id succeeded"

bucket="api-extractor-output-$stage-$suffix"
AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" python3 - "$bucket" "$records" <<'EOF' || fail "the output object is wrong"
import sys, boto3
bucket, records = sys.argv[1], int(sys.argv[2])
s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="smoke/deals/").get("Contents", [])]
if len(keys) != 1:
    sys.exit(f"expected one object under s3://{bucket}/smoke/deals/, found {keys}")
body = s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read().decode()
lines = body.splitlines()
ids = {line.split(",", 1)[0] for line in lines[1:]}
if lines[0].split(",")[:3] != ["id", "deal_name", "amount"] or len(lines) != records + 1 or len(ids) != records:
    sys.exit(f"s3://{bucket}/{keys[0]}: header {lines[0]!r}, {len(lines) - 1} rows, {len(ids)} ids (expected {records})")
print(f"smoke: s3://{bucket}/{keys[0]}: {len(lines) - 1} rows, header {lines[0]}")
EOF
lap "output checked in the emulator's S3"

# 6. SIGTERM to every service at once (as ECS stops tasks), then the upstream.
services=()
for name in config-api scheduler page-fetcher detail-mapper writer; do services+=("$run_tag-$name"); done
stop_and_check "${services[@]}"
stop_and_check "$run_tag-upstream"
lap "every container stopped on SIGTERM, drained, exit 0"
log "PASSED in $(($(date +%s) - started_at)) s"
