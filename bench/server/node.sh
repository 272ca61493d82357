# Shared by the server benchmarks (sourced, not run): a throw-away node and its server.
# The caller sets `entente` (the CLI) and `home` (an empty directory) and traps cleanup_node.
# After bench_node_init: $token (an analyst token for every collection).
# After start_server: $server_pid and $port; collection_id prints the node's first collection.
server_pid=""

cleanup_node() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$home"
}

bench_node_init() {
  local org
  $entente --home "$home" init --name bench >/dev/null
  org=$(grep -o 'identity--[0-9a-f-]*' "$home/node.json" | head -1)
  $entente --home "$home" user add bench --role analyst --role admin --org "$org" --state FR \
    >/dev/null
  token=$($entente --home "$home" --json token issue bench --role analyst --scope '*' --ttl 1d |
          grep -o '"token":"[^"]*"' | cut -d'"' -f4)
}

start_server() {  # $@: extra flags for serve (the environment is passed through)
  local url
  $entente --home "$home" serve --listen 127.0.0.1:0 "$@" >"$home/serve.out" 2>"$home/serve.err" &
  server_pid=$!
  for _ in $(seq 100); do
    grep -q listening "$home/serve.out" 2>/dev/null && break
    sleep 0.1
  done
  url=$(grep -o '"listening":"[^"]*"' "$home/serve.out" | cut -d'"' -f4)
  port=${url##*:}
}

stop_server() { kill "$server_pid"; wait "$server_pid" || true; server_pid=""; }

# The server's CPU time (user + system, clock ticks) from /proc: on a shared machine the
# server's CPU per request is steadier than requests/s.
server_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }

collection_id() {
  curl -s -H "Authorization: Bearer $token" -H 'Accept: application/taxii+json;version=2.1' \
    "http://127.0.0.1:$port/api/collections/" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4
}
