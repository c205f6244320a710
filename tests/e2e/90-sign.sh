# Cosign-compatible signatures against Debian's docker-registry: cozypkg
# keygen, sign and verify; signatures made with the openssl command line
# alone; and OCIRepository spec.verify inside cozypkgd.

SIG_OCI() { "$BUILD/tests/drivers/oci_tool" --insecure "$@"; }
SIG_MT=application/vnd.cncf.flux.content.v1.tar+gzip
SIG_PAYLOAD_MT=application/vnd.dev.cosign.simplesigning.v1+json

# sig_push REPO:TAG TEXT: a one-layer Flux artifact holding TEXT; prints
# the manifest digest.
sig_push() {
  local ref=$1 text=$2 dir
  dir=art-$(echo "$ref" | tr ':/' '__')
  rm -rf "$dir" "$dir.layout"; mkdir -p "$dir/charts/app" "$dir.layout"
  printf 'apiVersion: v2\nname: app\nversion: 1.0.0\n' >"$dir/charts/app/Chart.yaml"
  printf 'text: %s\n' "$text" >"$dir/charts/app/values.yaml"
  tar -C "$dir" -czf "$dir.tgz" .
  python3 - "$dir.layout" "$SIG_MT" "$dir.tgz" <<'PY'
import hashlib, json, os, sys
out, mt, path = sys.argv[1:4]
def blob(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(out, h), "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
cfg = blob(b"{}")
cfg["mediaType"] = "application/vnd.cncf.flux.config.v1+json"
layer = blob(open(path, "rb").read())
layer["mediaType"] = mt
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": cfg, "layers": [layer]}
open(os.path.join(out, "manifest.json"), "w").write(json.dumps(m))
PY
  SIG_OCI push-dir "$dir.layout" "$REG/$ref"
}

# sig_tag DIGEST: the tag cosign stores the signature of DIGEST under.
sig_tag() { echo "sha256-${1#sha256:}.sig"; }

# sig_payload REPO DIGEST FILE: the simple-signing payload, written by hand.
sig_payload() {
  printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
    "$REG/$1" "$2" >"$3"
}

# sig_attach REPO DIGEST PAYLOAD-FILE SIGNATURE-B64: pushes a signature
# manifest for DIGEST with one layer, the payload file as it is, built
# without cozypkg's signing code.
sig_attach() {
  local repo=$1 digest=$2 payload=$3 sig=$4 pd cd
  printf '{}' >sig-config.json
  pd=$(SIG_OCI push-blob "$payload" "$REG/$repo" | cut -d' ' -f1)
  cd=$(SIG_OCI push-blob sig-config.json "$REG/$repo" | cut -d' ' -f1)
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"%s"},"layers":[{"mediaType":"%s","size":%s,"digest":"%s","annotations":{"dev.cosignproject.cosign/signature":"%s"}}]}' \
    "$cd" "$SIG_PAYLOAD_MT" "$(stat -c %s "$payload")" "$pd" "$sig" >sig-manifest.json
  SIG_OCI push-manifest sig-manifest.json "$REG/$repo:$(sig_tag "$digest")" >/dev/null
}

# sig_openssl KEY FILE: base64 of the DER ECDSA signature over FILE.
sig_openssl() { openssl dgst -sha256 -sign "$1" "$2" | base64 -w0; }

