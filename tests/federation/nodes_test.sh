#!/usr/bin/env bash
# Federation between real `entente serve` processes on loopback: four nodes (fr, de, ee and the
# EU coordination node eu) named in a trust list signed by the test's issuer key; fr, de and ee
# peer with eu only, so eu relays. Checks, each with bounded waits:
#   GREEN published at fr reaches every node (by push; the time is printed);
#   AMBER+STRICT for ee's organisation reaches only ee, and is held sealed at the relay;
#   RED for de reaches only de, unreadable (sealed) at eu and ee;
#   a corrupted page (a fake eu serving a tampered copy of a real page) is refused, nothing of
#   it stored, and reported in `entente peer list` and /metrics; the real eu then converges;
#   a partitioned node (the links between de and eu cut by tests/federation/link_proxy.py while
#   both run) does not get what is published meanwhile, and catches up when the links return;
#   kill -9 of eu in the middle of pulling BULK objects: after restart every node holds each
#   version exactly once, and the stores check;
#   versions that arrive in the other order than their `modified` (clocks minutes apart):
#   the latest `modified` wins on every node;
#   peers' signed tree heads are checked and consistent.
# Usage: nodes_test.sh ENTENTE [BULK (default 20000)]
set -euo pipefail
entente=$1
bulk=${2:-20000}
root=$(mktemp -d)
declare -A pid port org cc
nodes=(fr de ee eu)
declare -A country=([fr]=FR [de]=DE [ee]=EE [eu]=EU)
fake=""
proxy=""
cleanup() {
  for n in "${nodes[@]}"; do [[ -n ${pid[$n]:-} ]] && kill -9 "${pid[$n]}" 2>/dev/null; done
  [[ -n $fake ]] && kill -9 "$fake" 2>/dev/null
  [[ -n $proxy ]] && kill -9 "$proxy" 2>/dev/null
  [[ -n ${KEEP:-} ]] && echo "kept $root" >&2 || rm -rf "$root"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for n in "${nodes[@]}"; do echo "--- $n stderr" >&2; tail -15 "$root/$n.err" >&2 || true; done
  exit 1
}
ent() { local n=$1; shift; $entente --home "$root/$n" "$@"; }
export ENTENTE_PASSPHRASE="federation test passphrase"
t_start=$(date +%s)
phase() { echo "[$(( $(date +%s) - t_start )) s] $*"; }
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
steps=()

pick_ports
make_homes
list=$root/list.json
sign_trust_list "$list" 1 "${nodes[@]}"
for n in "${nodes[@]}"; do
  (ent "$n" peer trust "$list" --issuer "$root/issuer.pub" --node-id "$n" >/dev/null
   ent "$n" user add alice --role analyst --role admin --org "${org[$n]}" --identity "${org[$n]}" \
     --state "${country[$n]}" >/dev/null
   ent "$n" --json token issue alice --role analyst --role admin --scope '*' --ttl 1h |
     grep -o '"token":"[^"]*"' | cut -d'"' -f4 >"$root/$n.alice") &
  steps+=($!)
done
step_wait
# A peer outside the trust list is not trusted.
if ent fr peer add xx --token-file "$root/fr.alice" 2>/dev/null; then fail "untrusted peer added"; fi
# A quota or endpoint that does not parse is refused with its reason, and adds nothing.
err=$(ent fr peer add eu --token-file "$root/fr.alice" --quota 12X 2>&1) && fail "quota 12X accepted"
[[ $err == *"--quota: '12X' is not a size"* ]] || fail "quota error: $err"
err=$(ent fr peer add eu --token-file "$root/fr.alice" --quota 99999999999999T 2>&1) &&
  fail "an overflowing quota accepted"
