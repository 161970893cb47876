#!/usr/bin/env bash
# Server measurements (loopback only):
#   1. push and clone latency of a small repository through `keywarden serve` vs git over file://
#   2. requests per second of GET /rest/api/latest/projects with 1,000 projects (wrk)
#   3. the server's peak memory while receiving a large push (streamed, not buffered)
#
# Usage: bench/server.sh [--runs N] [--big-mb MB]
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=10
BIG_MB=200
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --big-mb) BIG_MB="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release -q -p keywarden
BIN="${CARGO_TARGET_DIR:-target}/release/keywarden"

WORK="$(mktemp -d)"
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

PW=bench-password
export KEYWARDEN_ADMIN_PASSWORD=$PW
RUST_LOG=warn "$BIN" serve --data-dir "$WORK/data" --bind 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
BASE="$(grep -o 'http://[0-9.:]*' "$WORK/serve.out" | head -1)"
HOST="${BASE#http://}"
AUTH=(-u "admin:$PW" -H 'X-Atlassian-Token: no-check')
echo "server: $BASE (pid $SERVER_PID), git $(git --version | cut -d' ' -f3), $(nproc) cores"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
export GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 HOME="$WORK"
git config --global user.name bench; git config --global user.email bench@example.com
git config --global init.defaultBranch main

# A small repository: 50 files of ~2 KB in 5 commits.
SRC="$WORK/src"; mkdir -p "$SRC"; git -C "$SRC" init -q
for c in 1 2 3 4 5; do
  for f in $(seq 10); do head -c 1500 /dev/urandom | base64 > "$SRC/file_${c}_$f.txt"; done
  git -C "$SRC" add . && git -C "$SRC" commit -q -m "commit $c"
done
echo "small repository: $(git -C "$SRC" count-objects -v | awk '/^(count|size):/ {printf "%s %s ", $1, $2}') (loose objects, KiB)"

curl -sf "${AUTH[@]}" -H 'Content-Type: application/json' -d '{"key":"BENCH","name":"Bench"}' "$BASE/rest/api/latest/projects" >/dev/null

push_http=(); push_file=(); clone_http=(); clone_file=()
for i in $(seq "$RUNS"); do
  curl -sf "${AUTH[@]}" -H 'Content-Type: application/json' -d "{\"name\":\"r$i\"}" "$BASE/rest/api/latest/projects/BENCH/repos" >/dev/null
  git init -q --bare "$WORK/bare$i.git"
  t=$(now_ms); git -C "$SRC" push -q "http://admin:$PW@$HOST/scm/bench/r$i.git" main; push_http+=($(( $(now_ms) - t )))
  t=$(now_ms); git -C "$SRC" push -q "file://$WORK/bare$i.git" main; push_file+=($(( $(now_ms) - t )))
  t=$(now_ms); git clone -q "http://admin:$PW@$HOST/scm/bench/r$i.git" "$WORK/ch$i"; clone_http+=($(( $(now_ms) - t )))
  t=$(now_ms); git clone -q "file://$WORK/bare$i.git" "$WORK/cf$i"; clone_file+=($(( $(now_ms) - t )))
done
echo "push  median over $RUNS runs: http $(printf '%s\n' "${push_http[@]}" | median) ms, file:// $(printf '%s\n' "${push_file[@]}" | median) ms"
echo "clone median over $RUNS runs: http $(printf '%s\n' "${clone_http[@]}" | median) ms, file:// $(printf '%s\n' "${clone_file[@]}" | median) ms"

# 1,000 projects, then wrk.
seq 1000 | xargs -P 4 -I{} curl -sf "${AUTH[@]}" -H 'Content-Type: application/json' \
  -d '{"key":"P{}","name":"Project {}"}' -o /dev/null "$BASE/rest/api/latest/projects"
COUNT=$(curl -sf -u "admin:$PW" "$BASE/rest/api/latest/projects?limit=1000" | grep -o '"key"' | wc -l)
echo "projects: $COUNT (listed with limit=1000)"
BASIC="Authorization: Basic $(printf 'admin:%s' "$PW" | base64)"
for path in "/rest/api/latest/projects" "/rest/api/latest/projects?limit=1000" "/status"; do
  echo "wrk -t2 -c16 -d10s $path:"
  wrk -t2 -c16 -d10s -H "$BASIC" "$BASE$path" | grep -E 'Requests/sec|Latency|Non-2xx'
done

# Peak memory while receiving a large push.
rss() { awk '/VmHWM/ {print $2/1024 " MB"}' "/proc/$SERVER_PID/status"; }
echo "server peak RSS before the big push: $(rss)"
BIG="$WORK/big"; mkdir -p "$BIG"; git -C "$BIG" init -q
head -c $((BIG_MB * 1024 * 1024)) /dev/urandom > "$BIG/blob.bin"
git -C "$BIG" add . && git -C "$BIG" commit -q -m big
curl -sf "${AUTH[@]}" -H 'Content-Type: application/json' -d '{"name":"big"}' "$BASE/rest/api/latest/projects/BENCH/repos" >/dev/null
t=$(now_ms); git -C "$BIG" -c http.postBuffer=1048576 push -q "http://admin:$PW@$HOST/scm/bench/big.git" main
echo "pushed ${BIG_MB} MB in $(( $(now_ms) - t )) ms; server peak RSS after: $(rss)"
