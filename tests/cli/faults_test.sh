#!/usr/bin/env bash
# Storage faults on a node home: a full disk (command line and a serving node), a read-only
# disk and a locked database. Each must give a clear error, corrupt nothing, keep every write
# that was acknowledged, and work again when the condition ends. The home lives on a small
# tmpfs this test mounts (root is needed; without it the test is skipped, exit 77).
# Usage: faults_test.sh ENTENTE ATTACK_BUNDLE
set -euo pipefail
entente=$1
attack=$2
mnt=$(mktemp -d)
logs=$(mktemp -d)  # not on the tmpfs: that one fills up
pid=""
locker=""
cleanup() {
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
  [[ -n $locker ]] && kill "$locker" 2>/dev/null
  wait 2>/dev/null || true
  umount "$mnt" 2>/dev/null || true
  rm -rf "$mnt" "$logs"
}
trap cleanup EXIT
if ! mount -t tmpfs -o size=6M tmpfs "$mnt" 2>/dev/null; then
  echo "SKIP: cannot mount a tmpfs here (the fault test needs root)"
  exit 77
fi
fail() { echo "FAIL: $*" >&2; [[ -f $logs/err ]] && tail -5 "$logs/err" >&2; exit 1; }
home=$mnt/home
total() { $entente --home "$home" --json stats | grep -o '"total":[0-9]*' | cut -d: -f2; }

# 1. Disk full during ingest: the batches committed before stay, the error says so, the store
#    checks clean, and the same ingest completes once there is room.
$entente --home "$home" init --name "fault test" >/dev/null
if $entente --home "$home" ingest --batch 2000 "$attack" 2>"$logs/err"; then
  fail "ingest of 40 MB into 6 MB succeeded"
else
  rc=$?
fi
[[ $rc == 5 ]] || fail "disk full: exit code $rc, expected 5 (storage error)"
grep -q 'disk is full' "$logs/err" || fail "disk full: no clear message"
committed=$(grep -o '[0-9]* new objects were committed before this error' "$logs/err" | cut -d' ' -f1)
[[ -n $committed ]] || fail "disk full: the error does not say what stayed stored"
$entente --home "$home" check >/dev/null || fail "store not consistent after disk full"
echo "disk full during ingest: $(cat "$logs/err")"
[[ $(total) == $((committed + 1)) ]] || fail "stored $(total), reported $committed (+ the node identity)"
mount -o remount,size=300M "$mnt"
$entente --home "$home" ingest "$attack" >/dev/null 2>"$logs/err" || fail "ingest after space was freed"
$entente --home "$home" check >/dev/null || fail "check after recovery"
[[ $(total) == 17766 ]] || fail "after recovery: $(total) objects, expected 17766"

# 2. Disk full under a serving node: writes fail with a clear error, reads and the server go on,
#    and writes work again when space is freed.
org=$(grep -o 'identity--[0-9a-f-]*' "$home/node.json" | head -1)
$entente --home "$home" user add alice --role analyst --org "$org" --state FR >/dev/null
token=$($entente --home "$home" --json token issue alice --role analyst --scope '*' --ttl 1h |
        grep -o '"token":"[^"]*"' | cut -d'"' -f4)
