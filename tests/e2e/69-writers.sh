# Two cozypkgd servers, each with its own state and git mirror, publishing
# into one remote at once: 10 publishes each, half of them to a package
# both write.  The remote is served by git daemon (a real
# receive-pack) with receive.denyNonFastForwards, and its pre-receive hook
# holds every push to main a moment so that the two servers' pushes meet.
# Afterwards the remote's history and reflogs must show: a linear main,
# one commit per publish and none lost, every tag once on the content its
# writer pushed for it, no ref ever moved backwards or sideways, and at
# least one push refused by the remote and then retried.

WR_GIT() { git -c user.email=t@example.com -c user.name=t -c init.defaultBranch=main "$@"; }

WR_N=10 # publishes per writer
WR_TOKEN_A=writer-a-token-0123456789abcdef0123456789
WR_TOKEN_B=writer-b-token-0123456789abcdef0123456789

# wr_remote: ./srv/cat.git, refusing non-fast-forward pushes and logging
# every ref update (tags too), seeded with packages/README.md.  Its
# pre-receive hook logs each ref a push asks to update to ./attempts.log
# and holds a push to main for 0.3 s; ./accepted.log has what was done.
wr_remote() {
  mkdir -p srv
  WR_GIT init -q --bare srv/cat.git
  WR_GIT -C srv/cat.git config receive.denyNonFastForwards true
  WR_GIT -C srv/cat.git config core.logAllRefUpdates always
  WR_GIT init -q seed
  mkdir -p seed/packages
  echo '# packages' >seed/packages/README.md
  WR_GIT -C seed add -A && WR_GIT -C seed commit -qm seed
  WR_GIT -C seed push -q "$PWD/srv/cat.git" main
  cat >srv/cat.git/hooks/pre-receive <<H
#!/bin/sh
hold=
while read old new ref; do
  echo "\$old \$new \$ref" >>"$PWD/attempts.log"
  [ "\$ref" = refs/heads/main ] && hold=1
done
[ -z "\$hold" ] || sleep 0.2
exit 0
H
  cat >srv/cat.git/hooks/post-receive <<H
#!/bin/sh
cat >>"$PWD/accepted.log"
H
  chmod +x srv/cat.git/hooks/pre-receive srv/cat.git/hooks/post-receive
}

# wr_tokens: one approver per writer.
wr_tokens() {
  cat >tokens.csv <<T
$WR_TOKEN_A,anna,u1,"cozypkg:approvers"
$WR_TOKEN_B,boris,u2,"cozypkg:approvers"
T
}

# wr_server NAME TOKEN: a cozypkgd with its data (store, git mirror) in
# ./NAME and the kubeconfig ./NAME.kubeconfig for the approver's TOKEN.
# Its pid joins OP_PIDS, so the test's end stops it and requires a clean
# exit.
wr_server() {
  local name=$1 token=$2 pid i
  "$BUILD/cozypkgd" --data "$PWD/$name" --listen 127.0.0.1:0 --repository-interval 1h \
    --token-file "$PWD/tokens.csv" >"$PWD/$name.out" 2>"$PWD/$name.log" &
  pid=$!
  OP_PIDS+=("$pid")
  trap e2e_cleanup EXIT
  for i in $(seq 1 200); do
    grep -q '^kubeconfig:' "$name.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$name.log" >&2; fail "cozypkgd $name exited"; }
    sleep 0.05
  done
  sed "s/^\( *token:\).*/\1 $token/" "$name/kubeconfig" >"$name.kubeconfig"
  grep -q "token: $token" "$name.kubeconfig" || fail "no token in $name.kubeconfig"
  wait_until 10 kubectl --kubeconfig "$name.kubeconfig" get --raw /readyz
}

# wr_barrier WRITER OTHER I: the writers meet before each approval, so
# that their publishes run at the same moment.
wr_barrier() {
  touch "bar/$1.$3"
  local end=$((SECONDS + 30))
  until [[ -e bar/$2.$3 ]]; do
    [[ ! -e bar/$2.failed ]] || { echo "writer $2 failed" >&2; return 1; }
    ((SECONDS < end)) || { echo "writer $2 never reached $3" >&2; return 1; }
    sleep 0.02
  done
}

