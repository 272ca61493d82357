#!/usr/bin/env bash
# `entente serve` as a process: TLS with the self-signed certificate made on first start,
# tokens from `entente token issue`, TAXII discovery/POST/GET through curl, refusals, and a
# clean stop on SIGTERM. Usage: serve_test.sh ENTENTE
set -euo pipefail
entente=$1
home=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill -9 $pid 2>/dev/null; rm -rf "$home"' EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $home/err ]] && cat "$home/err" >&2; exit 1; }

$entente --home "$home" init --name "test node" >/dev/null
org=$(grep -o 'identity--[0-9a-f-]*' "$home/node.json" | head -1)
$entente --home "$home" user add alice --role analyst --org "$org" --state FR >/dev/null
$entente --home "$home" user add bob --role reader --org "$org" --state DE >/dev/null
tok() { $entente --home "$home" --json token issue "$1" --role "$2" --scope '*' --ttl 1h |
        grep -o '"token":"[^"]*"' | cut -d'"' -f4; }
alice=$(tok alice analyst)
bob=$(tok bob reader)

mkdir -p "$home/keys"
export ENTENTE_PASSPHRASE="test passphrase for the node key"
$entente keygen --out "$home/keys/node" --kind node --label "test node" >/dev/null
$entente --home "$home" serve --listen 127.0.0.1:0 >"$home/out" 2>"$home/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$home/out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o '"listening":"[^"]*"' "$home/out" | cut -d'"' -f4)
[[ $url == https://127.0.0.1:* ]] || fail "not listening over TLS: $(cat "$home/out")"
port=${url##*:}
[[ $(stat -c %a "$home/tls/node.key") == 600 ]] || fail "TLS key is not private"
base=https://localhost:$port
taxii=(--cacert "$home/tls/node.crt" -s -H 'Accept: application/taxii+json;version=2.1')

code() { curl -o /dev/null -w '%{http_code}' "$@"; }
[[ $(code "${taxii[@]}" "$base/taxii2/") == 401 ]] || fail "discovery without a token"
[[ $(code "${taxii[@]}" -H "Authorization: Bearer $alice" "$base/taxii2/") == 200 ]] ||
  fail "discovery with a token"
# TLS is verified against the node's certificate (a client trusting nothing else refuses).
if curl -s -o /dev/null --tlsv1.3 "$base/healthz"; then fail "untrusted certificate accepted"; fi
collection=$(curl "${taxii[@]}" -H "Authorization: Bearer $alice" "$base/api/collections/" |
             grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
envelope='{"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d","created":"2025-02-01T00:00:00.000Z","modified":"2025-02-01T00:00:00.000Z","pattern":"[domain-name:value = '"'"'c2.example.org'"'"']","pattern_type":"stix","valid_from":"2025-02-01T00:00:00Z"}]}'
post=(-X POST -H 'Content-Type: application/taxii+json;version=2.1' --data-binary "$envelope")
[[ $(code "${taxii[@]}" -H "Authorization: Bearer $bob" "${post[@]}" \
      "$base/api/collections/$collection/objects/") == 403 ]] || fail "a reader wrote"
status=$(curl "${taxii[@]}" -H "Authorization: Bearer $alice" "${post[@]}" \
         "$base/api/collections/$collection/objects/")
[[ $status == *'"success_count":1'* ]] || fail "POST: $status"
got=$(curl "${taxii[@]}" -H "Authorization: Bearer $bob" \
      "$base/api/collections/$collection/objects/indicator--3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d/")
[[ $got == *c2.example.org* ]] || fail "GET object: $got"
hits=$(curl --cacert "$home/tls/node.crt" -s -X POST -H "Authorization: Bearer $alice" \
       --data-binary $'2025-02-02 query c2.example.org from 10.0.0.5\n' "$base/api/v1/scan?format=text")
[[ $hits == *indicator--3a4b5c6d* && $hits == *'"sightings_written":1'* ]] || fail "scan: $hits"

# The Council rules over the API: QMV with 15 states for (FR, DE, IT, ES, PL among them).
votes='{"FR":"yes","DE":"yes","IT":"yes","ES":"yes","PL":"yes","RO":"yes","NL":"yes","BE":"yes","CZ":"yes","SE":"yes","PT":"yes","GR":"yes","HU":"yes","AT":"yes","BG":"yes","DK":"no"}'
decided=$(curl --cacert "$home/tls/node.crt" -s -X POST -H "Authorization: Bearer $bob" \
          --data-binary "$votes" "$base/api/v1/decide?rule=qmv")
[[ $decided == *'"adopted":true'* ]] || fail "decide qmv: $decided"
decided=$(curl --cacert "$home/tls/node.crt" -s -X POST -H "Authorization: Bearer $bob" \
          --data-binary "$votes" "$base/api/v1/decide?rule=unanimity")
[[ $decided == *'"adopted":false'* ]] || fail "decide unanimity: $decided"
screened=$(curl --cacert "$home/tls/node.crt" -s -G -H "Authorization: Bearer $bob" \
           --data-urlencode "name=SHEVCHENKO Vitaly" "$base/api/v1/sanctions/screen")
[[ $screened == *score* ]] || fail "sanctions screen: $screened"

openapi=$(curl --cacert "$home/tls/node.crt" -s -H "Authorization: Bearer $bob" "$base/api/v1/openapi.json")
[[ $openapi == *'"openapi"'* && $openapi == *'/api/v1/ledger/proof'* ]] || fail "openapi document"

# The share is in the transparency log; its head is signed; the proof and the copy verify.
head=$(curl --cacert "$home/tls/node.crt" -s -H "Authorization: Bearer $bob" "$base/api/v1/ledger/head")
# Two leaves: the node's own identity object (stored by init, logged when the server starts)
# and the shared indicator.
[[ $head == *'"tree_size":2'* && $head == *signature* ]] || fail "ledger head: $head"
echo "$head" >"$home/head.json"
proof=$(curl --cacert "$home/tls/node.crt" -s -H "Authorization: Bearer $bob" "$base/api/v1/ledger/proof?index=1")
[[ $proof == *'"leaf_index":1'* ]] || fail "ledger proof: $proof"
entries=$(curl --cacert "$home/tls/node.crt" -s -H "Authorization: Bearer $bob" "$base/api/v1/ledger/entries")
[[ $entries == *'\"kind\":\"share\"'* && $entries == *indicator--3a4b5c6d* ]] || fail "ledger entries: $entries"

kill -TERM $pid
wait $pid || fail "serve exited with $?"
pid=""
grep -q '"stopped"' "$home/err" || fail "no clean stop"
$entente --home "$home" log verify --sth "$home/head.json" --key "$home/keys/node.pub" >/dev/null ||
  fail "offline log verification"
# A tampered copy is caught.
cp "$home/ledger.log" "$home/tampered.log"
sed -i 's/c2.example.org/c3.example.org/; s/"share"/"sharf"/' "$home/tampered.log"
if $entente --home "$home" log verify --log "$home/tampered.log" --sth "$home/head.json" \
     --key "$home/keys/node.pub" >/dev/null 2>&1; then fail "tampered log verified"; fi
echo "serve_test: ok"
