#!/usr/bin/env bash
# Federation benchmark between two real nodes on loopback (TLS): node "fr" serves, node "de"
# pulls. Measures
#   1. publish-to-remote-match: an indicator POSTed to fr over TAXII until de's scanner
#      (POST /api/v1/scan) matches a log line against it, with push (de pulls on fr's notify);
#   2. initial sync of N objects (`entente peer sync fr` on de): objects/s and bytes received;
#   3. incremental sync after 1 % of the objects got a new version: bytes, against the full sync.
# Times are those of the pull itself (`entente peer sync` reports them), without the
# command's start-up (the node key's scrypt unlock).
# Usage: sync_bench.sh ENTENTE [N (default 100000)] [ROUNDS of latency (default 10)]
set -euo pipefail
entente=$1
n=${2:-100000}
rounds=${3:-10}
root=$(mktemp -d)
declare -A pid port org
trap 'for p in "${pid[@]}"; do kill -9 $p 2>/dev/null; done; rm -rf "$root"' EXIT
ent() { local h=$1; shift; $entente --home "$root/$h" "$@"; }
export ENTENTE_PASSPHRASE="federation bench passphrase"
base=$((20000 + RANDOM % 30000)); port[fr]=$base; port[de]=$((base + 1))
for h in fr de; do
  ent $h init --name "$h" >/dev/null
  org[$h]=$(grep -o 'identity--[0-9a-f-]*' "$root/$h/node.json" | head -1)
  mkdir -p "$root/$h/keys"; $entente keygen --out "$root/$h/keys/node" --kind node --label $h >/dev/null
done
$entente keygen --out "$root/issuer" --kind node --label issuer >/dev/null
$entente trust create "$root/list.json" --key "$root/issuer.pub" --node-id issuer --state EU \
  --org identity--6f1c0e2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b --sequence 1 >/dev/null
for h in fr de; do
  $entente trust add-member "$root/list.json" --key "$root/$h/keys/node.pub" --org "${org[$h]}" \
    --node-id $h --state "$(echo $h | tr a-z A-Z)" --endpoint "https://127.0.0.1:${port[$h]}/" >/dev/null
done
$entente trust sign "$root/list.json" --key "$root/issuer.key" >/dev/null
for h in fr de; do
  ent $h peer trust "$root/list.json" --issuer "$root/issuer.pub" --node-id $h >/dev/null
  ent $h user add alice --role analyst --org "${org[$h]}" --state FR >/dev/null
  ent $h --json token issue alice --role analyst --scope '*' --ttl 1h | grep -o '"token":"[^"]*"' |
    cut -d'"' -f4 >"$root/$h.alice"
done
start() {
  : >"$root/$1.out"
  $entente --home "$root/$1" serve --listen "127.0.0.1:${port[$1]}" --sync-interval 60000 >"$root/$1.out" 2>>"$root/$1.err" &
  pid[$1]=$!
  for _ in $(seq 100); do grep -q listening "$root/$1.out" && break; sleep 0.1; done
}
stop() { kill -TERM "${pid[$1]}"; wait "${pid[$1]}" || true; unset "pid[$1]"; }
start fr; start de
for pair in "fr de" "de fr"; do
  set -- $pair
  ent $1 user add "node-$2" --role reader --org "${org[$2]}" --state FR >/dev/null
  ent $1 --json token issue "node-$2" --role reader --scope '*' --ttl 1h | grep -o '"token":"[^"]*"' |
    cut -d'"' -f4 >"$root/tok.$1.$2"
  ent $2 peer add $1 --token-file "$root/tok.$1.$2" --ca "$root/$1/tls/node.crt" >/dev/null
done
coll=$(curl -s --cacert "$root/fr/tls/node.crt" -H "Authorization: Bearer $(cat "$root/fr.alice")" \
  -H 'Accept: application/taxii+json;version=2.1' "https://127.0.0.1:${port[fr]}/api/collections/" |
  grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)

