#!/usr/bin/env bash
# Crash safety of scans that record sightings and of voting: a serving node is killed with
# SIGKILL at random moments while clients scan a real Zeek log (sightings written) and the
# node's authority changes its vote again and again, ITERATIONS times. Afterwards: the store
# passes its integrity check; every acknowledged vote is stored and the board counts the latest
# one with no refused duplicates; at least as many sightings are stored as were acknowledged;
# the log verifies and every stored vote has its "vote" leaf.
# Usage: crash_mixed_test.sh ENTENTE ZEEK_LOG [ITERATIONS]
set -euo pipefail
entente=$1
zeek=$2
iterations=${3:-6}
home=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill -9 $pid 2>/dev/null; rm -rf "$home"' EXIT
fail() { echo "FAIL: $*" >&2; tail -5 "$home/err" >&2 2>/dev/null; exit 1; }

export ENTENTE_PASSPHRASE="crash test passphrase for the node key"
$entente --home "$home" init --name "crash node" --state FR >/dev/null
mkdir -p "$home/keys"
$entente keygen --out "$home/keys/node" --kind node >/dev/null
$entente --home "$home" indicators import --tlp TLP:GREEN "$(dirname "$zeek")/simda_domains.txt" >/dev/null
org=$(grep -o 'identity--[0-9a-f-]*' "$home/node.json" | head -1)
$entente --home "$home" user add a --role analyst --role authority --org "$org" --state FR >/dev/null
token=$($entente --home "$home" --json token issue a --role analyst --role authority --scope '*' \
        --ttl 1h | grep -o '"token":"[^"]*"' | cut -d'"' -f4)
# Each scan sends the log with its times shifted by the request number, so that every scan is
# a new observation (the same log again would record nothing new: sightings are idempotent).
shifted() { awk -v k="$1" 'BEGIN { FS = OFS = "\t" } /^#/ { print; next } { $1 = $1 + k * 1000; print }' "$zeek"; }

start() {
  : >"$home/out"
  $entente --home "$home" serve --plain --listen 127.0.0.1:0 >"$home/out" 2>>"$home/err" &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$home/out" 2>/dev/null && break; sleep 0.05; done
  port=$(grep -o '"listening":"[^"]*"' "$home/out" | cut -d'"' -f4)
  port=${port##*:}
  [[ -n $port ]] || fail "server did not start"
}
api() {  # api METHOD PATH [BODY-FILE] -> body in $home/body, prints the HTTP code
  curl -s -o "$home/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $token" \
    ${3:+--data-binary @"$3"} "http://127.0.0.1:$port/api/v1$2" || true
}

start
deadline=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
echo '{"measure":"hr-statement","grounds":"Crash test","deadline":"'"$deadline"'"}' >"$home/p.json"
[[ $(api POST /proposals "$home/p.json") == 201 ]] || fail "proposal: $(cat "$home/body")"
proposal=$(grep -o 'x-entente-proposal--[0-9a-f-]*' "$home/body" | head -1)
kill -TERM $pid; wait $pid || true; pid=""
echo '{"choice":"yes"}' >"$home/yes.json"
echo '{"choice":"no"}' >"$home/no.json"

: >"$home/votes"
acked_sightings=0
for round in $(seq "$iterations"); do
  start
  (sleep "$((RANDOM % 2)).$((RANDOM % 7 + 3))"; kill -9 $pid 2>/dev/null) &
  killer=$!
  k=0
  while kill -0 $pid 2>/dev/null && ((k < 60)); do
    k=$((k + 1))
    if ((k % 2)); then
      shifted "$((round * 100 + k))" >"$home/scan.log"
      code=$(api POST "/scan?format=zeek-tsv" "$home/scan.log")
      if [[ $code == 200 ]]; then
        n=$(grep -o '"sightings_written":[0-9]*' "$home/body" | cut -d: -f2)
        acked_sightings=$((acked_sightings + n))
      fi
    else
      choice=$([[ $((k % 4)) == 0 ]] && echo yes || echo no)
      code=$(api POST "/proposals/$proposal/votes" "$home/$choice.json")
      if [[ $code == 201 ]]; then
        id=$(grep -o 'x-entente-vote--[0-9a-f-]*' "$home/body" | head -1)
        seq=$(grep -o '"sequence":[0-9]*' "$home/body" | head -1 | cut -d: -f2)
        echo "$id $seq $choice" >>"$home/votes"
      elif [[ $code != 000 && $code != 5* ]]; then
        fail "vote answered $code: $(cat "$home/body")"
      fi
    fi
  done
  kill -9 $pid 2>/dev/null || true
  wait $killer 2>/dev/null || true
  wait $pid 2>/dev/null || true
  pid=""
done

votes=$(wc -l <"$home/votes")
((votes > 0)) || fail "no vote was acknowledged"
$entente --home "$home" check >/dev/null || fail "store integrity check"
start
while read -r id seq choice; do
  [[ $(api GET "/objects/$id") == 200 ]] || fail "acknowledged vote $id (sequence $seq) is missing"
done <"$home/votes"
[[ $(api GET "/proposals/$proposal") == 200 ]] || fail "proposal after the crashes"
python3 - "$home/body" "$home/votes" <<'PY' || fail "board after the crashes"
import json, sys
d = json.load(open(sys.argv[1]))
acked = [l.split() for l in open(sys.argv[2])]
fr = [b for b in d["board"] if b["state"] == "FR"][0]
last_seq = max(int(s) for _, s, _ in acked)
assert d["rejected_votes"] == [], d["rejected_votes"]
# The counted vote is the latest stored one: the last acknowledged, or a later one that was
# stored just before a kill and never acknowledged.
assert fr["sequence"] >= last_seq, (fr, last_seq)
if fr["sequence"] == last_seq:
    assert fr["choice"] == [c for _, s, c in acked if int(s) == last_seq][0], fr
PY
stored_sightings=$($entente --home "$home" --json stats | grep -o '"sighting":[0-9]*' | cut -d: -f2)
((${stored_sightings:-0} >= acked_sightings)) ||
  fail "$acked_sightings sightings acknowledged, ${stored_sightings:-0} stored"
kill -TERM $pid; wait $pid || true; pid=""
$entente --home "$home" log verify >/dev/null || fail "transparency log does not verify"
$entente --home "$home" --json log show --count 100000000 >"$home/leaves"
while read -r id seq choice; do
  grep -q "\"kind\":\"vote\"[^}]*\"subject\":\"$id\"" "$home/leaves" || fail "vote $id has no vote leaf"
done <"$home/votes"
echo "crash_mixed_test: ok ($iterations kills, $votes acknowledged votes, $acked_sightings acknowledged sightings, ${stored_sightings:-0} stored)"
