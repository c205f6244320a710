# Git sources with git_tool against real servers: bare repositories on disk
# (file://), `git http-backend` behind tests/e2e/tools/git_http.py (Basic
# auth, bearer token, TLS with a private CA) and `git daemon` (git://).

GIT_TOOL() { "$BUILD/tests/drivers/git_tool" "$@"; }
GITC() { git -c user.email=t@example.com -c user.name=t -c init.defaultBranch=master "$@"; }

# Background processes of the test, stopped when it ends.
GIT_PIDS=()
git_stop_all() {
  local p
  for p in "${GIT_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  GIT_PIDS=()
}

# git_repo: ./work (a clone) and ./srv/repo.git (the bare remote) with
# master, dev, tags v1.0.0 (light), v1.1.0 (annotated), v2.0.0, and
# refs/pull/7/head.
git_repo() {
  mkdir -p srv
  GITC init -q --bare srv/repo.git
  GITC init -q work
  (
    cd work
    echo one > a.txt; mkdir -p charts/app; echo 'name: app' > charts/app/Chart.yaml
    printf '#!/bin/sh\n' > run.sh; chmod +x run.sh
    GITC add -A; GITC commit -qm one; GITC tag v1.0.0; GITC tag -a v1.1.0 -m rel
    echo two > b.txt; GITC add -A; GITC commit -qm two; GITC tag v2.0.0
    GITC checkout -qb dev; echo dev > dev.txt; GITC add -A; GITC commit -qm dev
    GITC checkout -q master
    GITC push -q ../srv/repo.git master dev --tags
    GITC push -q ../srv/repo.git dev:refs/pull/7/head
  )
}

git_push_commit() { # MESSAGE
  (cd work && echo "$1" > "$1.txt" && GITC add -A && GITC commit -qm "$1" && GITC push -q ../srv/repo.git master)
}

# field NAME: the value of NAME= in ./out
field() { sed -n "s/^$1=//p" out; }

