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
source "$here/node.sh"
trap cleanup_node EXIT
bench_node_init
start() { ENTENTE_OBJECT_CACHE_MB=$1 start_server --plain; }  # $1: cache MiB
wrk_run() {  # $1: seconds
  IDS="$home/ids.txt" TOKEN="$token" wrk -t2 -c256 -d"$1s" --latency \
    -s "$here/get_by_id.lua" "http://127.0.0.1:$port"
}

start 0
collection=$(collection_id)
$load post "$port" "$token" "$collection" "$objects" 1000 >/dev/null
$load ids "$port" "$token" "$collection" "$objects" "$home/ids.txt" >/dev/null
stop_server
for _ in $(seq "$rounds"); do
  for cache in 0 "$mb"; do
    start "$cache"
    wrk_run 5 >/dev/null
    before=$(server_ticks)
    wrk_run 6 >"$home/wrk.out"
    after=$(server_ticks)
    requests=$(grep -o '[0-9]* requests in' "$home/wrk.out" | cut -d' ' -f1)
    printf 'cache %4s MiB  %s req/s  p99 %s  server CPU %s us/request  non-2xx %s\n' "$cache" \
      "$(awk '/Requests\/sec/ {print $2}' "$home/wrk.out")" \
      "$(awk '$1 == "99%" {print $2}' "$home/wrk.out")" \
      "$(((after - before) * 1000000 / $(getconf CLK_TCK) / requests))" \
      "$(awk '/Non-2xx/ {print $NF}' "$home/wrk.out" | grep . || echo 0)"
    stop_server
  done
done