[[ $err == *"too large"* ]] || fail "overflow error: $err"
err=$(ent fr peer add eu --token-file "$root/fr.alice" --endpoint http://127.0.0.1:1/ 2>&1) &&
  fail "a plain-HTTP endpoint accepted"
[[ $err == *"--endpoint: an https:// URL"* ]] || fail "endpoint error: $err"
[[ $(ent fr --json peer list) != *'"eu"'* ]] || fail "a refused peer add left a peer"

launch() {
  local n=$1
  : >"$root/$n.out"
  $entente --home "$root/$n" serve --listen "127.0.0.1:${port[$n]}" --sync-interval 300 --public-metrics \
    >"$root/$n.out" 2>>"$root/$n.err" &
  pid[$n]=$!
}
await() {
  for _ in $(seq 600); do grep -q listening "$root/$1.out" 2>/dev/null && break; sleep 0.1; done
  grep -q listening "$root/$1.out" || fail "$1 did not start"
}
start() { launch "$1"; await "$1"; }
stop() { kill -TERM "${pid[$1]}"; wait "${pid[$1]}" || fail "$1 stopped with $?"; pid[$1]=""; }
phase "set up"
for n in "${nodes[@]}"; do launch "$n"; done
for n in "${nodes[@]}"; do await "$n"; done
phase "started"

# The links between de and eu run through a proxy that phase 5 cuts (de reaches eu at the
# proxy's port, and eu reaches de there: `peer add --endpoint`).
mkdir "$root/links"
python3 "$(dirname "$0")/link_proxy.py" "$root/links" "de-eu:${port[eu]}" "eu-de:${port[de]}" &
proxy=$!
for _ in $(seq 100); do [[ -f $root/links/ports ]] && break; sleep 0.05; done
[[ -f $root/links/ports ]] || fail "the link proxy did not start"
declare -A via
while read -r name p; do via[$name]="https://127.0.0.1:$p/"; done <"$root/links/ports"

# Links: each side issues the other a token for a reader "node-<peer>" of the peer's organisation.
link() {
  local a=$1 b=$2 endpoint=()
  [[ -n ${via[$b-$a]:-} ]] && endpoint=(--endpoint "${via[$b-$a]}")
  ent "$a" user add "node-$b" --role reader --org "${org[$b]}" --state "${country[$b]}" >/dev/null
  ent "$a" --json token issue "node-$b" --role reader --scope '*' --ttl 1h |
    grep -o '"token":"[^"]*"' | cut -d'"' -f4 >"$root/tok.$a.$b"
  ent "$b" peer add "$a" --token-file "$root/tok.$a.$b" --ca "$root/$a/tls/node.crt" \
    "${endpoint[@]}" >/dev/null
}
for n in fr de ee; do
  (link "$n" eu; link eu "$n") &
  steps+=($!)
done
step_wait
[[ $(stat -c %a "$root/fr/federation/state.db") == 600 ]] || fail "peer tokens are not private"

collection() {
  curl -s --cacert "$root/$1/tls/node.crt" -H "Authorization: Bearer $(cat "$root/$1.alice")" \
    -H 'Accept: application/taxii+json;version=2.1' "https://127.0.0.1:${port[$1]}/api/collections/" |
    grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4
}
declare -A coll
for n in "${nodes[@]}"; do coll[$n]=$(collection "$n"); done
publish() {  # NODE OBJECT-JSON
  local n=$1 out
  out=$(curl -s --cacert "$root/$n/tls/node.crt" -H "Authorization: Bearer $(cat "$root/$n.alice")" \
    -H 'Accept: application/taxii+json;version=2.1' -H 'Content-Type: application/taxii+json;version=2.1' \
    -X POST --data-binary "{\"objects\":[$2]}" \
    "https://127.0.0.1:${port[$n]}/api/collections/${coll[$n]}/objects/")
  [[ $out == *'"success_count":1'* ]] || fail "publish at $n: $out"
}
indicator() {  # ID MODIFIED VALUE [MARKING RECIPIENT]
  local extra=""
  [[ -n ${4:-} ]] && extra=",\"object_marking_refs\":[\"$4\"],\"x_entente_recipients\":[\"$5\"]"
  echo "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"$1\",\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"$2\",\"pattern\":\"[domain-name:value = '$3']\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\"$extra}"
}
# In the store itself (no access rule): what a node holds.
has() { ent "$1" get "$2" 2>/dev/null | grep -q "$3"; }
# Through the node's TAXII API as its own analyst (cheap enough to poll).
api() {  # NODE PATH
  curl -s --cacert "$root/$1/tls/node.crt" -H "Authorization: Bearer $(cat "$root/$1.alice")" \
    -H 'Accept: application/taxii+json;version=2.1' "https://127.0.0.1:${port[$1]}$2"
}
readable() { api "$1" "/api/collections/${coll[$1]}/objects/$2/${4:-}" | grep -q "$3"; }
wait_has() {  # NODE ID TEXT WHAT
  for _ in $(seq 300); do readable "$1" "$2" "$3" && return 0; sleep 0.1; done
  fail "$4"
}
# New versions a node stored from one peer (its federation status; live, unlike /metrics).
from_peer() {  # NODE PEER
  api "$1" /api/v1/federation/status |
    python3 -c 'import json,sys; print(sum(p["objects"] for p in json.load(sys.stdin)["peers"] if p["node_id"]==sys.argv[1]))' "$2"
}
versions() { ent "$1" --json stats | grep -o '"versions":[0-9]*' | cut -d: -f2; }
red=marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1
strict=marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003

# 1. GREEN from fr reaches every node through the relay, pushed.
phase "1"
green=indicator--0a000000-0000-4000-8000-000000000001
t0=$(date +%s%N)
publish fr "$(indicator $green 2026-02-01T00:00:00.000Z green.example)"
for n in eu de ee; do wait_has "$n" $green green.example "GREEN did not reach $n"; done
echo "GREEN fr -> eu -> de, ee: $(( ($(date +%s%N) - t0) / 1000000 )) ms"

# 2. AMBER+STRICT for ee's organisation: ee only; the relay holds it sealed.
phase "2"
amber=indicator--0a000000-0000-4000-8000-000000000002
publish fr "$(indicator $amber 2026-02-01T00:00:00.000Z strict.example $strict "${org[ee]}")"
wait_has ee $amber strict.example "AMBER+STRICT did not reach ee"
# 3. RED for de's organisation: de only.
phase "3"
redid=indicator--0a000000-0000-4000-8000-000000000003
publish fr "$(indicator $redid 2026-02-01T00:00:00.000Z red.example $red "${org[de]}")"
wait_has de $redid red.example "RED did not reach de"
sleep 1  # let every pull and push settle
for n in eu de; do has "$n" $amber strict.example && fail "AMBER+STRICT for ee readable at $n"; done
for n in eu ee; do has "$n" $redid red.example && fail "RED for de readable at $n"; done
sealed=$(ent eu --json query --type x-entente-sealed --limit 100)
[[ $sealed == *"$amber"* && $sealed == *"$redid"* ]] || fail "relay eu does not hold the sealed objects"
[[ $sealed != *red.example* && $sealed != *strict.example* ]] || fail "sealed objects readable at eu"

# 4. A corrupted page is refused, reported, and nothing of it stored.
phase "4"
stop de
forged=indicator--0a000000-0000-4000-8000-000000000004
publish eu "$(indicator $forged 2026-02-01T00:00:00.000Z original.example)"
cursor=$(ent de --json peer list |
         python3 -c 'import json,sys; print([p["cursor"] for p in json.load(sys.stdin) if p["node_id"]=="eu"][0])')
curl -s --cacert "$root/eu/tls/node.crt" -H "Authorization: Bearer $(cat "$root/tok.eu.de")" \
  "https://127.0.0.1:${port[eu]}/api/v1/federation/objects?added_after=$cursor" >"$root/page.json"
grep -q original.example "$root/page.json" || fail "no page to corrupt: $(head -c 300 "$root/page.json")"
sed -i 's/original.example/tampered.example/' "$root/page.json"
stop eu
python3 - "${port[eu]}" "$root/eu" "$root/page.json" <<'PY' &
import http.server, ssl, sys
port, home, page = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self.reply(200, page if "/federation/objects" in self.path else b"{}")
    def do_POST(self):
        self.reply(202, b"{}")
    def log_message(self, *args):
        pass
srv = http.server.HTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(home + "/tls/node.crt", home + "/tls/node.key")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
fake=$!
sleep 0.5
start de
for _ in $(seq 100); do
  api de /api/v1/federation/status | grep -q '"last_error":"page refused' && break; sleep 0.1
done
ent de --json peer list | grep -q '"last_error":"page refused: page from eu: signature does not verify' ||
  fail "corrupted page not reported: $(ent de --json peer list)"
metrics=$(curl -s --cacert "$root/de/tls/node.crt" "https://127.0.0.1:${port[de]}/metrics")
[[ $metrics =~ entente_federation_pages_refused_total\ [1-9] ]] || fail "no refused-page counter"
has de $forged example && fail "an object of the refused page was stored"
grep -q 'federation page refused' "$root/de.err" || fail "no log line for the refused page"
kill -9 $fake; wait $fake 2>/dev/null || true; fake=""
start eu
wait_has de $forged original.example "de did not converge after the corrupted page"

# 5. A partition: the links between de and eu are cut while every node runs. What fr publishes
# meanwhile reaches ee but not de; when the links return, de catches up by itself (eu retries
# its notify with back-off; the sync interval is 300 s).
phase "5"
ent de peer list | grep -q "eu .*${via[de-eu]}" || fail "de does not reach eu through the link"
touch "$root/links/cut.de-eu" "$root/links/cut.eu-de"
late=indicator--0a000000-0000-4000-8000-000000000005
publish fr "$(indicator $late 2026-02-01T00:00:00.000Z partition.example)"
wait_has ee $late partition.example "ee did not get the object published during the partition"
sleep 2
has de $late partition.example && fail "de got the object through a cut link"
rm "$root/links/cut.de-eu" "$root/links/cut.eu-de"
t0=$(date +%s%N)
wait_has de $late partition.example "de did not catch up after the partition"
echo "de caught up $(( ($(date +%s%N) - t0) / 1000000 )) ms after the links returned"

# 6. kill -9 of eu in the middle of pulling $bulk objects.
phase "6"
sleep 1
declare -A before peer_before
for n in "${nodes[@]}"; do before[$n]=$(versions "$n"); done
peer_before[eu]=$(from_peer eu fr)
stop eu
python3 - "$bulk" >"$root/bulk.json" <<'PY'
import json, sys, uuid
objs = [{"type": "indicator", "spec_version": "2.1", "id": "indicator--" + str(uuid.uuid4()),
         "created": "2026-03-01T00:00:00.000Z", "modified": "2026-03-01T00:00:00.000Z",
         "pattern": "[ipv4-addr:value = '10.%d.%d.%d']" % (i // 65536, i // 256 % 256, i % 256),
         "pattern_type": "stix", "valid_from": "2026-03-01T00:00:00Z", "labels": ["bulk"]}
        for i in range(int(sys.argv[1]))]
print(json.dumps({"type": "bundle", "id": "bundle--" + str(uuid.uuid4()), "objects": objs}))
PY
ent fr ingest "$root/bulk.json" >/dev/null
# Small pages, so that the kill lands between many page commits.
ENTENTE_FEDERATION_PAGE_LIMIT=200 start eu
# Killed as soon as the first pages are in (or after 5 s at the latest).
for _ in $(seq 100); do
  x=$(from_peer eu fr); [[ -n ${DEBUG:-} ]] && echo "eu from fr: $x" >&2
  [[ $x -gt ${peer_before[eu]} ]] && break; sleep 0.05
done
kill -9 "${pid[eu]}"; wait "${pid[eu]}" 2>/dev/null || true; pid[eu]=""
mid=$(versions eu)
echo "eu killed with $((mid - before[eu])) of $bulk versions pulled"
start eu
for n in eu de ee; do
  want=$((before[$n] + bulk))
  # (Not the peer's "objects added" counter: versions committed just before the kill come
  # again as duplicates, which are not added twice.)
  for _ in $(seq 300); do [[ $(versions "$n") -ge $want ]] && break; sleep 0.3; done
  got=$(versions "$n")
  [[ $got == "$want" ]] || fail "$n holds $got versions after the crash, wants exactly $want"
done
for n in "${nodes[@]}"; do ent "$n" check >/dev/null || fail "$n store check"; done

# 7. Versions arriving in the other order than their `modified` (clocks minutes apart).
phase "7"
skew=indicator--0a000000-0000-4000-8000-000000000007
publish fr "$(indicator $skew 2026-04-01T12:10:00.000Z ahead.example)"
wait_has ee $skew ahead.example "skewed version did not reach ee"
publish ee "$(indicator $skew 2026-04-01T12:00:00.000Z behind.example)"
for n in "${nodes[@]}"; do
  for _ in $(seq 300); do
    readable "$n" $skew behind.example '?match%5Bversion%5D=all' && break; sleep 0.1
  done
  readable "$n" $skew behind.example '?match%5Bversion%5D=all' || fail "$n: the older version did not arrive"
  readable "$n" $skew ahead.example || fail "$n: the latest modified does not win"
  readable "$n" $skew behind.example && fail "$n: the older version arrived later and won"
done

# 8. Tree heads were checked and agree; receipts are in the transparency log.
phase "8"
sleep 1
for n in "${nodes[@]}"; do
  m=$(curl -s --cacert "$root/$n/tls/node.crt" "https://127.0.0.1:${port[$n]}/metrics")
  [[ $m =~ entente_federation_head_checks_total\ [1-9] ]] || fail "$n checked no tree head"
  [[ $m =~ entente_federation_head_failures_total\ 0 ]] || fail "$n: a tree head failed"
done
receipts=$(curl -s --cacert "$root/de/tls/node.crt" -H "Authorization: Bearer $(cat "$root/de.alice")" \
  "https://127.0.0.1:${port[de]}/api/v1/ledger/entries?start=0&count=50")
[[ $receipts == *'\"kind\":\"receipt\"'* ]] || fail "no receipts in de's transparency log"
ent de peer list | grep -q trusted || fail "peer list"

# 9. `entente peer sync` on a stopped node pulls what it missed and checks the peer's log.
phase "9"
stop de
offline=indicator--0a000000-0000-4000-8000-000000000009
publish eu "$(indicator $offline 2026-02-01T00:00:00.000Z offline.example)"
report=$(ent de --json peer sync eu) || fail "peer sync: $report"
[[ $report == *'"added":1'* && $report == *'"head":"consistent"'* ]] || fail "peer sync: $report"
has de $offline offline.example || fail "peer sync did not store the object"
# 10. A new trust list without ee, installed on the running relay, takes effect within seconds:
# ee is refused, fr is still served, and no restart was needed.
phase "10"
list2=$root/list2.json
sign_trust_list "$list2" 2 fr de eu
ent eu peer trust "$list2" --issuer "$root/issuer.pub" --node-id eu >/dev/null
feed_status() {  # TOKEN-FILE: HTTP status of a page request to eu
  curl -s -o /dev/null -w '%{http_code}' --cacert "$root/eu/tls/node.crt" \
    -H "Authorization: Bearer $(cat "$1")" \
    "https://127.0.0.1:${port[eu]}/api/v1/federation/objects?added_after=0&limit=1"
}
for _ in $(seq 50); do [[ $(feed_status "$root/tok.eu.ee") == 403 ]] && break; sleep 0.1; done
[[ $(feed_status "$root/tok.eu.ee") == 403 ]] || fail "ee still served after it left the trust list"
[[ $(feed_status "$root/tok.eu.fr") == 200 ]] || fail "fr refused after the trust list changed"
grep -q 'trust list replaced' "$root/eu.err" || fail "no log line for the new trust list"

# 11. `entente ingest` beside a serving node (another process on the same store) travels at
# once too: the node notices the new versions and notifies its peers (sync interval: 300 s).
phase "11"
ingested=indicator--0a000000-0000-4000-8000-000000000011
indicator $ingested 2026-02-01T00:00:00.000Z ingested.example >"$root/ingested.json"
ent fr ingest "$root/ingested.json" >/dev/null || fail "ingest beside the serving node"
t0=$(date +%s%N)
wait_has eu $ingested ingested.example "an object ingested beside fr did not reach eu"
echo "ingest at fr -> eu: $(( ($(date +%s%N) - t0) / 1000000 )) ms"

for n in fr ee eu; do stop "$n"; done
echo "nodes_test: ok"
