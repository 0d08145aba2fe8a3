#!/bin/sh
# tests/lab/echo.cgi: the Exchange stand-in's only page (copied into LABDIR/apache/cgi by apache-up).
# Answers 200 text/plain: first line REMOTE_USER=<principal mod_auth_gssapi authenticated>, then what the
# request carried: method, URI, every HTTP_* header (HTTP_AUTHORIZATION too: CGIPassAuth is on) and, for
# a request with a body, BODY_LENGTH. Query parameters for tests: sleep=N (seconds, <= 120) delays the
# answer; status=NNN answers with that status.
set -u

status=200
delay=0
old_ifs=$IFS
IFS='&'
for kv in ${QUERY_STRING:-}; do
  case $kv in
    sleep=[0-9] | sleep=[0-9][0-9] | sleep=1[01][0-9] | sleep=120) delay=${kv#sleep=} ;;
    status=[1-5][0-9][0-9]) status=${kv#status=} ;;
  esac
done
IFS=$old_ifs

body_length=
if [ -n "${CONTENT_LENGTH:-}" ] || [ -n "${HTTP_TRANSFER_ENCODING:-}" ] || [ "${REQUEST_METHOD:-}" = POST ]; then
  body_length=$(wc -c | tr -d ' ')
fi
[ "$delay" -gt 0 ] && sleep "$delay"

printf 'Status: %s\n' "$status"
printf 'Content-Type: text/plain; charset=utf-8\n\n'
printf 'REMOTE_USER=%s\n' "${REMOTE_USER:-}"
printf 'AUTH_TYPE=%s\n' "${AUTH_TYPE:-}"
printf 'REQUEST_METHOD=%s\n' "${REQUEST_METHOD:-}"
printf 'REQUEST_URI=%s\n' "${REQUEST_URI:-}"
printf 'REMOTE_PORT=%s\n' "${REMOTE_PORT:-}"
env | grep '^HTTP_' | LC_ALL=C sort
[ -n "$body_length" ] && printf 'BODY_LENGTH=%s\n' "$body_length"
exit 0
