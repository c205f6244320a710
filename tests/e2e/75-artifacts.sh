# Component artifacts (the ArtifactGenerator role) with the assemble_tool
# driver: the example platform, the real PackageSources, hostile archives,
# reproducibility and garbage collection.

ASSEMBLE="$BUILD/tests/drivers/assemble_tool"
EXAMPLE="$ROOT/examples/platform"

# digest_of NAME: the digest assemble_tool printed for artifact NAME in ./out.
digest_of() {
  awk -v n="$1" '$1 == n {sub("sha256:", "", $2); print $2}' out
}

test_artifacts_example() {
  expect_exit 0 "$ASSEMBLE" -j 2 "$EXAMPLE/packages" "$EXAMPLE/packages/core/platform/sources" data
  equals "$(wc -l <out)" 7
  contains out "example-webapp-default-webapp sha256:"
  contains out "example-webapp-default-worker sha256:"
  contains out " webapp-0.1.0"
  lacks out "error"
  local webapp cni
  webapp=data/artifacts/sha256/$(digest_of example-webapp-default-webapp).tar.gz
  cni=data/artifacts/sha256/$(digest_of example-networking-cni-cni).tar.gz
  # The library is vendored under charts/ of both charts that name it.
  tar -tzf "$webapp" >list
  contains list "webapp/Chart.yaml"
  contains list "webapp/templates/deployment.yaml"
  contains list "webapp/charts/common/Chart.yaml"
  contains list "webapp/charts/common/templates/_helpers.tpl"
  tar -tzf "data/artifacts/sha256/$(digest_of example-webapp-default-worker).tar.gz" >list
  contains list "worker/charts/common/templates/_helpers.tpl"
  # values.yaml of cni is values.yaml with values-strict.yaml merged over it.
  tar -xzOf "$cni" cni/values.yaml >values
  equals "$(cat values)" "$(printf 'image:\n  repository: busybox\n  tag: "1.36"\nmtu: 1450\npolicyEnforcement: strict\nlogLevel: debug')"
  # A single artifact's values.yaml is the chart's own, byte for byte.
  tar -xzOf "$webapp" webapp/values.yaml >values
  cmp values "$EXAMPLE/packages/apps/webapp/values.yaml"
  # Owners and times are normalised.
  tar -tvzf "$webapp" >long
  lacks long "$(id -un)"
  contains long "0/0"
  contains long "1970-01-01"
}
t "artifacts: example platform, libraries vendored, values merged" test_artifacts_example

test_artifacts_reproducible() {
  expect_exit 0 "$ASSEMBLE" "$EXAMPLE/packages" "$EXAMPLE/packages/core/platform/sources" one
  mv out first
  # A copy of the tree with other times and a different file order on disk.
  cp -r "$EXAMPLE/packages" repo
  find repo -type f -exec touch -d '2001-02-03 04:05:06' {} +
  chmod 600 repo/apps/webapp/values.yaml
  expect_exit 0 "$ASSEMBLE" -j 2 repo "$EXAMPLE/packages/core/platform/sources" two
  cmp first out
  # pack: the same directory twice gives the same bytes.
  expect_exit 0 "$ASSEMBLE" pack "$EXAMPLE/packages" a.tgz
  mv out packed
  expect_exit 0 "$ASSEMBLE" pack repo b.tgz
  cmp packed out
  cmp a.tgz b.tgz
}
t "artifacts: digests are the same across runs, times and modes" test_artifacts_reproducible

test_artifacts_real_sources_missing_paths() {
  need_fixtures
  mkdir empty
  expect_exit 1 "$ASSEMBLE" -j 2 empty "$SOURCES" data
  # Every component is reported on its own line, naming it and its path.
  local n
  n=$(wc -l <out)
  ((n > 150)) || fail "only $n artifacts reported"
  equals "$(grep -vc 'directory not found in the source' out || true)" 0
  equals "$(grep -c '^error ' out)" "$n"
  contains out 'error cozystack-networking-cilium-cilium: component cozystack.networking/cilium: path "system/cilium": directory not found in the source'
  [[ ! -s err ]] || { cat err >&2; fail "stderr not empty"; }
  equals "$(ls data/artifacts/sha256 | wc -l)" 0
}
t "artifacts: real PackageSources without charts report each missing path" test_artifacts_real_sources_missing_paths

