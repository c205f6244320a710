# The marketplace index: `cozypkg index validate` on good and bad input,
# `cozypkg search` from a directory, a git repository (file:// and git
# daemon), an OCI artifact pushed with `cozypkg index push` to Debian's
# docker-registry, the location order and the TAPPED column against a
# real cozypkgd.

IDX_GITC() { git -c user.email=t@example.com -c user.name=t -c init.defaultBranch=main "$@"; }

# idx_entry DIR FILE NAME [EXTRA...]: a valid entry, with extra lines.
idx_entry() {
  local dir=$1 file=$2 name=$3; shift 3
  mkdir -p "$dir/entries"
  {
    echo "name: $name"
    echo "ociRef: oci://ghcr.io/${name%%.*}/${name#*.}-packages"
    echo "version: v1.0.0"
    echo "description: The $name packages for Cozystack"
    echo "maintainer: ${name%%.*} team"
    echo "homepage: https://example.org/$name"
    echo "tags: [demo, ${name#*.}]"
    local l
    for l in "$@"; do echo "$l"; done
  } >"$dir/entries/$file"
}

# idx_good DIR: three entries, one key-signed, one keyless, one unsigned.
idx_good() {
  idx_entry "$1" acme.redis.yaml acme.redis 'signing:' '  key: |'
  openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl ec -pubout 2>/dev/null |
    sed 's/^/    /' >>"$1/entries/acme.redis.yaml"
  idx_entry "$1" beta.pg.yaml beta.pg 'signing:' \
    '  identity: https://github.com/beta/pg/.github/workflows/release.yaml@refs/heads/main' \
    '  issuer: https://token.actions.githubusercontent.com'
  idx_entry "$1" redis.yaml redis
}

test_index_validate_good() {
  idx_good ix
  expect_exit 0 "$COZYPKG" index validate ix
  contains out 'ix: 3 entries, all valid'
  expect_exit 2 "$COZYPKG" index validate
  expect_exit 2 "$COZYPKG" index frobnicate ix
  expect_exit 0 "$COZYPKG" index --help
  contains out 'index validate DIR'
}
t "index validate: a good index is clean (0), bad usage is 2" test_index_validate_good

# idx_bad_case NAME WANT: validate ./bad exits 1 with the line WANT.
idx_bad_case() {
  expect_exit 1 "$COZYPKG" index validate bad
  contains err "$2"
  rm -rf bad
}

test_index_validate_bad() {
  idx_entry bad a.yaml acme.a; echo 'tags: [unclosed' >>bad/entries/a.yaml
  idx_bad_case malformed 'entries/a.yaml:8:'
  idx_entry bad a.yaml acme.dup; idx_entry bad b.yaml acme.dup
  idx_bad_case duplicate 'entries/b.yaml:1: name: "acme.dup" is already used by entries/a.yaml'
  idx_entry bad a.yaml acme.tag; sed -i 's|^ociRef: .*|ociRef: ghcr.io/acme/tag:v1|' bad/entries/a.yaml
  idx_bad_case tag 'entries/a.yaml:2: ociRef: must not carry a tag: the tag is the version field'
  idx_entry bad a.yaml cozystack.mine
  idx_bad_case reserved 'entries/a.yaml:1: name: the prefixes "cozystack." and "community." are reserved'
  idx_entry bad a.yaml Acme_Bad
  idx_bad_case badname 'entries/a.yaml:1: name: must be a lowercase RFC 1123 name'
  idx_entry bad a.yaml acme.unknown 'colour: red'
  idx_bad_case unknown 'entries/a.yaml:8: colour: unknown field'
  idx_entry bad a.yaml acme.big "# $(head -c 70000 /dev/zero | tr '\0' x)"
  idx_bad_case oversized 'bytes, over the 65536-byte limit for one entry'
  grep -qE '^entries/a.yaml: [0-9]+ bytes, over' err || fail 'the oversized entry is not named'
  # Over 64 MiB in all: one line for the whole index, not one per file.
  mkdir -p bad/entries
  local i
  for i in $(seq 1 1100); do head -c 65000 /dev/zero | tr '\0' '#' >"bad/entries/f$i.yaml"; done
  expect_exit 1 "$COZYPKG" index validate bad
  equals "$(wc -l <err)" 1
  contains err 'the index is over 67108864 bytes, the limit for a whole index'
}
t "index validate: each problem is one FILE:LINE: FIELD line, exit 1" test_index_validate_bad

