#!/usr/bin/env bash
# A Council vote across the federation, with real `entente serve` processes on loopback: fr, de,
# ee and pl speak for their member states and peer with the EU coordination node eu, which
# relays. A proposal opened at fr reaches every node; de, ee and pl vote through their own
# nodes; every node then shows the same outcome, recomputed from the same signed votes with the
# keys of the trust list. A changed vote (higher sequence, same state) changes the outcome on
# every node, and an account of one state cannot vote through another state's node.
# Usage: vote_test.sh ENTENTE
set -euo pipefail
entente=$1
root=$(mktemp -d)
declare -A pid port org
nodes=(fr de ee pl eu)
declare -A country=([fr]=FR [de]=DE [ee]=EE [pl]=PL [eu]=EU)
cleanup() {
  for n in "${nodes[@]}"; do [[ -n ${pid[$n]:-} ]] && kill -9 "${pid[$n]}" 2>/dev/null; done
  rm -rf "$root"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for n in "${nodes[@]}"; do echo "--- $n stderr" >&2; tail -8 "$root/$n.err" >&2 || true; done
  exit 1
}
ent() { local n=$1; shift; $entente --home "$root/$n" "$@"; }
export ENTENTE_PASSPHRASE="federation vote test passphrase"
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
steps=()

pick_ports
make_homes
list=$root/list.json
sign_trust_list "$list" 1 "${nodes[@]}"
for n in "${nodes[@]}"; do
  (ent "$n" peer trust "$list" --issuer "$root/issuer.pub" --node-id "$n" >/dev/null
   ent "$n" user add official --role analyst --role authority --org "${org[$n]}" \
     --state "${country[$n]}" >/dev/null
   ent "$n" --json token issue official --role analyst --role authority --scope '*' --ttl 1h |
     grep -o '"token":"[^"]*"' | cut -d'"' -f4 >"$root/$n.token") &
  steps+=($!)
done
step_wait
# An account of DE at the EE node (it must not be able to vote for EE, nor for DE there).
ent ee user add official-de --role authority --org "${org[de]}" --state DE >/dev/null
ent ee --json token issue official-de --role authority --scope '*' --ttl 1h |
  grep -o '"token":"[^"]*"' | cut -d'"' -f4 >"$root/ee.token-de"

for n in "${nodes[@]}"; do
  $entente --home "$root/$n" serve --listen "127.0.0.1:${port[$n]}" --sync-interval 300 \
    --no-dashboard >"$root/$n.out" 2>>"$root/$n.err" &
  pid[$n]=$!
done
for n in "${nodes[@]}"; do
  for _ in $(seq 600); do grep -q listening "$root/$n.out" 2>/dev/null && break; sleep 0.1; done
  grep -q listening "$root/$n.out" || fail "$n did not start"
done
link() {  # a issues b a token for a reader of b's organisation; b pulls from a
  local a=$1 b=$2
  ent "$a" user add "node-$b" --role reader --org "${org[$b]}" --state "${country[$b]}" >/dev/null
  ent "$a" --json token issue "node-$b" --role reader --scope '*' --ttl 1h |
    grep -o '"token":"[^"]*"' | cut -d'"' -f4 >"$root/tok.$a.$b"
  ent "$b" peer add "$a" --token-file "$root/tok.$a.$b" --ca "$root/$a/tls/node.crt" >/dev/null
}
for n in fr de ee pl; do (link "$n" eu; link eu "$n") & steps+=($!); done
step_wait

api() {  # api NODE METHOD PATH [BODY] -> "HTTP-CODE BODY"
  local n=$1 out
  out=$(curl --cacert "$root/$n/tls/node.crt" -s -w '\n%{http_code}' -X "$2" \
        -H "Authorization: Bearer $(cat "$root/$n.token")" ${4:+--data-binary "$4"} \
        "https://localhost:${port[$n]}/api/v1$3")
  echo "${out##*$'\n'} ${out%$'\n'*}"
}
# outcome NODE: "<votes_cast> <adopted> <yes> <no> <constructive> <DE sequence>" as the node
# computes it, or "-" while it does not hold a verified proposal.
outcome() {
  local r
  r=$(api "$1" GET "/proposals/$proposal")
  [[ $r == 200* ]] || { echo "-"; return; }
  python3 -c '
import json, sys
d = json.loads(sys.argv[1])
o = d["outcome"]
de = [b for b in d["board"] if b["state"] == "DE"][0]
print(len(d["votes"]), o["adopted"], o["counts"]["yes"], o["counts"]["no"],
      o["counts"]["constructive"], de.get("sequence", 0), len(d["rejected_votes"]))' "${r#200 }"
}
converge() {  # converge EXPECTED WHAT: every node computes EXPECTED within 30 s
  local n got
  for _ in $(seq 300); do
    got=""
    for n in "${nodes[@]}"; do got+="$n=$(outcome "$n");"; done
    [[ $got == "fr=$1;de=$1;ee=$1;pl=$1;eu=$1;" ]] && { echo "converged ($2): $1"; return; }
    sleep 0.1
  done
  fail "$2: nodes did not converge on '$1': $got"
}

deadline=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
r=$(api fr POST /proposals '{"measure":"asset-freeze","targets":[{"name":"GRU unit 74455"}],"grounds":"Destructive attacks on energy operators of three member states","attribution_confidence":"high","deadline":"'"$deadline"'"}')
[[ $r == 201* ]] || fail "proposal at fr: $r"
proposal=$(grep -o 'x-entente-proposal--[0-9a-f-]*' <<<"$r" | head -1)
converge "0 False 0 0 0 0 0" "the proposal reached every node, verified"

# A DE account cannot vote through the EE node.
de_token=$(cat "$root/ee.token-de")
[[ -n $de_token ]] || fail "no token for the DE account at ee"
code=$(curl --cacert "$root/ee/tls/node.crt" -s -o /dev/null -w '%{http_code}' -X POST \
       -H "Authorization: Bearer $de_token" --data-binary '{"choice":"yes"}' \
       "https://localhost:${port[ee]}/api/v1/proposals/$proposal/votes")
[[ $code == 403 ]] || fail "a DE account voted through the EE node: $code"

[[ $(api de POST "/proposals/$proposal/votes" '{"choice":"yes"}') == 201* ]] || fail "de vote"
[[ $(api ee POST "/proposals/$proposal/votes" '{"choice":"yes"}') == 201* ]] || fail "ee vote"
[[ $(api pl POST "/proposals/$proposal/votes" \
     '{"choice":"constructive","declaration":"Poland abstains and accepts that the decision commits the Union"}') == 201* ]] ||
  fail "pl vote"
# Unanimity with constructive abstention: 2 yes, 1 constructive, none against: adopted.
converge "3 True 2 0 1 1 0" "three votes from three nodes"

# DE changes its vote: the same outcome everywhere again, from DE's second signed vote.
[[ $(api de POST "/proposals/$proposal/votes" '{"choice":"no"}') == 201* ]] || fail "de change"
converge "3 False 1 1 1 2 0" "DE's changed vote"

# Every node stored the four signed votes (DE's two, EE's, PL's) and logged them.
for n in "${nodes[@]}"; do
  count=$(ent "$n" --json stats | grep -o '"x-entente-vote":[0-9]*' | cut -d: -f2)
  [[ $count == 4 ]] || fail "$n holds ${count:-0} votes, expected 4"
done
echo "federated vote test passed"
