#!/usr/bin/env bash
# Crash safety of a serving node: clients POST envelopes through TAXII while the server is
# killed with SIGKILL at random moments and restarted, ITERATIONS times. Afterwards every
# envelope the server acknowledged (202) must be readable, the store must pass its integrity
# check, the transparency log must verify, and every acknowledged object must have its leaf.
# Usage: crash_test.sh ENTENTE [ITERATIONS]
set -euo pipefail
entente=$1
iterations=${2:-8}
home=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill -9 $pid 2>/dev/null; rm -rf "$home"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

$entente --home "$home" init --name "crash node" >/dev/null
org=$(grep -o 'identity--[0-9a-f-]*' "$home/node.json" | head -1)
$entente --home "$home" user add w --role analyst --org "$org" --state FR >/dev/null
token=$($entente --home "$home" --json token issue w --role analyst --scope '*' --ttl 1h |
        grep -o '"token":"[^"]*"' | cut -d'"' -f4)

start() {
  : >"$home/out"
  $entente --home "$home" serve --plain --listen 127.0.0.1:0 >"$home/out" 2>>"$home/err" &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$home/out" 2>/dev/null && break; sleep 0.05; done
  port=$(grep -o '"listening":"[^"]*"' "$home/out" | cut -d'"' -f4)
  port=${port##*:}
  [[ -n $port ]] || fail "server did not start: $(tail -5 "$home/err")"
}

# Every round's 40 envelopes of 200 new indicators, made in one interpreter before any server
# starts (so each kill lands among requests): env.ROUND.K holds the envelope, ids.ROUND.K its ids.
python3 - "$iterations" "$home" <<'PY'
import json, sys, uuid
rounds, home = int(sys.argv[1]), sys.argv[2]
for r in range(1, rounds + 1):
    for k in range(1, 41):
        n = r * 100 + k
        objs = []
        with open("%s/ids.%d.%d" % (home, r, k), "w") as f:
            for i in range(200):
                oid = "indicator--" + str(uuid.uuid4())
                f.write(oid + "\n")
                objs.append({"type": "indicator", "spec_version": "2.1", "id": oid,
                             "created": "2025-03-01T00:00:00.000Z",
                             "modified": "2025-03-01T00:00:00.000Z",
                             "pattern": "[ipv4-addr:value = '10.%d.%d.%d']" % (n % 250, i // 250, i % 250),
                             "pattern_type": "stix", "valid_from": "2025-03-01T00:00:00Z"})
        with open("%s/env.%d.%d" % (home, r, k), "w") as f:
            json.dump({"objects": objs}, f)
PY

: >"$home/acked"
sent=0
for round in $(seq "$iterations"); do
  start
  collection=$(curl -s -H "Authorization: Bearer $token" -H 'Accept: application/taxii+json;version=2.1' \
               "http://127.0.0.1:$port/api/collections/" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
  # The killer: SIGKILL after a random 0.3-2.2 s, in the middle of whatever is running.
  (sleep "$((RANDOM % 2)).$((RANDOM % 7 + 3))"; kill -9 $pid 2>/dev/null) &
  killer=$!
  k=0
  while kill -0 $pid 2>/dev/null && ((k < 40)); do
    k=$((k + 1))
    sent=$((sent + 1))
    code=$(curl -s -o "$home/status.json" -w '%{http_code}' -X POST \
           -H "Authorization: Bearer $token" -H 'Accept: application/taxii+json;version=2.1' \
           -H 'Content-Type: application/taxii+json;version=2.1' --data-binary @"$home/env.$round.$k" \
           "http://127.0.0.1:$port/api/collections/$collection/objects/" || true)
    [[ -n ${CRASH_DEBUG:-} ]] && echo "round $round post $sent: $code" >&2
    if [[ $code == 202 ]]; then
      grep -q '"success_count":200' "$home/status.json" || fail "partial success: $(cat "$home/status.json")"
      cat "$home/ids.$round.$k" >>"$home/acked"
    fi
  done
  kill -9 $pid 2>/dev/null || true
  wait $killer 2>/dev/null || true
  wait $pid 2>/dev/null || true
  pid=""
done

acked=$(wc -l <"$home/acked")
((acked > 0)) || fail "nothing was acknowledged"
$entente --home "$home" check >/dev/null || fail "store integrity check"
start  # reconciles the log with the store on start
missing=0
while read -r id; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
         "http://127.0.0.1:$port/api/v1/objects/$id")
  [[ $code == 200 ]] || missing=$((missing + 1))
done < <(shuf -n 300 "$home/acked")
((missing == 0)) || fail "$missing acknowledged objects are missing"
# Every stored object (acknowledged or not) has its leaf in the log.
: >"$home/stored"
cursor=""
for _ in $(seq 1000); do
  page=$(curl -s -H "Authorization: Bearer $token" \
         "http://127.0.0.1:$port/api/v1/objects?type=indicator&limit=5000${cursor:+&cursor=$cursor}")
  { grep -o 'indicator--[0-9a-f-]\{36\}' <<<"$page" || true; } >>"$home/stored"
  [[ $page == *'"more":true'* ]] || break
  cursor=$(grep -o '"next":"[^"]*"' <<<"$page" | cut -d'"' -f4)
done
kill -TERM $pid; wait $pid || true; pid=""
$entente --home "$home" log verify >/dev/null || fail "transparency log does not verify"
$entente --home "$home" --json log show --count 100000000 >"$home/leaves"
{ grep -o 'indicator--[0-9a-f-]\{36\}' "$home/leaves" || true; } | sort -u >"$home/logged"
sort -u "$home/stored" >"$home/stored.sorted"
unlogged=$(comm -23 "$home/stored.sorted" "$home/logged" | wc -l)
((unlogged == 0)) || fail "$unlogged stored objects have no log leaf"
lost=$(comm -23 <(sort -u "$home/acked") "$home/stored.sorted" | wc -l)
((lost == 0)) || fail "$lost acknowledged objects not stored"
echo "crash_test: ok ($iterations kills, $acked acknowledged objects, $(wc -l <"$home/stored.sorted") stored, all logged)"