test_search_dir() {
  idx_good ix
  HOME=$PWD KUBECONFIG=$PWD/none expect_exit 0 "$COZYPKG" search --index ix redis
  # exact name first, then by name; no cluster: TAPPED "-" and one warning
  equals "$(awk 'NR>1 {print $1}' out | tr '\n' ' ')" "redis acme.redis "
  contains out 'NAME         VERSION   MAINTAINER   SIGNED   TAPPED   DESCRIPTION'
  equals "$(awk '$1=="acme.redis" {print $5, $6}' out)" "key -"
  equals "$(grep -c . err)" 1
  contains err 'warning: TAPPED unknown'
  HOME=$PWD KUBECONFIG=$PWD/none expect_exit 0 "$COZYPKG" search --index ix PG -o json
  python3 - <<'PY'
import json
d = json.load(open("out"))
(e,) = d["items"]
assert e["name"] == "beta.pg" and e["ociRef"] == "ghcr.io/beta/pg-packages", e
assert e["version"] == "v1.0.0" and e["signed"] == "keyless" and e["tapped"] is None, e
assert e["signing"]["issuer"] == "https://token.actions.githubusercontent.com", e
assert e["tags"] == ["demo", "pg"] and e["maintainer"] == "beta team", e
assert e["homepage"] == "https://example.org/beta.pg", e
PY
  HOME=$PWD KUBECONFIG=$PWD/none expect_exit 0 "$COZYPKG" search --index ix -o yaml nothing-matches
  contains out 'items: []'
}
t "search: a directory index, order, columns and -o json fields" test_search_dir

test_search_git() {
  idx_good work
  IDX_GITC init -q work
  (cd work && IDX_GITC add -A && IDX_GITC commit -qm index && IDX_GITC tag v1)
  IDX_GITC init -q --bare srv/index.git
  (cd work && IDX_GITC push -q ../srv/index.git main --tags)
  export HOME=$PWD KUBECONFIG=$PWD/none
  expect_exit 0 "$COZYPKG" search --index "file://$PWD/srv/index.git" redis
  equals "$(awk 'NR>1 {print $1}' out | tr '\n' ' ')" "redis acme.redis "
  # a later commit on main; the tag still has the old one
  (cd work && git rm -q entries/redis.yaml && IDX_GITC commit -qm drop && IDX_GITC push -q ../srv/index.git main)
  expect_exit 0 "$COZYPKG" search --index "file://$PWD/srv/index.git#main" redis
  equals "$(awk 'NR>1 {print $1}' out | tr '\n' ' ')" "acme.redis "
  expect_exit 0 "$COZYPKG" search --index "file://$PWD/srv/index.git#tag=v1" redis
  equals "$(awk 'NR>1 {print $1}' out | tr '\n' ' ')" "redis acme.redis "
  # git daemon (git://)
  local port; port=$(free_port)
  git daemon --reuseaddr --export-all --base-path="$PWD/srv" --listen=127.0.0.1 --port="$port" "$PWD/srv" 2>daemon.log &
  OCI_PIDS+=($!); trap e2e_cleanup EXIT
  wait_port "$port"
  expect_exit 0 "$COZYPKG" search --index "git://127.0.0.1:$port/index.git" pg
  equals "$(awk 'NR>1 {print $1}' out)" "beta.pg"
  # scratch directories are removed
  [[ -z $(ls "${TMPDIR:-/tmp}" | grep "^cozypkg-index-" | xargs -r -I{} find "${TMPDIR:-/tmp}/{}" -newer daemon.log -maxdepth 0) ]]
}
t "search: a git index over file:// (#BRANCH, #tag=) and git://" test_search_git