$entente --home "$home" serve --listen 127.0.0.1:0 --plain >"$logs/out" 2>"$logs/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$logs/out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o '"listening":"[^"]*"' "$logs/out" | cut -d'"' -f4)
[[ -n $url ]] || fail "server did not start"
indicator() {  # indicator N -> a STIX indicator object
  printf '{"type":"indicator","spec_version":"2.1","id":"indicator--%08d-7e8f-4a0b-9c1d-2e3f4a5b6c7d","created":"2025-02-01T00:00:00.000Z","modified":"2025-02-01T00:00:00.000Z","pattern":"[domain-name:value = '"'"'n%d.example.org'"'"']","pattern_type":"stix","valid_from":"2025-02-01T00:00:00Z","description":"%s"}' \
    "$1" "$1" "$(head -c 3000 /dev/zero | tr '\0' x)"
}
post() {
  curl -s -o "$logs/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data-binary "$1" "$url/api/v1/objects"
}
[[ $(post "$(indicator 1)") == 20* ]] || fail "POST with room: $(cat "$logs/body")"
# Fill the disk.
dd if=/dev/zero of="$mnt/filler" bs=1M 2>/dev/null || true
code=""
for i in $(seq 2 200); do
  code=$(post "$(indicator "$i")")
  [[ $code == 20* ]] || break
done
[[ $code == 5* ]] || fail "POST on a full disk answered $code"
echo "full disk under the server: POST $i answered $code $(head -c 200 "$logs/body")"
grep -qi 'full' "$logs/body" || fail "POST on a full disk: no clear message: $(cat "$logs/body")"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$url/healthz") == 200 ]] || fail "server down on a full disk"
got=$(curl -s -H "Authorization: Bearer $token" "$url/api/v1/objects/indicator--00000001-7e8f-4a0b-9c1d-2e3f4a5b6c7d")
[[ $got == *n1.example.org* ]] || fail "a stored object unreadable on a full disk: $got"
rm -f "$mnt/filler"
[[ $(post "$(indicator 999)") == 20* ]] || fail "POST after space was freed: $(cat "$logs/body")"
kill -TERM $pid
wait $pid || fail "unclean stop after a full disk"
pid=""
$entente --home "$home" check >/dev/null || fail "check after the full disk under the server"
$entente --home "$home" get indicator--00000999-7e8f-4a0b-9c1d-2e3f4a5b6c7d >/dev/null ||
  fail "the write after recovery is missing"

# 3. A read-only disk: writes are refused with a clear error; reads work; nothing is damaged.
mount -o remount,ro "$mnt"
printf '%s\n' "$(indicator 2000)" >$logs/ro.json
if $entente --home "$home" ingest $logs/ro.json 2>"$logs/ro.err"; then
  rm -f $logs/ro.json "$logs/ro.err"
  fail "ingest on a read-only disk succeeded"
fi
grep -qi 'read-only\|readonly\|read only' "$logs/ro.err" || { cat "$logs/ro.err" >&2; fail "read-only: no clear message"; }
echo "read-only disk: $(cat "$logs/ro.err")"
$entente --home "$home" get indicator--00000001-7e8f-4a0b-9c1d-2e3f4a5b6c7d >/dev/null ||
  fail "read on a read-only disk"
mount -o remount,rw "$mnt"
$entente --home "$home" ingest $logs/ro.json >/dev/null || fail "ingest after remount rw"
rm -f $logs/ro.json "$logs/ro.err"
$entente --home "$home" check >/dev/null || fail "check after the read-only disk"

# 4. A locked database: a writer that holds the lock briefly is waited for; one that holds it
#    past the busy timeout gives a clear "locked" error; then writes work again.
lock_for() {  # lock_for SECONDS: another process holds an exclusive write lock
  (printf 'BEGIN EXCLUSIVE;\nSELECT 1;\n'; sleep "$1"; printf 'COMMIT;\n') |
    sqlite3 "$home/store.db" >/dev/null &
  locker=$!
  sleep 0.5
}
printf '%s\n' "$(indicator 3000)" >"$logs/one.json"
lock_for 2
$entente --home "$home" ingest "$logs/one.json" >/dev/null 2>"$logs/err" ||
  fail "a 2 s lock was not waited for: $(cat "$logs/err")"
wait "$locker"; locker=""
printf '%s\n' "$(indicator 3001)" >"$logs/two.json"
lock_for 9
if $entente --home "$home" ingest "$logs/two.json" >/dev/null 2>"$logs/err"; then
  fail "ingest went through a 9 s exclusive lock"
fi
grep -qi 'locked' "$logs/err" || fail "locked: no clear message: $(cat "$logs/err")"
echo "locked past the busy timeout: $(cat "$logs/err")"
wait "$locker"; locker=""
$entente --home "$home" ingest "$logs/two.json" >/dev/null || fail "ingest after the lock ended"
$entente --home "$home" check >/dev/null || fail "check after the lock"
echo "faults test passed"