test_sign_keygen_sign_verify() {
  start_registry plain
  local d
  d=$(sig_push art:v1 one)
  # keygen: a private key only its owner reads, never overwritten.
  expect_exit 0 "$COZYPKG" keygen --output-key-prefix k
  contains out "k.key"
  equals "$(stat -c %a k.key)" 600
  equals "$(stat -c %a k.pub)" 644
  contains k.key "BEGIN PRIVATE KEY"
  contains k.pub "BEGIN PUBLIC KEY"
  cp k.key k.key.orig
  expect_exit 1 "$COZYPKG" keygen --output-key-prefix k
  contains err "exists already"
  cmp k.key k.key.orig
  # Unsigned: not verified.
  expect_exit 1 "$COZYPKG" verify --key k.pub --insecure "oci://$REG/art:v1"
  contains err "no signature for art@$d"
  # sign resolves the tag and prints the digest it signed.
  expect_exit 0 "$COZYPKG" sign --key k.key --insecure "oci://$REG/art:v1"
  equals "$(cat out)" "$d"
  expect_exit 0 "$COZYPKG" verify --key k.pub --insecure "oci://$REG/art:v1"
  contains out "Verified $REG/art@$d"
  expect_exit 0 "$COZYPKG" verify --key k.pub --insecure "oci://$REG/art@$d"
  # The signature is cosign's layout, and openssl verifies it over the
  # payload blob's exact bytes.
  SIG_OCI manifest "$REG/art:$(sig_tag "$d")" >sig.json
  python3 - sig.json "$SIG_PAYLOAD_MT" >layer.txt <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
l = m["layers"][0]
assert l["mediaType"] == sys.argv[2], l
print(l["digest"], l["annotations"]["dev.cosignproject.cosign/signature"])
PY
  curl -sSf "http://$REG/v2/art/blobs/$(cut -d' ' -f1 layer.txt)" -o payload.json
  contains payload.json "\"docker-manifest-digest\":\"$d\""
  contains payload.json "\"docker-reference\":\"$REG/art\""
  cut -d' ' -f2 layer.txt | base64 -d >sig.der
  openssl dgst -sha256 -verify k.pub -signature sig.der payload.json >ossl.out
  contains ossl.out "Verified OK"
  # Another key does not verify it; signing with it too keeps both.
  expect_exit 0 "$COZYPKG" keygen --output-key-prefix other
  expect_exit 1 "$COZYPKG" verify --key other.pub --insecure "oci://$REG/art:v1"
  contains err "does not verify"
  contains err "$d"
  expect_exit 0 "$COZYPKG" sign --key other.key --insecure "oci://$REG/art:v1"
  expect_exit 0 "$COZYPKG" verify --key other.pub --insecure "oci://$REG/art:v1"
  expect_exit 0 "$COZYPKG" verify --key k.pub --insecure "oci://$REG/art:v1"
  SIG_OCI manifest "$REG/art:$(sig_tag "$d")" >sig2.json
  equals "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["layers"]))' sig2.json)" 2
  # Usage errors: no key, an unreadable key, a private key to verify with,
  # not an oci:// reference.
  expect_exit 2 "$COZYPKG" verify --insecure "oci://$REG/art:v1"
  contains err "--key is required"
  expect_exit 2 "$COZYPKG" verify --key nope.pub --insecure "oci://$REG/art:v1"
  expect_exit 2 "$COZYPKG" verify --key k.key --insecure "oci://$REG/art:v1"
  contains err "public key"
  expect_exit 2 "$COZYPKG" sign --key k.key "$REG/art:v1"
  contains err "oci://"
  expect_exit 2 "$COZYPKG" sign --key k.pub --insecure "oci://$REG/art:v1"
  # A tag that does not exist is a failure, not a signature.
  expect_exit 1 "$COZYPKG" sign --key k.key --insecure "oci://$REG/art:nope"
}
t "sign: keygen, sign and verify against docker-registry; openssl checks our signature" test_sign_keygen_sign_verify

test_sign_openssl_made() {
  start_registry plain
  local da db dc dd
  da=$(sig_push art:a alpha)
  db=$(sig_push art:b beta)
  dc=$(sig_push art:c gamma)
  dd=$(sig_push art:d delta)
  openssl ecparam -name prime256v1 -genkey -noout -out ec.pem 2>/dev/null
  openssl pkey -in ec.pem -pubout -out ec.pub
  # A signature made entirely with openssl verifies.
  sig_payload art "$da" pa.json
  sig_attach art "$da" pa.json "$(sig_openssl ec.pem pa.json)"
  expect_exit 0 "$COZYPKG" verify --key ec.pub --insecure "oci://$REG/art:a"
  contains out "Verified $REG/art@$da"
  # Another key does not.
  "$COZYPKG" keygen --output-key-prefix k >/dev/null
  expect_exit 1 "$COZYPKG" verify --key k.pub --insecure "oci://$REG/art:a"
  contains err "does not verify with the key"
  # A payload changed after signing (one byte) does not.
  sig_payload art "$db" pb.json
  sig=$(sig_openssl ec.pem pb.json)
  sed 's/"optional":null/"optional":{}/' pb.json >pb-tampered.json
  sig_attach art "$db" pb-tampered.json "$sig"
  expect_exit 1 "$COZYPKG" verify --key ec.pub --insecure "oci://$REG/art:b"
  contains err "not verified"
  contains err "does not verify with the key"
  # A valid signature whose payload names another digest is refused, the
  # message naming both.
  sig_attach art "$dc" pa.json "$(sig_openssl ec.pem pa.json)"
  expect_exit 1 "$COZYPKG" verify --key ec.pub --insecure "oci://$REG/art:c"
  contains err "names $da, not $dc"
  # A signature that is not DER, and no signature at all.
  sig_payload art "$dd" pd.json
  sig_attach art "$dd" pd.json "$(printf 'not a signature' | base64 -w0)"
  expect_exit 1 "$COZYPKG" verify --key ec.pub --insecure "oci://$REG/art:d"
  contains err "DER"
  dd=$(sig_push art:e epsilon)
  expect_exit 1 "$COZYPKG" verify --key ec.pub --insecure "oci://$REG/art:e"
  contains err "no signature for art@$dd"
}
t "sign: openssl-made signatures verify; tampered, foreign-digest, malformed and missing ones do not" test_sign_openssl_made

