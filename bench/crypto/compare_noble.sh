#!/usr/bin/env bash
# Runs crypto_bench's ML-KEM/ML-DSA cases and @noble/post-quantum's in one session, one after
# the other on the same machine, and prints both (figures in docs/BENCHMARKS.md, "## Crypto").
# Usage: bench/crypto/compare_noble.sh [BUILD_DIR]   (needs `npm ci` in tests/crypto/noble)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
echo "== entente (C++, portable)"
"$build/bench/crypto/crypto_bench" --benchmark_filter='MlKem|MlDsa' --benchmark_min_time=1 \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
echo "== @noble/post-quantum (JavaScript, Node $(node --version))"
node tests/crypto/noble/bench.mjs 1
