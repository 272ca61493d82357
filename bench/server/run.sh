#!/usr/bin/env bash
# Measures the node server from outside, over loopback, on this machine:
#   1. POST ingest through TAXII (envelopes of 1000 new indicators,       taxii_load post
#      from POST_CLIENTS connections at once)
#   2. paged TAXII reads of the whole collection (pages of 1000)          taxii_load page
#   3. GET object by id, keep-alive, 256 connections, plain and TLS       wrk (after 5 s of warm-up)
# Usage: bench/server/run.sh [BUILD_DIR] [OBJECTS] [WRK_SECONDS] [POST_CLIENTS (default 1)]
# The server and the load generators share the machine's cores; figures in docs/BENCHMARKS.md.
set -euo pipefail
build=${1:-build}
objects=${2:-1000000}
seconds=${3:-15}
post_clients=${4:-1}
entente=$build/src/cli/entente
load=$build/bench/server/taxii_load
here=$(cd "$(dirname "$0")" && pwd)
home=$(mktemp -d)
source "$here/node.sh"
trap cleanup_node EXIT
bench_node_init

get_by_id() {  # $1: http or https
  local before after requests
  # A 5 s pass over the ids first: the measured window is a node that has been serving (its
  # object cache warm), not one that has just started.
  IDS="$home/ids.txt" TOKEN="$token" wrk -t2 -c256 -d5s -s "$here/get_by_id.lua" \
    "$1://127.0.0.1:$port" >/dev/null
  before=$(server_ticks)
  IDS="$home/ids.txt" TOKEN="$token" wrk -t2 -c256 -d"${seconds}s" --latency \
    -s "$here/get_by_id.lua" "$1://127.0.0.1:$port" >"$home/wrk.out"
  after=$(server_ticks)
  grep -E "Requests/sec|Latency|50%|99%|requests in|Non-2xx" "$home/wrk.out"
  requests=$(grep -o '[0-9]* requests in' "$home/wrk.out" | cut -d' ' -f1)
  echo "server CPU per request: $(( (after - before) * 1000000 / $(getconf CLK_TCK) / requests )) us"
}

start_server --plain
collection=$(collection_id)
echo "== TAXII POST ingest: $objects objects in envelopes of 1000, $post_clients client(s)"
$load post "$port" "$token" "$collection" "$objects" 1000 "$post_clients"
echo "== TAXII paged reads: the whole collection, pages of 1000"
$load page "$port" "$token" "$collection" 1000
$load ids "$port" "$token" "$collection" 100000 "$home/ids.txt" >/dev/null
echo "== GET /api/v1/objects/{id}: wrk -t2 -c256 -d${seconds}s, plain HTTP keep-alive"
get_by_id http
stop_server
start_server
echo "== GET /api/v1/objects/{id}: wrk -t2 -c256 -d${seconds}s, TLS 1.3 keep-alive"
get_by_id https
