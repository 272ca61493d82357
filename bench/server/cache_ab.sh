#!/usr/bin/env bash
# GET object by id with the store's object cache off and on, alternated on one store, so the
# machine's drift hits both sides alike (docs/BENCHMARKS.md, Server).
#   1. a fresh node, OBJECTS indicators posted through TAXII, their ids listed
#   2. ROUNDS times: serve with ENTENTE_OBJECT_CACHE_MB=0, then =MB; each run first warms for 5 s (a pass over the ids),
#      then wrk -t2 -c256 for 6 s; prints req/s, p99 and the server's CPU per request
# Usage: bench/server/cache_ab.sh [BUILD_DIR] [OBJECTS] [ROUNDS] [MB]
set -euo pipefail
build=${1:-build}
objects=${2:-100000}
rounds=${3:-5}
mb=${4:-256}
entente=$build/src/cli/entente
load=$build/bench/server/taxii_load
here=$(cd "$(dirname "$0")" && pwd)
home=$(mktemp -d)
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$home"
}
trap cleanup EXIT

$entente --home "$home" init --name bench >/dev/null
org=$(grep -o 'identity--[0-9a-f-]*' "$home/node.json" | head -1)
$entente --home "$home" user add bench --role analyst --role admin --org "$org" --state FR >/dev/null
token=$($entente --home "$home" --json token issue bench --role analyst --scope '*' --ttl 1d |
        grep -o '"token":"[^"]*"' | cut -d'"' -f4)
start() {  # $1: cache MiB
  ENTENTE_OBJECT_CACHE_MB=$1 $entente --home "$home" serve --plain --listen 127.0.0.1:0 \
    >"$home/serve.out" 2>"$home/serve.err" &
  pid=$!
  for _ in $(seq 100); do
    grep -q listening "$home/serve.out" 2>/dev/null && break
    sleep 0.1
  done
  url=$(grep -o '"listening":"[^"]*"' "$home/serve.out" | cut -d'"' -f4)
  port=${url##*:}
}
stop() { kill "$pid"; wait "$pid" || true; pid=""; }
wrk_run() {  # $1: seconds
  IDS="$home/ids.txt" TOKEN="$token" wrk -t2 -c256 -d"$1s" --latency \
    -s "$here/get_by_id.lua" "http://127.0.0.1:$port"
}

start 0
collection=$(curl -s -H "Authorization: Bearer $token" -H 'Accept: application/taxii+json;version=2.1' \
  "http://127.0.0.1:$port/api/collections/" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
$load post "$port" "$token" "$collection" "$objects" 1000 >/dev/null
$load ids "$port" "$token" "$collection" "$objects" "$home/ids.txt" >/dev/null
stop
for _ in $(seq "$rounds"); do
  for cache in 0 "$mb"; do
    start "$cache"
    wrk_run 5 >/dev/null
    before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    wrk_run 6 >"$home/wrk.out"
    after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    requests=$(grep -o '[0-9]* requests in' "$home/wrk.out" | cut -d' ' -f1)
    printf 'cache %4s MiB  %s req/s  p99 %s  server CPU %s us/request  non-2xx %s\n' "$cache" \
      "$(awk '/Requests\/sec/ {print $2}' "$home/wrk.out")" \
      "$(awk '$1 == "99%" {print $2}' "$home/wrk.out")" \
      "$(((after - before) * 1000000 / $(getconf CLK_TCK) / requests))" \
      "$(awk '/Non-2xx/ {print $NF}' "$home/wrk.out" | grep . || echo 0)"
    stop
  done
done
