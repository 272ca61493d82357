# Shared set-up of the multi-node federation tests (sourced by nodes_test.sh and vote_test.sh).
# The caller defines: entente, root, nodes (array), country (NODE -> state), port and org
# (associative arrays), ent() and fail().

step_wait() {  # waits for the background steps started since the last call; any failure fails
  local p
  for p in "${steps[@]}"; do wait "$p" || fail "a setup step failed"; done
  steps=()
}

# port[NODE]: consecutive free loopback ports, one per node.
pick_ports() {
  local n=${#nodes[@]} used i alternatives
  for _ in $(seq 50); do
    base=$((20000 + RANDOM % 30000))
    command -v ss >/dev/null || break
    alternatives=$base
    for ((i = 1; i < n; i++)); do alternatives+="|$((base + i))"; done
    used=$(ss -ltnH 2>/dev/null | awk '{print $4}' | grep -cE ":($alternatives)$" || true)
    [[ $used == 0 ]] && break
  done
  i=0
  for n in "${nodes[@]}"; do port[$n]=$((base + i)); i=$((i + 1)); done
}

# Node homes (entente init, speaking for country[NODE]), node keys, the issuer key, org[NODE]. Independent
# steps run side by side (a sanitized command costs about a second to start).
make_homes() {
  local n
  steps=()
  for n in "${nodes[@]}"; do
    (ent "$n" init --name "$n node" --state "${country[$n]}" >/dev/null
     mkdir -p "$root/$n/keys"
     $entente keygen --out "$root/$n/keys/node" --kind node --label "$n" >/dev/null) &
    steps+=($!)
  done
  $entente keygen --out "$root/issuer" --kind node --label issuer >/dev/null
  step_wait
  for n in "${nodes[@]}"; do org[$n]=$(grep -o 'identity--[0-9a-f-]*' "$root/$n/node.json" | head -1); done
}

# A trust list signed by the test's issuer: FILE SEQUENCE NODE... (each at its port).
sign_trust_list() {
  local file=$1 sequence=$2 n
  shift 2
  $entente trust create "$file" --key "$root/issuer.pub" --node-id issuer --state EU \
    --org identity--6f1c0e2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b --sequence "$sequence" >/dev/null
  for n in "$@"; do
    $entente trust add-member "$file" --key "$root/$n/keys/node.pub" --org "${org[$n]}" \
      --node-id "$n" --state "${country[$n]}" --endpoint "https://127.0.0.1:${port[$n]}/" >/dev/null
  done
  $entente trust sign "$file" --key "$root/issuer.key" >/dev/null
}
