#!/usr/bin/env bash
# The image's entry point: "demo [--once]" runs ./demo; anything else is passed to cba-proxy
# (e.g. --config /etc/cba-proxy/cba-proxy.yaml, --check-config FILE).
set -euo pipefail
cd /src
if [[ ${1:-demo} == demo ]]; then
  [[ $# -gt 0 ]] && shift
  exec ./demo "$@"
fi
exec build/release/proxy/cba-proxy "$@"
