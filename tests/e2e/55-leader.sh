# Leader election over a real cozypkgd: candidates are
# build/tests/drivers/leader_driver processes sharing one Lease (3 s lease,
# 2 s renew deadline, 500 ms retry); the Lease is read back with kubectl.

LEASE_NS=le
LEASE_NAME=lock
CANDIDATES=()

# candidate ID: starts a candidate; its lines go to ID.out.
candidate() {
  "$BUILD/tests/drivers/leader_driver" --kubeconfig "$KUBECONFIG" \
    --identity "$1" --namespace $LEASE_NS --name $LEASE_NAME \
    --lease 3 --renew 2 --retry 500 >"$1.out" 2>"$1.err" &
  CANDIDATES+=($!)
  eval "PID_$1=$!"
}

# Every candidate still running is stopped before the server, whatever
# the outcome, so that none outlives the test.
stop_candidates() {
  local pid
  for pid in "${CANDIDATES[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${CANDIDATES[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  CANDIDATES=()
}

setup_election() {
  start_server --controllers=none
  trap 'stop_candidates; stop_server || exit 1' EXIT
  k create namespace $LEASE_NS >/dev/null
}

now() { date +%s.%N; }
# elapsed FROM TO: TO - FROM in seconds, three decimals.
elapsed() { python3 -c 'import sys; print("%.3f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }
# le A B: A <= B for decimals.
le() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2"; }

# wait_line FILE WORD SECONDS: waits for a "WORD" line in FILE and prints
# its timestamp.
wait_line() {
  local i
  for i in $(seq 1 $(($3 * 20))); do
    if grep -q " $2 " "$1" 2>/dev/null; then
      grep " $2 " "$1" | head -1 | cut -d' ' -f1
      return 0
    fi
    sleep 0.05
  done
  cat "$1" >&2
  fail "no '$2' line in $1 after $3 s"
}

# leaders: the candidates whose last event is "leading".
leaders() {
  local f
  for f in *.out; do
    [[ $(grep -E ' (leading|stopped) ' "$f" | tail -1 | cut -d' ' -f2) == leading ]] &&
      basename "$f" .out
  done
  return 0
}

# lease FIELD: one field of the Lease's spec, read with kubectl.
lease() {
  k get lease -n $LEASE_NS $LEASE_NAME -o json >lease.json
  python3 -c 'import json,sys; print(json.load(open("lease.json"))["spec"].get(sys.argv[1], ""))' "$1"
}

# first_leader: waits until one of a and b leads and prints its name.
first_leader() {
  local i
  for i in $(seq 1 100); do
    [[ -n $(leaders) ]] && { leaders; return 0; }
    sleep 0.05
  done
  fail "no candidate leads"
}

test_one_leader() {
  setup_election
  candidate a
  candidate b
  local who
  who=$(first_leader)
  sleep 2 # four renewals: the standby must stay a standby
  equals "$(leaders)" "$who"
  equals "$(cat a.out b.out | grep -c ' leading ')" 1
  equals "$(lease holderIdentity)" "$who"
  equals "$(lease leaseDurationSeconds)" 3
  equals "$(lease leaseTransitions)" 0
  # renewTime is a MicroTime and moves on while the leader renews.
  local r1 r2
  r1=$(lease renewTime)
  [[ $r1 =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$ ]] ||
    fail "renewTime not a MicroTime: $r1"
  sleep 1
  r2=$(lease renewTime)
  [[ $r1 != "$r2" ]] || fail "renewTime did not move: $r1"
}

test_kill9_failover() {
  setup_election
  candidate a
  wait_line a.out leading 5 >/dev/null
  candidate b
  sleep 1
  local t_kill t_lead took
  t_kill=$(now)
  kill -KILL "$PID_a"
  wait "$PID_a" 2>/dev/null || true
  t_lead=$(wait_line b.out leading 8)
  took=$(elapsed "$t_kill" "$t_lead")
  echo "standby leads $took s after kill -9"
  # The lease must run out first (3 s since the standby last saw it
  # change, at most one retry before the kill), and then the standby
  # acquires at its next retry.
  le 2.0 "$took" || fail "took over after $took s, before the lease expired"
  le "$took" 4.5 || fail "took over after $took s, lease is 3 s"
  equals "$(lease holderIdentity)" b
  equals "$(lease leaseTransitions)" 1
}

test_sigterm_releases() {
  setup_election
  candidate a
  wait_line a.out leading 5 >/dev/null
  candidate b
  sleep 1
  local t_term t_lead took status=0
  t_term=$(now)
  kill -TERM "$PID_a"
  wait "$PID_a" || status=$?
  equals "$status" 0
  contains a.out " stopped a"
  contains a.out " exited a"
  t_lead=$(wait_line b.out leading 5)
  took=$(elapsed "$t_term" "$t_lead")
  echo "standby leads $took s after SIGTERM"
  # Released: no waiting out the lease, only the standby's next retry.
  le "$took" 1.5 || fail "took over after $took s despite the release"
  equals "$(lease holderIdentity)" b
  equals "$(lease leaseTransitions)" 1
}

test_release_clears_holder() {
  setup_election
  candidate a
  wait_line a.out leading 5 >/dev/null
  kill -TERM "$PID_a"
  wait "$PID_a"
  equals "$(lease holderIdentity)" ""
  equals "$(lease leaseDurationSeconds)" 1
  # Nothing to wait out: a new candidate acquires at its first try.
  candidate a2
  wait_line a2.out leading 2 >/dev/null
  equals "$(lease holderIdentity)" a2
}

t "leader: of two candidates exactly one leads, named in the Lease" test_one_leader
t "leader: kill -9 of the leader, the standby leads once the lease runs out" test_kill9_failover
t "leader: SIGTERM releases the Lease, the standby takes over at once" test_sigterm_releases
t "leader: release clears the holder, a new candidate acquires at once" test_release_clears_holder
