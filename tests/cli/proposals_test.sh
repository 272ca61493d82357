#!/usr/bin/env bash
# Proposals and signed votes through a serving node: who may propose and vote, the board of
# the 27, a vote changed by its own state, votes of other states arriving as signed objects
# (counted when their key is trusted, refused when forged or replayed), the deadline, and the
# transparency log entries. Usage: proposals_test.sh ENTENTE
set -euo pipefail
entente=$1
home=$(mktemp -d)
keys=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill -9 $pid 2>/dev/null; rm -rf "$home" "$keys"' EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $home/err ]] && tail -20 "$home/err" >&2; exit 1; }

export ENTENTE_PASSPHRASE="test passphrase for the node key"
$entente --home "$home" init --name "CERT-FR test node" --state FR >/dev/null
grep -q '"member_state": "FR"' "$home/node.json" || fail "init --state did not record FR"
if $entente --home "$home" init --state france 2>/dev/null; then fail "a bad state code"; fi
org=$(grep -o 'identity--[0-9a-f-]*' "$home/node.json" | head -1)
mkdir -p "$home/keys"
$entente keygen --out "$home/keys/node" --kind node --label FR >/dev/null
# Two other member states' node keys; DE and EE are trusted voters, PL is not.
for s in DE EE PL; do $entente keygen --out "$keys/$s" --kind node --label "$s" >/dev/null; done
printf '{"DE":%s,"EE":%s}\n' "$(cat "$keys/DE.pub")" "$(cat "$keys/EE.pub")" >"$home/voting-trust.json"

for spec in analyst-fr:analyst:FR authority-fr:authority:FR reader-fr:reader:FR \
            authority-de:authority:DE; do
  IFS=: read -r name role state <<<"$spec"
  $entente --home "$home" user add "$name" --role "$role" --org "$org" --state "$state" >/dev/null
done
tok() { $entente --home "$home" --json token issue "$1" --role "$2" --scope '*' --ttl 1h |
        grep -o '"token":"[^"]*"' | cut -d'"' -f4; }
analyst=$(tok analyst-fr analyst)
authority=$(tok authority-fr authority)
reader=$(tok reader-fr reader)
authority_de=$(tok authority-de authority)