sig_get() { k get ocirepository -n src "$1" -o jsonpath="$2"; }
sig_cond() { sig_get "$1" "{.status.conditions[?(@.type==\"$2\")].status}/{.status.conditions[?(@.type==\"$2\")].reason}"; }
sig_is() { [[ $(sig_cond "$1" "$2") == "$3" ]]; }
sig_apply() {
  printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: %s, namespace: src}\nspec:\n  url: oci://%s/%s\n  ref: {tag: v1}\n  interval: 1h\n  insecure: true\n  verify: {provider: cosign, secretRef: {name: %s}}\n' \
    "$1" "$REG" "$2" "$3" | k apply -f - >/dev/null
}
sig_request() {
  k annotate ocirepository -n src "$1" "reconcile.fluxcd.io/requestedAt=$(date +%s%N)" --overwrite >/dev/null
}

test_sign_cluster_verify() {
  start_server -q
  start_registry plain
  local d msg
  d=$(sig_push app:v1 one)
  "$COZYPKG" keygen --output-key-prefix k >/dev/null
  k create namespace src >/dev/null
  k create secret generic -n src cosign-keys --from-file=cosign.pub=k.pub >/dev/null
  # Unsigned: refused before anything is downloaded or stored.
  sig_apply app app cosign-keys
  wait_until 30 sig_is app Ready False/VerificationError
  sig_is app SourceVerified False/VerificationError
  msg=$(sig_get app '{.status.conditions[?(@.type=="Ready")].message}')
  [[ $msg == *"$d"* ]] || fail "message does not name $d: $msg"
  [[ $msg == *"no signature"* ]] || fail "message does not say why: $msg"
  equals "$(sig_get app '{.status.artifact}')" ""
  equals "$(ls data/artifacts/sha256 2>/dev/null | wc -l)" 0
  # Signed with another key: still refused.
  "$COZYPKG" keygen --output-key-prefix other >/dev/null
  "$COZYPKG" sign --key other.key --insecure "oci://$REG/app:v1" >/dev/null
  sig_request app
  wait_until 30 eval '[[ $(sig_get app "{.status.conditions[?(@.type==\"Ready\")].message}") == *"does not verify"* ]]'
  equals "$(sig_get app '{.status.artifact}')" ""
  # Signed with the Secret's key: stored, and SourceVerified.
  "$COZYPKG" sign --key k.key --insecure "oci://$REG/app:v1" >/dev/null
  sig_request app
  wait_until 30 sig_is app Ready True/Succeeded
  sig_is app SourceVerified True/Succeeded
  equals "$(sig_get app '{.status.artifact.revision}')" "v1@$d"
  equals "$(sig_get app '{.status.conditions[?(@.type=="SourceVerified")].message}')" "verified signature of revision v1@$d"
  [[ -f data/artifacts/sha256/$(sig_get app '{.status.artifact.digest}' | cut -d: -f2).tar.gz ]] ||
    fail "the verified artifact is not stored"
  # A missing Secret is a VerificationError too, and the server lives on.
  sig_apply nokeys app missing-keys
  wait_until 30 sig_is nokeys Ready False/VerificationError
  msg=$(sig_get nokeys '{.status.conditions[?(@.type=="Ready")].message}')
  [[ $msg == *"missing-keys"* && $msg == *"$d"* ]] || fail "unexpected message: $msg"
  # Created later, it is picked up on the retry.
  k create secret generic -n src missing-keys --from-file=cosign.pub=k.pub >/dev/null
  sig_request nokeys
  wait_until 30 sig_is nokeys Ready True/Succeeded
  # A provider this controller cannot check stalls instead of passing.
  printf 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: notation, namespace: src}\nspec:\n  url: oci://%s/app\n  ref: {tag: v1}\n  interval: 1h\n  insecure: true\n  verify: {provider: notation, secretRef: {name: cosign-keys}}\n' \
    "$REG" | k apply -f - >/dev/null
  wait_until 30 sig_is notation Stalled True/VerificationError
  equals "$(sig_get notation '{.status.artifact}')" ""
}
t "sign: OCIRepository spec.verify refuses unsigned and wrongly signed content, stores it once signed" test_sign_cluster_verify
