#!/usr/bin/env bash
# tests/binary/serves-requests.sh PROXY_BIN UPSTREAM_BIN SOURCE_DIR: the built cba-proxy executable
# (main's wiring, its linked allocator, signal handling), where the integration tests run the server
# in-process. Runs config/demo.yaml on ports 18460-18462 against the demo upstream: alice's SID
# certificate gets 200 with her identity headers on 200 keep-alive requests over one connection, bob
# gets 403 account_disabled, SIGTERM drains and exits 0. Stops what it starts, by PID.
set -euo pipefail
proxy_bin=$1 upstream_bin=$2 src=$3
upstream_port=18460 proxy_port=18461 admin_port=18462
work=$(mktemp -d /tmp/cba-binary-test.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $work/proxy.log ]] && tail -n 20 "$work/proxy.log" >&2; exit 1; }

bash "$src/tests/pki/make-test-pki.sh" "$work/pki" >/dev/null
sed -e "s/127\.0\.0\.1:8443/127.0.0.1:$proxy_port/" -e "s/127\.0\.0\.1:8080/127.0.0.1:$upstream_port/" \
  -e "s/127\.0\.0\.1:9901/127.0.0.1:$admin_port/" "$src/config/demo.yaml" >"$work/demo.yaml"
grep -q "$proxy_port" "$work/demo.yaml" && grep -q "$admin_port" "$work/demo.yaml" || fail "config/demo.yaml's ports changed"

"$upstream_bin" --listen "127.0.0.1:$upstream_port" >"$work/upstream.log" 2>&1 &
pids+=($!)
"$proxy_bin" --config "$work/demo.yaml" >"$work/proxy.log" 2>&1 &
proxy_pid=$!
pids+=("$proxy_pid")
for ((i = 0; i < 100; i++)); do
  curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$admin_port/readyz" 2>/dev/null && break
  kill -0 "$proxy_pid" 2>/dev/null || fail "cba-proxy exited during start-up"
  sleep 0.1
done

as() {  # as CLIENT URL...: curl with CLIENT's certificate, one connection for every URL
  local client=$1
  shift
  curl -sS --noproxy '*' --max-time 30 --cacert "$work/pki/roots.pem" --cert "$work/pki/$client.pem" \
    --key "$work/pki/$client.key" "$@"
}
url=https://localhost:$proxy_port/owa/
urls=()
for ((i = 0; i < 200; i++)); do urls+=("$url?n=$i"); done
out=$(as alice-sid -w '%{http_code}\n' "${urls[@]}") || fail "curl as alice-sid: $out"
[[ $(grep -c '^200$' <<<"$out") == 200 ]] || fail "not 200 x 200: $(grep -v '^200$' <<<"$out" | sort | uniq -c | head)"
[[ $(grep -ci 'x-remote-user: alice' <<<"$out") == 200 ]] || fail "alice's identity header missing: $(head -c 600 <<<"$out")"
bob=$(as bob -w '\n%{http_code}' "$url") || true
[[ $bob == *"reason: account_disabled"* && $bob == *$'\n403' ]] || fail "bob: $bob"

kill -TERM "$proxy_pid"
status=0
wait "$proxy_pid" || status=$?
pids=("${pids[0]}")
[[ $status == 0 ]] || fail "cba-proxy exited $status after SIGTERM"
echo "ok: 200 x 200 for alice-sid on one connection, bob 403 account_disabled, SIGTERM exit 0"
