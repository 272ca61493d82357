#!/usr/bin/env bash
# Side-by-side scan throughput: `entente scan` (full indicator set: every list of data/ioc, CIDRs,
# parent domains and warninglists on) against `rg -F` and `grep -F` on the same input, in one run.
#
# usage: bench/detect/scan_compare.sh [--shared DIR] [--copies N] [--patterns N|all] [--entente BIN]
#   --shared    directory holding data/ioc and data/logs (default: ../shared beside the repo)
#   --copies    the real logs are concatenated N times into one input (default 8: ~305 MB)
#   --patterns  literal patterns for rg/grep: a seeded sample of N values of domains.txt and
#               ips.txt (default 100000; "all" = every value, 1.57 M: rg then needs ~7 GB RAM)
#
# Each tool runs once on /dev/null (pattern compile / index load) and once on the input; the
# scan figure is the difference (for entente, whose load dwarfs its scan, the ratios use the
# scan phase as its summary times it). CPU time (user+sys) is the primary figure because the machine
# may be shared; wall time is printed too. The input is read once beforehand so it is in the page
# cache for every tool.
set -euo pipefail
cd "$(dirname "$0")/../.."
shared=../shared
copies=8
patterns=100000
entente=build/src/cli/entente
while (($#)); do
  case "$1" in
    --shared) shared=$2; shift 2 ;;
    --copies) copies=$2; shift 2 ;;
    --patterns) patterns=$2; shift 2 ;;
    --entente) entente=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
ioc=$shared/data/ioc
logs=$shared/data/logs
if [[ ! -d $ioc || ! -d $logs ]]; then
  echo "scan_compare: $shared/data/{ioc,logs} not found; pass --shared DIR" >&2
  exit 1
fi
[[ -x $entente ]] || { echo "scan_compare: build $entente first (ninja -C build entente)" >&2; exit 1; }
for t in rg grep; do command -v $t >/dev/null || { echo "scan_compare: $t missing (scripts/install-deps --bench)" >&2; exit 1; }; done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$logs" -name '*.log*' -type f | sort | xargs cat > "$work/one.log"
for ((i = 0; i < copies; i++)); do cat "$work/one.log"; done > "$work/corpus.log"
bytes=$(stat -c %s "$work/corpus.log")
cat "$work/corpus.log" > /dev/null  # page cache

if [[ $patterns == all ]]; then
  grep -hv '^#' "$ioc/domains.txt" "$ioc/ips.txt" | cut -f1 > "$work/pat.txt"
else
  grep -hv '^#' "$ioc/domains.txt" "$ioc/ips.txt" | cut -f1 |
    python3 -c "import random,sys; v=sys.stdin.read().split(); random.seed(42); print('\n'.join(random.sample(v, min($patterns, len(v)))))" > "$work/pat.txt"
fi
npat=$(wc -l < "$work/pat.txt")

lists=()
for f in "$ioc"/*.txt; do lists+=(--indicators "$f"); done
lists=""
for f in "$ioc"/*.txt; do lists+=" --indicators $f"; done
declare -A cmd
cmd[entente]="$entente scan --json $lists --warninglists $ioc/warninglists INPUT > $work/entente.out 2>/dev/null"
cmd[rg]="rg -F -c --no-mmap -j1 -f $work/pat.txt INPUT > $work/rg.out || true"
cmd[grep]="LC_ALL=C grep -F -c -f $work/pat.txt INPUT > $work/grep.out || true"

# Runs a shell command and prints "wall cpu" (seconds; cpu = user+sys of the command).
measure() {
  python3 - "$1" <<'PY'
import resource, subprocess, sys, time
t = time.time()
subprocess.run(sys.argv[1], shell=True, check=False)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{time.time() - t:.3f} {r.ru_utime + r.ru_stime:.3f}")
PY
}

echo "input: $bytes bytes ($copies x real logs); rg/grep patterns: $npat; entente: all of $ioc (+CIDRs, parents, warninglists)"
printf '%-8s %10s %10s %10s %10s %12s %12s\n' tool build_cpu total_cpu scan_cpu scan_wall "MB/s(cpu)" "MB/s(wall)"
declare -A rate
for tool in entente rg grep; do
  read -r bw bc < <(measure "${cmd[$tool]//INPUT//dev/null}")
  read -r tw tc < <(measure "${cmd[$tool]//INPUT/$work/corpus.log}")
  sc=$(echo "s=$tc - $bc; if (s < 0.001) s=0.001; s" | bc -l)
  sw=$(echo "s=$tw - $bw; if (s < 0.001) s=0.001; s" | bc -l)
  mc=$(echo "$bytes / 1000000 / $sc" | bc -l)
  mw=$(echo "$bytes / 1000000 / $sw" | bc -l)
  rate[$tool]=$mc
  printf '%-8s %10.2f %10.2f %10.2f %10.2f %12.1f %12.1f\n' "$tool" "$bc" "$tc" "$sc" "$sw" "$mc" "$mw"
done
echo "entente summary: $(tail -1 "$work/entente.out")"
# entente's index load (2-3 s, varying by +-0.5 s between runs) dwarfs its scan, so the
# difference above is mostly noise for entente; its summary times the scan phase alone (read,
# scan, JSON output; one thread, wall clock), which is the figure the ratios below use.
self_s=$(tail -1 "$work/entente.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["seconds"])')
self_rate=$(echo "$bytes / 1000000 / $self_s" | bc -l)
printf 'entente scan phase by its own clock: %.3f s, %.1f MB/s\n' "$self_s" "$self_rate"
echo "hits: entente $(($(wc -l < "$work/entente.out") - 1)) JSON lines; rg matching lines $(cat "$work/rg.out"); grep matching lines $(cat "$work/grep.out")"
printf 'ratio entente/rg: %.1fx   entente/grep: %.1fx  (entente scan phase vs rg/grep CPU-time scan rates)\n' \
  "$(echo "$self_rate / ${rate[rg]}" | bc -l)" "$(echo "$self_rate / ${rate[grep]}" | bc -l)"
