#!/usr/bin/env bash
# Interoperability with the OASIS TAXII 2.1 client library (taxii2-client): starts a node on
# loopback with TLS and runs tests/interop/taxii2client_check.py against it. The library is not
# packaged by Debian and is not part of this project: pass the directory that holds its
# `taxii2client` package. Needs python3-requests, python3-tz and python3-six.
# Usage: tests/interop/taxii2client.sh ENTENTE CLIENT_DIR
set -euo pipefail
entente=$1
client_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
home=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; rm -rf "$home"' EXIT
$entente --home "$home" init --name "interop node" >/dev/null
org=$(grep -o 'identity--[0-9a-f-]*' "$home/node.json" | head -1)
$entente --home "$home" user add interop --role analyst --org "$org" --state FR >/dev/null
token=$($entente --home "$home" --json token issue interop --role analyst --scope '*' --ttl 1h |
        grep -o '"token":"[^"]*"' | cut -d'"' -f4)
$entente --home "$home" serve --listen 127.0.0.1:0 >"$home/out" 2>"$home/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$home/out" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o '"listening":"[^"]*"' "$home/out" | cut -d'"' -f4)
# requests lets $REQUESTS_CA_BUNDLE / $CURL_CA_BUNDLE override the CA file the client is given.
env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE PYTHONPATH="$client_dir" python3 "$here/taxii2client_check.py" \
  "https://localhost:${url##*:}/taxii2/" "$token" "$home/tls/node.crt"