# start_git_http ARGS...: serves ./srv; HTTP_PORT is its port.
start_git_http() {
  rm -f http.port
  python3 "$E2E_DIR/tools/git_http.py" "$PWD/srv" "$PWD/http.port" --log "$PWD/http.log" "$@" 2>>http.err &
  GIT_PIDS+=($!)
  trap git_stop_all EXIT
  local i
  for i in $(seq 1 100); do [[ -s http.port ]] && break; sleep 0.05; done
  [[ -s http.port ]] || { cat http.err >&2; fail "git_http.py did not start"; }
  HTTP_PORT=$(cat http.port)
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

test_git_file_refs() {
  git_repo
  local url="file://$PWD/srv/repo.git" master dev v1 v2
  master=$(git -C work rev-parse master); dev=$(git -C work rev-parse dev)
  v1=$(git -C work rev-parse v1.0.0); v2=$(git -C work rev-parse v2.0.0)
  expect_exit 0 GIT_TOOL resolve "$url"
  equals "$(field revision)" "master@sha1:$master"
  expect_exit 0 GIT_TOOL resolve "$url" --branch dev
  equals "$(field revision)" "dev@sha1:$dev"
  expect_exit 0 GIT_TOOL resolve "$url" --tag v1.1.0 --branch dev
  equals "$(field revision)" "v1.1.0@sha1:$v1"
  expect_exit 0 GIT_TOOL resolve "$url" --semver '>=1.0.0 <2.0.0' --tag v2.0.0
  equals "$(field revision)" "v1.1.0@sha1:$v1"
  expect_exit 0 GIT_TOOL resolve "$url" --semver '*'
  equals "$(field revision)" "v2.0.0@sha1:$v2"
  expect_exit 0 GIT_TOOL resolve "$url" --name refs/pull/7/head --semver '*'
  equals "$(field revision)" "refs/pull/7/head@sha1:$dev"
  expect_exit 0 GIT_TOOL resolve "$url" --commit "$v1" --name refs/pull/7/head
  equals "$(field revision)" "sha1:$v1"
  # a plain path and a fetch into the cache give the same answers
  expect_exit 0 GIT_TOOL resolve "$PWD/srv/repo.git" --branch dev --cache cache
  equals "$(field revision)" "dev@sha1:$dev"
  expect_exit 0 GIT_TOOL resolve "$url" --commit "$master" --branch dev --cache cache
  equals "$(field revision)" "dev@sha1:$master"
  expect_exit 1 GIT_TOOL resolve "$url" --commit "$dev" --branch master --cache cache
  contains err "is not in branch master"
  expect_exit 1 GIT_TOOL resolve "$url" --branch nope
  contains err "refs/heads/nope not found"
  [[ $(wc -l <err) -eq 1 ]] || fail "more than one line: $(cat err)"
  expect_exit 1 GIT_TOOL resolve "$url" --semver '>=9'
  contains err "no tag matches semver >=9"
}
t "git: file:// refs, precedence and revisions" test_git_file_refs

test_git_file_export() {
  git_repo
  local url="file://$PWD/srv/repo.git"
  expect_exit 0 GIT_TOOL export "$url" tag:v1.1.0 out1 --cache cache
  [[ -f out1/charts/app/Chart.yaml && -x out1/run.sh && ! -e out1/b.txt && ! -e out1/.git ]] ||
    fail "export content: $(find out1)"
  [[ $(stat -c %a out1/a.txt) == 644 && $(stat -c %a out1/run.sh) == 755 ]] || fail "modes"
  diff -r out1/charts work/charts
  expect_exit 1 GIT_TOOL export "$url" master out1 --cache cache
  contains err "not an empty directory"
  # a tree entry named ".." made with plumbing is refused, naming it
  local blob tree commit
  blob=$(echo evil | git -C srv/repo.git hash-object -w --stdin)
  tree=$(python3 -c 'import sys;sys.stdout.buffer.write(b"100644 ..\0"+bytes.fromhex(sys.argv[1]))' "$blob" |
         git -C srv/repo.git hash-object -t tree -w --literally --stdin)
  commit=$(echo evil | GITC -C srv/repo.git commit-tree "$tree")
  git -C srv/repo.git update-ref refs/heads/evil "$commit"
  expect_exit 1 GIT_TOOL export "$url" branch:evil out2 --cache cache
  contains err 'refusing tree entry ".."'
  [[ -z $(ls -A out2) ]] || fail "out2 not cleaned"
}
t "git: export writes the tree (modes, no .git) and refuses hostile entries" test_git_file_export

test_git_file_changes() {
  git_repo
  local url="file://$PWD/srv/repo.git" r1 r2
  expect_exit 0 GIT_TOOL resolve "$url" --cache cache
  r1=$(field revision)
  equals "$(field cache_hit)" 0
  # unchanged: the ls-remote answer equals the cached revision, no download
  expect_exit 0 GIT_TOOL resolve "$url"
  equals "$(field revision)" "$r1"
  expect_exit 0 GIT_TOOL resolve "$url" --cache cache
  equals "$(field cache_hit)" 1
  git_push_commit three
  expect_exit 0 GIT_TOOL resolve "$url"
  r2=$(field revision)
  [[ $r2 != "$r1" && $r2 == "master@sha1:$(git -C work rev-parse master)" ]] || fail "revision did not change: $r2"
  expect_exit 0 GIT_TOOL resolve "$url" --cache cache
  equals "$(field revision)" "$r2"
  # (the objects counts are compared over http and git://: libgit2's
  # local transport packs every tag of the remote again)
  [[ $(ls cache | grep -c '\.git$') -eq 1 ]] || fail "one bare repository per URL: $(ls cache)"
}
t "git: a pushed commit changes the revision; the cache is fetched into, not re-cloned" test_git_file_changes

test_git_http_basic() {
  git_repo
  start_git_http --basic 'alice:s3cr3t-pw'
  local url="http://127.0.0.1:$HTTP_PORT/repo.git" master r1 b1 b2
  master=$(git -C work rev-parse master)
  expect_exit 0 GIT_TOOL resolve "$url" --user alice --password s3cr3t-pw --cache cache
  equals "$(field revision)" "master@sha1:$master"
  b1=$(field bytes)
  expect_exit 0 GIT_TOOL resolve "$url" --user alice --password s3cr3t-pw --semver '^1'
  equals "$(field revision)" "v1.1.0@sha1:$(git -C work rev-parse v1.0.0)"
  # wrong password: one line, no password in it
  expect_exit 1 GIT_TOOL resolve "$url" --user alice --password wr0ng-pw --cache cache
  contains err "authentication failed"
  lacks err "wr0ng-pw"
  [[ $(wc -l <err) -eq 1 ]] || fail "more than one line: $(cat err)"
  # credentials in the URL never reach the message either
  expect_exit 1 GIT_TOOL resolve "http://alice:wr0ng-pw@127.0.0.1:$HTTP_PORT/repo.git"
  lacks err "wr0ng-pw"
  contains err "http://127.0.0.1:$HTTP_PORT/repo.git"
  expect_exit 1 GIT_TOOL resolve "$url"
  contains err "authentication required"
  # a new commit over HTTP: the second fetch transfers less
  git_push_commit three
  expect_exit 0 GIT_TOOL resolve "$url" --user alice --password s3cr3t-pw --cache cache
  b2=$(field bytes)
  ((b2 < b1)) || fail "second fetch got $b2 bytes, first $b1"
  equals "$(field revision)" "master@sha1:$(git -C work rev-parse master)"
  expect_exit 0 GIT_TOOL export "$url" tag:v2.0.0 tree --cache cache --user alice --password s3cr3t-pw
  [[ -f tree/b.txt ]] || fail "export over http"
}
t "git: http with Basic auth; wrong password is one clean line; fetches are incremental" test_git_http_basic

test_git_http_bearer() {
  git_repo
  start_git_http --bearer 'tok-abc123'
  local url="http://127.0.0.1:$HTTP_PORT/repo.git"
  expect_exit 0 GIT_TOOL resolve "$url" --bearer tok-abc123 --branch dev --cache cache
  equals "$(field revision)" "dev@sha1:$(git -C work rev-parse dev)"
  expect_exit 1 GIT_TOOL resolve "$url" --bearer tok-wrong
  contains err "authentication failed"
  lacks err "tok-wrong"
  grep -q "GET /repo.git/info/refs?service=git-upload-pack 200" http.log || fail "no authorised request logged"
}
t "git: http with a bearer token" test_git_http_bearer

test_git_https_ca() {
  git_repo
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
    -subj "/CN=test-ca" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1\n' > ext.cnf
  openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt \
    -days 2 -extfile ext.cnf >/dev/null 2>&1
  start_git_http --tls srv.crt srv.key
  local url="https://127.0.0.1:$HTTP_PORT/repo.git"
  expect_exit 1 GIT_TOOL resolve "$url"
  expect_exit 0 GIT_TOOL resolve "$url" --ca-file ca.crt --cache cache
  equals "$(field revision)" "master@sha1:$(git -C work rev-parse master)"
  # another CA is not enough
  openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 2 \
    -subj "/CN=other" >/dev/null 2>&1
  expect_exit 1 GIT_TOOL resolve "$url" --ca-file other.crt
  contains err "certificate"
}
t "git: https trusts a CA file" test_git_https_ca

test_git_daemon() {
  git_repo
  local port
  port=$(free_port)
  git daemon --reuseaddr --export-all --base-path="$PWD/srv" --listen=127.0.0.1 --port="$port" \
    "$PWD/srv" 2>daemon.log &
  GIT_PIDS+=($!)
  trap git_stop_all EXIT
  local i url="git://127.0.0.1:$port/repo.git"
  for i in $(seq 1 100); do GIT_TOOL resolve "$url" >out 2>err && break; sleep 0.05; done
  equals "$(field revision)" "master@sha1:$(git -C work rev-parse master)"
  expect_exit 0 GIT_TOOL resolve "$url" --semver '~1' --cache cache
  equals "$(field revision)" "v1.1.0@sha1:$(git -C work rev-parse v1.0.0)"
  git_push_commit four
  local o1 o2
  expect_exit 0 GIT_TOOL resolve "$url" --cache cache
  o1=$(field objects)
  git_push_commit five
  expect_exit 0 GIT_TOOL resolve "$url" --cache cache
  equals "$(field revision)" "master@sha1:$(git -C work rev-parse master)"
  equals "$(field cache_hit)" 0
  o2=$(field objects)
  ((o2 == 3)) || fail "after one new commit $o2 objects came (before: $o1)"
  expect_exit 1 GIT_TOOL resolve "git://127.0.0.1:$port/missing.git"
}
t "git: git daemon on a loopback port" test_git_daemon