echo "== publish on fr -> matched by de's scanner (push), $rounds rounds"
lat=()
for r in $(seq "$rounds"); do
  id=indicator--$(python3 -c 'import uuid; print(uuid.uuid4())')
  dom="c2-$r-$RANDOM.example.net"
  obj="{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"$id\",\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\",\"pattern\":\"[domain-name:value = '$dom']\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\"}"
  t0=$(date +%s%N)
  curl -s -o /dev/null --cacert "$root/fr/tls/node.crt" -H "Authorization: Bearer $(cat "$root/fr.alice")" \
    -H 'Content-Type: application/taxii+json;version=2.1' -H 'Accept: application/taxii+json;version=2.1' \
    -X POST --data-binary "{\"objects\":[$obj]}" "https://127.0.0.1:${port[fr]}/api/collections/$coll/objects/"
  hit=0
  for _ in $(seq 500); do
    out=$(curl -s --cacert "$root/de/tls/node.crt" -X POST -H "Authorization: Bearer $(cat "$root/de.alice")" \
      --data-binary "2026-01-02 query $dom from 10.0.0.5" "https://127.0.0.1:${port[de]}/api/v1/scan?format=text&record=false")
    [[ $out == *"$id"* ]] && { hit=1; break; }
  done
  t1=$(date +%s%N)
  ((hit)) || { echo "no match for round $r"; exit 1; }
  lat+=($(( (t1 - t0) / 1000000 )))
done
sorted=($(printf '%s\n' "${lat[@]}" | sort -n))
echo "latency ms: ${lat[*]}  median ${sorted[$((rounds / 2))]}  max ${sorted[$((rounds - 1))]}"
stop de

echo "== initial sync of $n objects"
python3 - "$n" "$root/bulk.json" "$root/changed.json" <<'PY'
import json, random, sys, uuid
n, out, changed = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = random.Random(0x5eed)  # random version 4 UUIDs, as the spec asks producers to use
ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for i in range(n)]
def obj(i, modified):
    return {"type": "indicator", "spec_version": "2.1", "id": "indicator--" + ids[i],
            "created": "2026-01-01T00:00:00.000Z", "modified": modified,
            "name": "bench indicator %d" % i, "indicator_types": ["malicious-activity"],
            "pattern": "[ipv4-addr:value = '10.%d.%d.%d']" % (i >> 16 & 255, i >> 8 & 255, i & 255),
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z", "labels": ["bench"]}
with open(out, "w") as f:
    json.dump({"type": "bundle", "id": "bundle--" + str(uuid.uuid4()),
               "objects": [obj(i, "2026-01-01T00:00:00.000Z") for i in range(n)]}, f)
with open(changed, "w") as f:
    json.dump({"type": "bundle", "id": "bundle--" + str(uuid.uuid4()),
               "objects": [obj(i, "2026-02-01T00:00:00.000Z") for i in range(0, n, 100)]}, f)
PY
ent fr ingest "$root/bulk.json" >/dev/null
if [[ -n ${PERF_OUT:-} ]]; then  # profile both nodes (system-wide) during the initial sync
  report=$(perf record -q -a -g -F 499 -o "$PERF_OUT" -- $entente --home "$root/de" --json peer sync fr)
else
  report=$(ent de --json peer sync fr)
fi
ms=$(grep -o '"ms":[0-9]*' <<<"$report" | cut -d: -f2)
added=$(grep -o '"added":[0-9]*' <<<"$report" | cut -d: -f2)
bytes=$(grep -o '"bytes":[0-9]*' <<<"$report" | cut -d: -f2)
echo "initial: $added objects in $ms ms = $(( added * 1000 / (ms > 0 ? ms : 1) )) objects/s, $bytes bytes ($(( bytes / (added > 0 ? added : 1) )) B/object)"

echo "== incremental sync after 1 % changed"
ent fr ingest "$root/changed.json" >/dev/null
report=$(ent de --json peer sync fr)
ms=$(grep -o '"ms":[0-9]*' <<<"$report" | cut -d: -f2)
added2=$(grep -o '"added":[0-9]*' <<<"$report" | cut -d: -f2)
bytes2=$(grep -o '"bytes":[0-9]*' <<<"$report" | cut -d: -f2)
echo "incremental: $added2 objects in $ms ms, $bytes2 bytes = $(python3 -c "print(round(100*$bytes2/$bytes, 2))") % of the full sync's bytes"
stop fr