# wr_writer WRITER OTHER: WR_N publishes through the writer's own server:
# odd ones to nf/shared (which the other writer publishes at the same
# moment), even ones to the writer's own package.  Each pushes a
# values.yaml naming the writer and the publish, and records
# "WRITER I PACKAGE WORKSPACE REVISION" in ./WRITER.published, the
# revision being what the API reported.
wr_writer() {
  local w=$1 other=$2 i pkg ws name rev lw
  lw=$(tr 'A-Z' 'a-z' <<<"$w")
  local kc=(--kubeconfig "$lw.kubeconfig")
  for i in $(seq 1 "$WR_N"); do
    if ((i % 2)); then pkg=shared; else pkg=only-$lw; fi
    ws=w$lw-$i
    name=catalog.catalog.nf.$pkg.$ws
    "$COZYPKG" rpkg init "$name" "${kc[@]}" 2>>"$w.err" || { echo "$w $i: init" >&2; return 1; }
    printf -- '--- path: Kptfile\napiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: %s}\n--- path: values.yaml\nwriter: %s\ni: %s\n' \
      "$pkg" "$w" "$i" | "$COZYPKG" rpkg push "$name" "${kc[@]}" 2>>"$w.err" || { echo "$w $i: push" >&2; return 1; }
    "$COZYPKG" rpkg propose "$name" "${kc[@]}" 2>>"$w.err" || { echo "$w $i: propose" >&2; return 1; }
    wr_barrier "$w" "$other" "$i" || return 1
    "$COZYPKG" rpkg approve "$name" "${kc[@]}" 2>>"$w.err" || { echo "$w $i: approve" >&2; return 1; }
    rev=$("$COZYPKG" rpkg get "$name" "${kc[@]}" -o json |
      jq -r '.spec.lifecycle + " " + .spec.packageRevID.revision') || { echo "$w $i: get" >&2; return 1; }
    [[ $rev == "published v"* ]] || { echo "$w $i: $name is $rev" >&2; return 1; }
    echo "$w $i $pkg $ws ${rev#published }" >>"$w.published"
  done
}

# wr_run WRITER OTHER: wr_writer in the background's terms: a failure
# leaves bar/WRITER.failed for the other writer to see.
wr_run() {
  wr_writer "$1" "$2" >"$1.trace" 2>&1 || { cat "$1.trace" >&2; tail -n 5 "$1.err" >&2; touch "bar/$1.failed"; return 1; }
}

wr_git() { git --git-dir=srv/cat.git "$@"; }