$entente --home "$home" serve --listen 127.0.0.1:0 >"$home/out" 2>"$home/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$home/out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o '"listening":"[^"]*"' "$home/out" | cut -d'"' -f4)
[[ $url == https://127.0.0.1:* ]] || fail "not listening: $(cat "$home/out")"
base=https://localhost:${url##*:}
api() {  # api TOKEN METHOD PATH [BODY] -> prints "HTTP-CODE BODY"
  local out
  out=$(curl --cacert "$home/tls/node.crt" -s -w '\n%{http_code}' -X "$2" \
        -H "Authorization: Bearer $1" ${4:+--data-binary "$4"} "$base/api/v1$3")
  echo "${out##*$'\n'} ${out%$'\n'*}"
}

deadline=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
request='{"measure":"asset-freeze","targets":[{"name":"GRU unit 74455"}],"grounds":"Disruptive attacks on energy networks of several member states","attribution_confidence":"high","deadline":"'$deadline'"}'
r=$(api "$reader" POST /proposals "$request")
[[ $r == 403* ]] || fail "a reader proposed: $r"
r=$(api "$analyst" POST /proposals '{"measure":"asset-freeze","grounds":"x","deadline":"'$deadline'","attribution_confidence":"low","targets":[{"name":"A"}]}')
[[ $r == 400* && $r == *"needs attribution confidence moderate"* ]] || fail "proportionality: $r"
r=$(api "$analyst" POST /proposals '{"measure":"no-such-measure","grounds":"x","deadline":"'$deadline'"}')
[[ $r == 404* ]] || fail "unknown measure: $r"
r=$(api "$analyst" POST /proposals '{"measure":"demarche","grounds":"x","deadline":"'$deadline'","colour":"red"}')
[[ $r == 400* && $r == *"unknown field 'colour'"* ]] || fail "unknown field: $r"
r=$(api "$analyst" POST /proposals "$request")
[[ $r == 201* && $r == *'"proposer":"FR"'* && $r == *'"signature"'* ]] || fail "propose: $r"
proposal_id=$(grep -o 'x-entente-proposal--[0-9a-f-]*' <<<"$r" | head -1)
echo "${r#201 }" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["proposal"]))' \
  >"$keys/proposal.json"

r=$(api "$reader" GET /proposals)
[[ $r == 200* && $r == *"$proposal_id"* && $r == *'"verified":true'* && $r == *'"open":true'* ]] ||
  fail "list: $r"
r=$(api "$analyst" POST "/proposals/$proposal_id/votes" '{"choice":"yes"}')
[[ $r == 403* && $r == *authority* ]] || fail "an analyst voted: $r"
r=$(api "$authority_de" POST "/proposals/$proposal_id/votes" '{"choice":"yes"}')
[[ $r == 403* && $r == *"speaks for FR"* ]] || fail "a DE account voted through the FR node: $r"
r=$(api "$authority" POST "/proposals/$proposal_id/votes" '{"choice":"maybe"}')
[[ $r == 400* ]] || fail "bad choice: $r"
r=$(api "$authority" POST "/proposals/$proposal_id/votes" '{"choice":"no"}')
[[ $r == 201* && $r == *'"sequence":1'* ]] || fail "vote: $r"
# FR changes its vote: a higher sequence, signed by the same node.
r=$(api "$authority" POST "/proposals/$proposal_id/votes" '{"choice":"yes"}')
[[ $r == 201* && $r == *'"sequence":2'* ]] || fail "vote change: $r"

# DE and EE vote with their own keys; their signed votes reach the node as STIX objects (as
# federation delivers them). PL's key is not trusted; a DE vote altered after signing is forged.
collection=$(curl --cacert "$home/tls/node.crt" -s -H 'Accept: application/taxii+json;version=2.1' \
             -H "Authorization: Bearer $analyst" "$base/api/collections/" |
             grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
post_objects() {
  curl --cacert "$home/tls/node.crt" -s -X POST -H "Authorization: Bearer $analyst" \
    -H 'Accept: application/taxii+json;version=2.1' \
    -H 'Content-Type: application/taxii+json;version=2.1' \
    --data-binary "{\"objects\":[$1]}" "$base/api/collections/$collection/objects/"
}
$entente respond vote --proposal "$keys/proposal.json" --state DE --choice yes --key "$keys/DE.key" >"$keys/de.json"
$entente respond vote --proposal "$keys/proposal.json" --state EE --choice constructive \
  --declaration "EE will not apply the measure but accepts that it commits the Union" \
  --key "$keys/EE.key" >"$keys/ee.json"
$entente respond vote --proposal "$keys/proposal.json" --state PL --choice no --key "$keys/PL.key" >"$keys/pl.json"
sed 's/"choice": *"yes"/"choice": "no"/; s/x-entente-vote--[0-9a-f]\{8\}/x-entente-vote--0badc0de/' \
  "$keys/de.json" >"$keys/de-forged.json"
grep -q '"choice": "no"' "$keys/de-forged.json" || fail "test setup: forged vote not altered"
for f in de ee pl de-forged; do
  s=$(post_objects "$(tr -d '\n' <"$keys/$f.json")")
  [[ $s == *'"success_count":1'* ]] || fail "storing the $f vote: $s"
done

r=$(api "$reader" GET "/proposals/$proposal_id")
[[ $r == 200* ]] || fail "get: $r"
json=${r#200 }
check() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert $2, d" "$json" ||
          fail "$1"; }
check "board has 27 states" 'len(d["board"]) == 27'
check "FR counts yes (its changed vote)" '[b for b in d["board"] if b["state"]=="FR"][0]["choice"] == "yes"'
check "FR sequence 2" '[b for b in d["board"] if b["state"]=="FR"][0]["sequence"] == 2'
check "DE counts yes, not the forged no" '[b for b in d["board"] if b["state"]=="DE"][0]["choice"] == "yes"'
check "EE constructive with declaration" '[b for b in d["board"] if b["state"]=="EE"][0]["declaration"].startswith("EE will not")'
check "PL untrusted does not count" '[b for b in d["board"] if b["state"]=="PL"][0]["choice"] == "none"'
check "two refused votes (PL, forged DE)" 'len(d["rejected_votes"]) == 2'
check "forged refused for its signature" 'any("0badc0de" in x and "crypto" in x for x in d["rejected_votes"])'
check "unanimity adopted: 2 yes, 1 constructive, none against" 'd["outcome"]["adopted"] and d["outcome"]["counts"]["yes"] == 2 and d["outcome"]["counts"]["constructive"] == 1'
check "three latest votes returned, signed" 'len(d["votes"]) == 3 and all("signature" in v for v in d["votes"])'

# A replayed DE vote (same object under a new id) is refused; so is a vote for the wrong state.
sed 's/x-entente-vote--[0-9a-f]\{8\}/x-entente-vote--0000beef/' "$keys/de.json" >"$keys/de-replay.json"
post_objects "$(tr -d '\n' <"$keys/de-replay.json")" >/dev/null
r=$(api "$reader" GET "/proposals/$proposal_id")
[[ $r == *0000beef* ]] || fail "the replayed vote is not listed as refused: $r"
[[ $(python3 -c "import json,sys; print(json.loads(sys.argv[1])['outcome']['counts']['yes'])" "${r#200 }") == 2 ]] ||
  fail "the replayed vote changed the count"

# The log records the proposal and the votes under their own kinds.
entries=$(api "$reader" GET "/ledger/entries?count=1000")
[[ $entries == *'\"kind\":\"proposal\"'* && $entries == *"$proposal_id"* ]] || fail "no proposal leaf"
[[ $(grep -o '\\"kind\\":\\"vote\\"' <<<"$entries" | wc -l) -ge 6 ]] || fail "vote leaves: $entries"

# A joint statement only for a final, adopted decision; after the deadline no vote is accepted.
r=$(api "$authority" POST "/proposals/$proposal_id/statement")
[[ $r == 409* && $r == *"not final"* ]] || fail "statement before the decision is final: $r"
soon=$(date -u -d '+5 seconds' +%Y-%m-%dT%H:%M:%SZ)
r=$(api "$analyst" POST /proposals '{"measure":"hr-statement","grounds":"Statement of concern","deadline":"'$soon'"}')
[[ $r == 201* ]] || fail "short proposal: $r"
short_id=$(grep -o 'x-entente-proposal--[0-9a-f-]*' <<<"$r" | head -1)
r=$(api "$authority" POST "/proposals/$short_id/votes" '{"choice":"yes"}')
[[ $r == 201* ]] || fail "vote on the short proposal: $r"
r=$(api "$reader" POST "/proposals/$short_id/statement")
[[ $r == 403* ]] || fail "a reader issued a statement: $r"
for _ in $(seq 80); do [[ $(date -u +%s) -gt $(date -u -d "$soon" +%s) ]] && break; sleep 0.1; done
sleep 0.2
r=$(api "$authority" POST "/proposals/$short_id/votes" '{"choice":"no"}')
[[ $r == 403* && $r == *deadline* ]] || fail "a vote after the deadline: $r"
r=$(api "$reader" GET "/proposals/$short_id")
[[ $r == *'"open":false'* ]] || fail "closed proposal shown open: $r"
r=$(api "$authority" POST "/proposals/$short_id/statement")
[[ $r == 201* && $r == *'"x-entente-statement"'* ]] || fail "statement: $r"
echo "${r#201 }" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["statement"]))' \
  >"$keys/statement.json"
printf '{"FR":%s}\n' "$(cat "$home/keys/node.pub")" >"$keys/trust-fr.json"
$entente respond verify-statement "$keys/statement.json" --trust "$keys/trust-fr.json" >/dev/null ||
  fail "the joint statement does not verify with the node's public key"
sed 's/Statement of concern/Statement of support/' "$keys/statement.json" >"$keys/statement-forged.json"
if $entente respond verify-statement "$keys/statement-forged.json" --trust "$keys/trust-fr.json" \
     >/dev/null 2>&1; then
  fail "an altered statement verifies"
fi
r=$(api "$reader" GET "/proposals/$short_id")
[[ $(python3 -c "import json,sys; print(len(json.loads(sys.argv[1])['statements']))" "${r#200 }") == 1 ]] ||
  fail "the statement is not listed with its proposal: $r"
r=$(api "$reader" GET "/proposals/indicator--3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d")
[[ $r == 400* ]] || fail "non-proposal id: $r"

kill -TERM $pid
wait $pid || fail "unclean stop"
pid=""
echo "proposals test passed"