test_artifacts_invalid_chart_isolated() {
  cp -r "$EXAMPLE/packages" repo
  sed -i 's/^version: .*/version: 1.x/' repo/system/cni/Chart.yaml
  rm -r repo/system/certs
  expect_exit 1 "$ASSEMBLE" repo "$EXAMPLE/packages/core/platform/sources" data
  contains out 'error example-networking-cni-cni: component example.networking/cni: path "system/cni": Chart.yaml: version "1.x": not a semantic version'
  contains out 'error example-certs-default-certs: component example.certs/certs: path "system/certs": directory not found in the source'
  equals "$(grep -c ' sha256:' out)" 5
}
t "artifacts: an invalid or missing chart fails only its component" test_artifacts_invalid_chart_isolated

test_artifacts_hostile_archives() {
  mkdir box
  python3 - <<'PY'
import io, tarfile
def archive(name, members):
    with tarfile.open(name, "w:gz") as tar:
        for m, data in members:
            tar.addfile(m, io.BytesIO(data) if data is not None else None)
def reg(path, data=b"boom"):
    m = tarfile.TarInfo(path); m.size = len(data); return (m, data)
def sym(path, target):
    m = tarfile.TarInfo(path); m.type = tarfile.SYMTYPE; m.linkname = target; return (m, None)
def hard(path, target):
    m = tarfile.TarInfo(path); m.type = tarfile.LNKTYPE; m.linkname = target; return (m, None)
def dev(path):
    m = tarfile.TarInfo(path); m.type = tarfile.CHRTYPE; m.devmajor = 1; m.devminor = 3; return (m, None)
archive("slip.tgz", [reg("../escaped")])
archive("abs.tgz", [reg("/tmp/escaped-abs")])
archive("symlink.tgz", [sym("link", "../../"), reg("link/escaped")])
archive("through.tgz", [sym("link", "."), reg("link/../../escaped")])
archive("hard.tgz", [hard("h", "../escaped")])
archive("dev.tgz", [dev("null")])
archive("many.tgz", [reg("f%d" % i, b"x") for i in range(50)])
PY
  local a
  for a in slip abs symlink through hard dev; do
    expect_exit 1 "$ASSEMBLE" extract "$a.tgz" box/target
    contains err "entry \""
    [[ ! -e escaped && ! -e box/escaped && ! -e /tmp/escaped-abs ]] || fail "$a.tgz wrote outside the target"
    rm -rf box/target
  done
  expect_exit 1 "$ASSEMBLE" extract slip.tgz box/target
  contains err 'entry "../escaped": path has a ".." component'
  expect_exit 1 "$ASSEMBLE" extract symlink.tgz box/target
  contains err 'entry "link": symbolic link to "../../" points outside the archive'
  expect_exit 1 "$ASSEMBLE" extract dev.tgz box/target
  contains err 'character device entries are not allowed'
  expect_exit 1 "$ASSEMBLE" extract many.tgz box/target 1000000 10
  contains err 'more than 10 entries'
  expect_exit 1 "$ASSEMBLE" extract many.tgz box/target 20 1000
  contains err 'archive expands beyond 20 bytes'
  rm -rf box/target
  expect_exit 0 "$ASSEMBLE" extract many.tgz box/target
  contains out "50 entries 50 bytes"
}
t "artifacts: hostile archives are refused and write nothing outside" test_artifacts_hostile_archives

test_artifacts_gc() {
  cp -r "$EXAMPLE/packages" repo
  expect_exit 0 "$ASSEMBLE" repo "$EXAMPLE/packages/core/platform/sources" data
  echo "replicas: 3" >>repo/system/cni/values-strict.yaml
  expect_exit 0 "$ASSEMBLE" repo "$EXAMPLE/packages/core/platform/sources" data
  equals "$(ls data/artifacts/sha256 | wc -l)" 8
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["revisions"]) == 2, d' \
    data/artifacts/index/example-networking-cni-cni.json
  expect_exit 0 "$ASSEMBLE" gc data 2
  contains out "deleted 0 blobs"
  expect_exit 0 "$ASSEMBLE" gc data 1
  contains out "dropped 1 revisions, deleted 1 blobs"
  equals "$(ls data/artifacts/sha256 | wc -l)" 7
  # The store still serves every current artifact.
  expect_exit 0 "$ASSEMBLE" repo "$EXAMPLE/packages/core/platform/sources" data
  while read -r name digest _; do
    [[ -f data/artifacts/sha256/${digest#sha256:}.tar.gz ]] || fail "$name: blob missing"
  done <out
}
t "artifacts: GC keeps the newest revisions and every referenced blob" test_artifacts_gc
