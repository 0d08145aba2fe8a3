# shellcheck shell=bash
# tests/lab/lab-lib.sh: helpers shared by the lab scripts (sourced, not run). Every process the lab starts
# is tracked by a PID file; these helpers only ever signal the PID in that file, and only after checking
# that the process still is the program we started (PID reuse).

# Debian's python3-samba lives under /usr/bin/python3; a pyenv/venv python3 earlier in PATH lacks it.
LAB_PYTHON=/usr/bin/python3

lab_die() {
  echo "${0##*/}: $*" >&2
  exit 1
}

lab_need_root() {
  [[ $(id -u) -eq 0 ]] || lab_die "run as root (Samba and Apache need it here)"
}

# lab_pid_alive PIDFILE COMM: prints the PID and succeeds when PIDFILE names a live process whose
# /proc/PID/comm is COMM.
lab_pid_alive() {
  local pidfile=$1 comm=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  # A zombie still has a comm; it is not running.
  lab_same_process "$pid" "$comm" || return 1
  echo "$pid"
}

# lab_descendants PID: prints PID's descendants, one "PID COMM" a line.
lab_descendants() {
  local queue=("$1") p k
  while [[ ${#queue[@]} -gt 0 ]]; do
    p=${queue[0]}
    queue=("${queue[@]:1}")
    for k in $(cat /proc/"$p"/task/*/children 2>/dev/null || true); do
      echo "$k $(cat /proc/"$k"/comm 2>/dev/null || echo '?')"
      queue+=("$k")
    done
  done
}

# lab_same_process PID COMM: PID is alive (not a zombie) and still runs COMM.
lab_same_process() {
  [[ -r /proc/$1/comm && $(<"/proc/$1/comm") == "$2" ]] || return 1
  [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# lab_stop_pid PIDFILE COMM SECONDS: TERM, wait up to SECONDS, then KILL. The process's descendants
# (prefork workers, Apache's children) are recorded before the signal; the parent normally takes them
# down, and any that outlive it by 5 s are killed by their PID. Idempotent; removes PIDFILE.
lab_stop_pid() {
  local pidfile=$1 comm=$2 seconds=$3 pid i kids kid kcomm
  if pid=$(lab_pid_alive "$pidfile" "$comm"); then
    kids=$(lab_descendants "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < seconds * 10; i++)); do
      lab_same_process "$pid" "$comm" || break
      sleep 0.1
    done
    if lab_same_process "$pid" "$comm"; then
      echo "${0##*/}: PID $pid ($comm) ignored TERM for ${seconds}s; sending KILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        lab_same_process "$pid" "$comm" || break
        sleep 0.1
      done
    fi
    while read -r kid kcomm; do
      [[ -n $kid ]] || continue
      for ((i = 0; i < 50; i++)); do
        lab_same_process "$kid" "$kcomm" || break
        sleep 0.1
      done
      if lab_same_process "$kid" "$kcomm"; then
        echo "${0##*/}: child PID $kid ($kcomm) outlived PID $pid; sending KILL" >&2
        kill -KILL "$kid" 2>/dev/null || true
      fi
    done <<<"$kids"
    echo "${0##*/}: stopped $comm (PID $pid)"
  fi
  rm -f "$pidfile"
}

# lab_tcp_open PORT: succeeds when something accepts TCP connections on 127.0.0.1:PORT.
lab_tcp_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# lab_free_port: prints a TCP port that is free on 127.0.0.1 right now.
lab_free_port() {
  "$LAB_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# lab_var FILE NAME VALUE: appends NAME=VALUE to a shell-sourceable file, quoted only when needed (so
# simple KEY=VALUE parsers read the usual values as they are).
lab_var() {
  if [[ $3 =~ ^[-A-Za-z0-9_./:,=@+%]*$ ]]; then
    printf '%s=%s\n' "$2" "$3" >>"$1"
  else
    printf '%s=%q\n' "$2" "$3" >>"$1"
  fi
}

# lab_rss_pss PID...: prints "RSS_KiB PSS_KiB" summed over the PIDs and all their descendants.
lab_rss_pss() {
  local pids=("$@") all=() p kids rss=0 pss=0 r s
  while [[ ${#pids[@]} -gt 0 ]]; do
    p=${pids[0]}
    pids=("${pids[@]:1}")
    all+=("$p")
    kids=$(cat /proc/"$p"/task/*/children 2>/dev/null || true)
    for k in $kids; do pids+=("$k"); done
  done
  for p in "${all[@]}"; do
    r=$(awk '/^Rss:/{print $2}' /proc/"$p"/smaps_rollup 2>/dev/null || echo 0)
    s=$(awk '/^Pss:/{print $2}' /proc/"$p"/smaps_rollup 2>/dev/null || echo 0)
    rss=$((rss + ${r:-0}))
    pss=$((pss + ${s:-0}))
  done
  echo "$rss $pss ${#all[@]}"
}