test_search_oci() {
  start_registry plain
  idx_good ix
  expect_exit 0 "$COZYPKG" index push ix "oci://$REG/cozystack/packages-index:latest" --insecure
  [[ $(cat out) == sha256:* ]] || fail "no digest printed: $(cat out)"
  export HOME=$PWD KUBECONFIG=$PWD/none XDG_CACHE_HOME=$PWD/cache
  expect_exit 0 "$COZYPKG" search --insecure --index "oci://$REG/cozystack/packages-index:latest" -o json
  equals "$(python3 -c 'import json; print(" ".join(e["name"] for e in json.load(open("out"))["items"]))')" \
    "acme.redis beta.pg redis"
  # the loaded index is cached under its manifest digest: the next search
  # reads the cache (an edit of the cached bytes shows), and a new push to
  # the same tag is a new digest, read afresh
  equals "$(ls cache/cozypkg/index | wc -l)" 1
  python3 - cache/cozypkg/index/* <<'P'
import sys
p = sys.argv[1]; b = open(p, 'rb').read()
open(p, 'wb').write(b.replace(b'The beta.pg packages', b'THE beta.pg packages'))
P
  expect_exit 0 "$COZYPKG" search --insecure --index "oci://$REG/cozystack/packages-index:latest" beta.pg
  contains out 'THE beta.pg packages'
  idx_entry ix gamma.yaml gamma.kv
  expect_exit 0 "$COZYPKG" index push ix "oci://$REG/cozystack/packages-index:latest" --insecure
  expect_exit 0 "$COZYPKG" search --insecure --index "oci://$REG/cozystack/packages-index:latest"
  equals "$(awk 'NR>1 {print $1}' out | tr '\n' ' ')" "acme.redis beta.pg gamma.kv redis "
  contains out 'The beta.pg packages'
  equals "$(ls cache/cozypkg/index | wc -l)" 2
  rm ix/entries/gamma.yaml
  # by digest, too
  local digest; digest=$("$COZYPKG" index push ix "oci://$REG/cozystack/packages-index:v2" --insecure 2>/dev/null)
  expect_exit 0 "$COZYPKG" search --insecure --index "oci://$REG/cozystack/packages-index@$digest" beta
  equals "$(awk 'NR>1 {print $1}' out)" "beta.pg"
  # an invalid index is never pushed
  idx_entry ix z.yaml cozystack.z
  expect_exit 1 "$COZYPKG" index push ix "oci://$REG/cozystack/packages-index:bad" --insecure
  contains err 'nothing was pushed'
  expect_exit 1 skopeo inspect --tls-verify=false "docker://$REG/cozystack/packages-index:bad"
}
t "index push + search: an OCI index in docker-registry" test_search_oci

test_index_validate_online() {
  start_registry plain
  idx_good ix
  mkdir -p r/packages/apps/a && echo x >r/packages/apps/a/f
  local d; d=$("$COZYPKG" push --insecure --skip-validate --path r --source s --revision v "oci://$REG/acme/redis-packages:v1.0.0" 2>/dev/null)
  rm ix/entries/beta.pg.yaml ix/entries/redis.yaml
  sed -i "s|^ociRef: .*|ociRef: $REG/acme/redis-packages|" ix/entries/acme.redis.yaml
  # The entry's key has signed nothing: refused online.
  expect_exit 1 "$COZYPKG" index validate ix --online --insecure
  contains err "entries/acme.redis.yaml: signing.key: no signature for acme/redis-packages@$d"
  # Signed with the entry's key: valid.
  "$COZYPKG" keygen --output-key-prefix k >/dev/null 2>&1
  "$COZYPKG" sign --insecure --key k.key "oci://$REG/acme/redis-packages:v1.0.0" >/dev/null 2>&1
  sed -i '/^signing:/,$d' ix/entries/acme.redis.yaml
  { echo "signing:"; echo "  key: |"; sed 's/^/    /' k.pub; } >>ix/entries/acme.redis.yaml
  expect_exit 0 "$COZYPKG" index validate ix --online --insecure
  contains out 'all valid and present in their registries'
  echo "digest: sha256:$(printf '0%.0s' $(seq 64))" >>ix/entries/acme.redis.yaml
  expect_exit 1 "$COZYPKG" index validate ix --online --insecure
  contains err "entries/acme.redis.yaml: digest: $REG/acme/redis-packages:v1.0.0 is $d in the registry"
  sed -i "s|^digest: .*|digest: $d|; s|^version: .*|version: v9|" ix/entries/acme.redis.yaml
  expect_exit 1 "$COZYPKG" index validate ix --online --insecure
  contains err "entries/acme.redis.yaml: version: $REG/acme/redis-packages:v9:"
}
t "index validate --online: versions and pinned digests in a real registry" test_index_validate_online

test_search_unreachable_and_location() {
  export HOME=$PWD KUBECONFIG=$PWD/none XDG_CONFIG_HOME=$PWD/cfg
  local port; port=$(free_port)
  expect_exit 1 "$COZYPKG" search --insecure --index "oci://127.0.0.1:$port/idx:latest"
  equals "$(grep -c . err)" 1
  contains err "cannot read the index oci://127.0.0.1:$port/idx:latest (from --index)"
  contains err 'choose another with --index, COZYPKG_INDEX or index: in'
  expect_exit 1 "$COZYPKG" search --index "http://127.0.0.1:$port/idx.git"
  equals "$(grep -c . err)" 1
  contains err "cannot read the index http://127.0.0.1:$port/idx.git"
  # the order: --index, then COZYPKG_INDEX, then the config file
  idx_entry from-flag entries.yaml acme.flag; idx_entry from-env e.yaml acme.env
  idx_entry from-cfg c.yaml acme.cfg
  mkdir -p cfg/cozypkg && echo "index: $PWD/from-cfg" >cfg/cozypkg/config.yaml
  expect_exit 0 "$COZYPKG" search
  equals "$(awk 'NR>1 {print $1}' out)" acme.cfg
  COZYPKG_INDEX=$PWD/from-env expect_exit 0 "$COZYPKG" search
  equals "$(awk 'NR>1 {print $1}' out)" acme.env
  COZYPKG_INDEX=$PWD/from-env expect_exit 0 "$COZYPKG" search --index from-flag
  equals "$(awk 'NR>1 {print $1}' out)" acme.flag
  # nothing configured: the default location is named in the error
  rm -rf cfg
  COZYPKG_INDEX="oci://127.0.0.1:$port/none" expect_exit 1 "$COZYPKG" search --insecure
  contains err '(from COZYPKG_INDEX)'
  echo 'index: [1]' >bad.yaml; mkdir -p cfg/cozypkg; mv bad.yaml cfg/cozypkg/config.yaml
  expect_exit 1 "$COZYPKG" search
  contains err 'config.yaml:1: index: expected a location'
}
t "search: an unreachable index is one line; --index, COZYPKG_INDEX, config" test_search_unreachable_and_location

test_search_tapped() {
  start_server
  idx_good ix
  k create namespace cozy-system >/dev/null 2>&1 || true
  cat <<'EOF' | k apply -f - >/dev/null
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: tap-acme-redis
  namespace: cozy-system
  labels: {apps.cozystack.io/marketplace-tap: "true"}
spec:
  interval: 5m
  url: oci://ghcr.io/acme/redis-packages
  ref: {tag: v1.0.0}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: untapped-pg
  namespace: cozy-system
spec:
  interval: 5m
  url: oci://ghcr.io/beta/pg-packages
  ref: {tag: v1.0.0}
EOF
  expect_exit 0 "$COZYPKG" search --index ix
  grep -qE '^acme\.redis +v1\.0\.0 +acme team +key +yes +The acme' out || fail "acme.redis not tapped: $(cat out)"
  grep -qE '^beta\.pg +v1\.0\.0 +beta team +keyless +no +The beta' out || fail "beta.pg: $(cat out)"
  grep -qE '^redis +v1\.0\.0 +redis team +no +no +The redis' out || fail "redis: $(cat out)"
  lacks err 'warning'
  expect_exit 0 "$COZYPKG" search --index ix -o json redis
  equals "$(python3 -c 'import json; print([e["tapped"] for e in json.load(open("out"))["items"]])')" "[False, True]"
}
t "search: TAPPED from the tap-labelled OCIRepositories of a real cozypkgd" test_search_tapped