test_writers_race() {
  wr_remote
  wr_tokens
  local port
  port=$(free_port)
  git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$PWD/srv" \
    --export-all --enable=receive-pack "$PWD/srv" 2>daemon.log &
  OCI_PIDS+=($!)
  trap e2e_cleanup EXIT
  wait_port "$port"
  local url="git://127.0.0.1:$port/cat.git"
  wr_server a "$WR_TOKEN_A"
  wr_server b "$WR_TOKEN_B"
  local s
  for s in a b; do
    "$COZYPKG" repo register catalog "$url" --directory packages --wait --kubeconfig "$s/kubeconfig" 2>>register.err ||
      { cat register.err >&2; fail "register on $s"; }
  done

  # The two writers, at once.
  mkdir bar
  local start=$SECONDS pa pb ra=0 rb=0
  wr_run A B &
  pa=$!
  wr_run B A &
  pb=$!
  wait "$pa" || ra=$?
  wait "$pb" || rb=$?
  echo "20 publishes by two writers in $((SECONDS - start)) s"
  ((ra == 0 && rb == 0)) || { tail -n 5 a.log b.log >&2; fail "a writer failed (A: $ra, B: $rb)"; }
  equals "$(cat A.published B.published | wc -l)" $((2 * WR_N))

  # The published branch: linear, the seed and one commit per publish.
  echo "--- git log --graph of the remote's main:"
  wr_git log --graph --format='%h %an: %s' main | tee graph.txt
  equals "$(wr_git rev-list --merges main | wc -l)" 0
  if grep -v '^\* ' graph.txt; then fail "the graph forks"; fi
  equals "$(wr_git rev-list --count main)" $((2 * WR_N + 1))
  equals "$(wr_git log --format=%s main | grep -c '^Publish packages/nf/')" $((2 * WR_N))
  # No draft branch left, and no other branch.
  equals "$(wr_git for-each-ref --format='%(refname)' refs/heads | tr '\n' ' ')" 'refs/heads/main '

  # Every tag once, numbers per package 1..count with none reused: each
  # writer's record of what the API said is one of them, and no two
  # publishes were given the same number.
  wr_git for-each-ref --format='%(refname:strip=2)' refs/tags >tags
  equals "$(wc -l <tags)" $((2 * WR_N))
  awk '{print "packages/nf/" $3 "/" $5}' A.published B.published | sort >reported
  sort tags >tags.sorted
  diff -u tags.sorted reported || fail "the tags are not the revisions the API reported"
  local pkg count
  for pkg in shared only-a only-b; do
    count=$(grep -c "^packages/nf/$pkg/" tags.sorted)
    equals "$(grep "^packages/nf/$pkg/" tags.sorted | sed 's|.*/v||' | sort -n | tr '\n' ' ')" "$(seq 1 "$count" | tr '\n' ' ')"
  done
  equals "$(grep -c '^packages/nf/shared/' tags.sorted)" "$WR_N"

  # Each tag is on the commit of its own publish: the content its writer
  # pushed, the writer's approver as author and committer, the message
  # naming that revision and workspace.
  local w i ws rev tag approver
  while read -r w i pkg ws rev; do
    tag=packages/nf/$pkg/$rev
    [[ $w == A ]] && approver=anna || approver=boris
    equals "$(wr_git show "$tag:packages/nf/$pkg/values.yaml")" "$(printf 'writer: %s\ni: %s' "$w" "$i")"
    equals "$(wr_git log -1 --format='%an %cn|%s' "$tag")" "$approver $approver|Publish packages/nf/$pkg $rev (workspace $ws)"
    wr_git merge-base --is-ancestor "$tag" main || fail "$tag is not on main"
  done < <(cat A.published B.published)
  # And every publish commit on main is one tag's.
  equals "$(wr_git log --format=%H main | grep -cFf <(wr_git for-each-ref --format='%(objectname)' refs/tags))" $((2 * WR_N))

  # Nothing forced: main's reflog is one fast-forward by one commit per
  # update, each starting where the one before ended; each tag was
  # created once and never moved.
  local zero=0000000000000000000000000000000000000000
  local prev=$zero old new n=0
  while read -r old new _; do
    equals "$old" "$prev"
    if [[ $old != "$zero" ]]; then
      equals "$(wr_git rev-parse "$new^")" "$old"
      equals "$(wr_git rev-list --count --merges "$old..$new")" 0
    fi
    prev=$new
    n=$((n + 1))
  done <srv/cat.git/logs/refs/heads/main
  equals "$n" $((2 * WR_N + 1))
  equals "$prev" "$(wr_git rev-parse main)"
  local f
  while read -r tag; do
    f=srv/cat.git/logs/refs/tags/$tag
    [[ -f $f ]] || fail "no reflog for $tag"
    equals "$(wc -l <"$f")" 1
    equals "$(cut -d' ' -f1 "$f")" "$zero"
  done <tags

  # The race happened and was retried: the remote refused pushes to main
  # (asked for, never done) and every publish still got through.
  local asked done_
  asked=$(grep -c ' refs/heads/main$' attempts.log)
  done_=$(grep -c ' refs/heads/main$' accepted.log)
  echo "pushes to main: $asked asked for, $done_ done"
  equals "$done_" $((2 * WR_N))
  ((asked > done_)) || fail "no push to main was refused: the writers never raced"

  # Both servers agree with git once synced: 20 published revisions,
  # each package's numbers once, the other writer's discovered.
  for s in a b; do
    k --kubeconfig "$s/kubeconfig" annotate repository -n default catalog \
      reconcile.fluxcd.io/requestedAt="$(date +%s%N)" --overwrite >/dev/null
  done
  for s in a b; do
    wait_until 20 wr_published_are "$s" tags.sorted
  done

  # Stopped together (each takes a while to stop), then required to
  # have exited cleanly.
  local p
  for p in "${OP_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  stop_operators
}

# wr_published_are SERVER FILE: the server's published revisions, as
# tags, are FILE's lines.
wr_published_are() {
  k --kubeconfig "$1/kubeconfig" get packagerevisions -n default -o json |
    jq -r '.items[] | select(.spec.lifecycle == "published") | .spec.packageRevID |
      "packages/\(.realm)/\(.package)/\(.revision)"' | sort >"published.$1"
  diff -u "$2" "published.$1"
}
t "writers: two cozypkgd publish 20 revisions into one remote at once: linear main, none lost, every tag once on its content, races retried, nothing forced" test_writers_race
