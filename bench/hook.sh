#!/usr/bin/env bash
# The security hook's cost (loopback, release build):
#   1. one-commit pushes through `keywarden serve`, hook on versus hook off on the repository
#      (p50 and p95 over N pushes each, interleaved so both see the same machine state);
#   2. a push of ~100 MB of new source text (the corpus generator's tree) with the hook on:
#      total push time, the server's own scan time ("push scanned" elapsed_ms in its log), the
#      same push with the hook off, and the server's peak RSS.
#
# Usage: bench/hook.sh [--pushes N] [--mb MB]
set -euo pipefail
cd "$(dirname "$0")/.."

PUSHES=50
MB=100
while [ $# -gt 0 ]; do
  case "$1" in
    --pushes) PUSHES="$2"; shift 2 ;;
    --mb) MB="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

cargo build --release -q -p keywarden -p keywarden-bench
TARGET="${CARGO_TARGET_DIR:-target}/release"
BIN="$TARGET/keywarden"

WORK="$(mktemp -d)"
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

PW=bench-password
export KEYWARDEN_ADMIN_PASSWORD=$PW
RUST_LOG=info "$BIN" serve --data-dir "$WORK/data" --bind 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
BASE="$(grep -o 'http://[0-9.:]*' "$WORK/serve.out" | head -1)"
HOST="${BASE#http://}"
AUTH=(-u "admin:$PW")
HOOK=com.mohami.bitbucket.security-for-bitbucket:credentials-validation-hook
echo "server: $BASE (pid $SERVER_PID), git $(git --version | cut -d' ' -f3), $(nproc) cores"

now_us() { echo $(( $(date +%s%N) / 1000 )); }
# Percentile P (0-100) of the numbers on stdin, nearest rank.
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((p/100)*NR+0.999999); if(i<1)i=1; printf "%.1f", a[i]/1000}'; }
export GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 HOME="$WORK"
git config --global user.name bench; git config --global user.email bench@example.com
git config --global init.defaultBranch main

curl -sf "${AUTH[@]}" -H 'Content-Type: application/json' -d '{"key":"BENCH","name":"Bench"}' "$BASE/rest/api/latest/projects" >/dev/null
for r in on off big bigoff; do
  curl -sf "${AUTH[@]}" -H 'Content-Type: application/json' -d "{\"name\":\"$r\"}" "$BASE/rest/api/latest/projects/BENCH/repos" >/dev/null
done
for r in off bigoff; do
  curl -sf "${AUTH[@]}" -X DELETE "$BASE/rest/api/latest/projects/BENCH/repos/$r/settings/hooks/$HOOK/enabled" >/dev/null
done

# 1. One-commit pushes: a small source file edited per commit (clean, so the push passes).
SRC="$WORK/src"; mkdir -p "$SRC"; git -C "$SRC" init -q
for f in $(seq 20); do printf 'def f%s(x):\n    return x + %s\n' "$f" "$f" > "$SRC/m$f.py"; done
git -C "$SRC" add . && git -C "$SRC" commit -q -m init
git -C "$SRC" push -q "http://admin:$PW@$HOST/scm/bench/on.git" main
git -C "$SRC" push -q "http://admin:$PW@$HOST/scm/bench/off.git" main
on=(); off=()
for i in $(seq "$PUSHES"); do
  printf 'value_%s = compute(%s)\n' "$i" "$i" >> "$SRC/m$(( i % 20 + 1 )).py"
  git -C "$SRC" commit -qam "change $i"
  t=$(now_us); git -C "$SRC" push -q "http://admin:$PW@$HOST/scm/bench/on.git" main; on+=($(( $(now_us) - t )))
  t=$(now_us); git -C "$SRC" push -q "http://admin:$PW@$HOST/scm/bench/off.git" main; off+=($(( $(now_us) - t )))
done
on50=$(printf '%s\n' "${on[@]}" | pct 50); on95=$(printf '%s\n' "${on[@]}" | pct 95)
off50=$(printf '%s\n' "${off[@]}" | pct 50); off95=$(printf '%s\n' "${off[@]}" | pct 95)
echo "one-commit push over $PUSHES pushes: hook on p50 $on50 ms p95 $on95 ms; hook off p50 $off50 ms p95 $off95 ms"
awk -v a="$on50" -v b="$off50" -v c="$on95" -v d="$off95" 'BEGIN {printf "hook overhead: p50 %.1f ms, p95 %.1f ms\n", a-b, c-d}'
scans=$(grep -c 'push scanned' "$WORK/serve.err" || true)
echo "hook calls: repository on $(grep 'pre-receive' "$WORK/serve.err" | grep -c 'repository=on' || true), repository off $(grep 'pre-receive' "$WORK/serve.err" | grep -c 'repository=off' || true)"
echo "server-side scan of one-commit pushes (elapsed_ms in the log, p50): $(grep 'push scanned' "$WORK/serve.err" | grep -o 'elapsed_ms=[0-9]*' | cut -d= -f2 | awk '{print $1*1000}' | pct 50) ms over $scans pushes"

# 2. ~MB of new source text in one push.
rss() { awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$SERVER_PID/status"; }
echo "server peak RSS before the big push: $(rss)"
BIG="$WORK/big"
"$TARGET/corpus" tree "$BIG/tree" --mb "$MB" --seed 7 > "$WORK/planted"
git -C "$BIG" init -q
git -C "$BIG" add . && git -C "$BIG" commit -q -m big
bytes=$(cd "$BIG" && git ls-files -z | xargs -0 cat | wc -c)
echo "big push: $(git -C "$BIG" ls-files | wc -l) files, $(( bytes / 1024 / 1024 )) MB of text, $(wc -l < "$WORK/planted") planted secrets"
t=$(now_us)
if git -C "$BIG" push -q "http://admin:$PW@$HOST/scm/bench/big.git" main 2>"$WORK/big.out"; then verdict=accepted; else verdict=rejected; fi
total=$(( ($(now_us) - t) / 1000 ))
scan=$(grep 'push scanned' "$WORK/serve.err" | tail -1 | grep -o 'elapsed_ms=[0-9]*' | cut -d= -f2)
echo "hook on: push $verdict in $total ms; server-side scan $scan ms ($(grep -c '\[' "$WORK/big.out" || true) findings listed)"
echo "server peak RSS after the big push: $(rss)"
t=$(now_us); git -C "$BIG" push -q "http://admin:$PW@$HOST/scm/bench/bigoff.git" main
echo "hook off: push accepted in $(( ($(now_us) - t) / 1000 )) ms"
