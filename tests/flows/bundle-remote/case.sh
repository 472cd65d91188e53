ROOT_DIR=$(cd "$CASE_DIR/../../.." && pwd)
mkdir -p "$WORK/sshd" "$WORK/smbd"
chmod 755 "$WORK"
trap 'bash "$ROOT_DIR/tests/servers/sshd.sh" stop "$WORK/sshd"; bash "$ROOT_DIR/tests/servers/smbd.sh" stop "$WORK/smbd"' EXIT
bash "$ROOT_DIR/tests/servers/sshd.sh" start "$WORK/sshd" >/dev/null
bash "$ROOT_DIR/tests/servers/smbd.sh" start "$WORK/smbd" >/dev/null
set -a; . "$WORK/sshd/sshd.env"; . "$WORK/smbd/smbd.env"; set +a
export AFC_BUNDLE_CACHE=$WORK/cache

# the bundle: a flow, a profile and a data file; on both servers
make_bundle() { # DIR OWNER
    mkdir -p "$1/flows" "$1/data"
    cat > "$1/flows/hello.yaml" <<'YAML'
version: 1
flow:
  id: hello
  workspace: {root: "{{env.WORK}}/work", cleanup_policy: never}
  state: {path: "{{env.WORK}}/state.db"}
jobs:
  - id: greet
    steps:
      - id: say
        type: external.process
        inputs:
          command: ["sh", "-c", "cat \"$AETHERFLOW_ACTIVE_DIR/data/greeting.txt\" > $WORK/greeting.out"]
YAML
    printf '{}\n' > "$1/profiles.yaml"
    printf 'hello from the server\n' > "$1/data/greeting.txt"
    chown -R "$2" "$1"
}
make_bundle "$SSHD_PW_HOME/bundles/demo" "$SSHD_PW_USER"
make_bundle "$SMBD_SHARE_DIR/bundles/demo" "$SMBD_USER"

cp "$CASE_DIR"/manifest-*.yaml .
"$AFC" build manifest-sftp.yaml -o bin 2>build.err || { cat build.err >&2; fail "build from sftp"; }
grep -q "fetched 3 files" build.err || fail "no fetch reported: $(cat build.err)"
fp1=$(./bin/hello --version | sed -n 's/^bundle fingerprint //p')
run ./bin/hello --run-id r1
expect_rc 0
expect_file greeting.out "hello from the server"
# unchanged on the server: the cached copy is used, same fingerprint
"$AFC" build manifest-sftp.yaml -o bin 2>build.err || fail "second build"
grep -q "cached copy" build.err || fail "cache not used: $(cat build.err)"
[ "$(./bin/hello --version | sed -n 's/^bundle fingerprint //p')" = "$fp1" ] || fail "fingerprint changed"
# a cached copy trimmed by hand is fetched again
rm "$AFC_BUNDLE_CACHE"/remote-demo-sftp-*/data/greeting.txt
"$AFC" build manifest-sftp.yaml -o bin 2>build.err || fail "build after trimming the cache"
grep -q "fetched 3 files" build.err || fail "trimmed cache used: $(cat build.err)"
# changed on the server: fetched again, new fingerprint, new behaviour
sleep 1
printf 'hello again\n' > "$SSHD_PW_HOME/bundles/demo/data/greeting.txt"
"$AFC" build manifest-sftp.yaml -o bin 2>build.err || fail "third build"
grep -q "fetched 3 files" build.err || fail "change not fetched: $(cat build.err)"
[ "$(./bin/hello --version | sed -n 's/^bundle fingerprint //p')" != "$fp1" ] || fail "fingerprint did not change"
run ./bin/hello --run-id r2
expect_file greeting.out "hello again"
# the SMB share, fetch_policy always
"$AFC" build manifest-smb.yaml -o bin-smb 2>build.err || { cat build.err >&2; fail "build from smb"; }
grep -q "fetched 3 files" build.err || fail "smb fetch not reported"
run ./bin-smb/hello --run-id r3
expect_rc 0
expect_file greeting.out "hello from the server"
# the same bundle id at another path of the server: its own cache, which
# leaves the first one current
make_bundle "$SSHD_PW_HOME/bundles/other" "$SSHD_PW_USER"
printf 'hello from elsewhere\n' > "$SSHD_PW_HOME/bundles/other/data/greeting.txt"
sed 's#base_path: bundles/demo#base_path: bundles/other#' manifest-sftp.yaml > manifest-other.yaml
"$AFC" build manifest-other.yaml -o bin-other 2>build.err || { cat build.err >&2; fail "build from another path"; }
grep -q "fetched 3 files" build.err || fail "other path not fetched: $(cat build.err)"
run ./bin-other/hello --run-id r4
expect_file greeting.out "hello from elsewhere"
"$AFC" build manifest-sftp.yaml -o bin 2>build.err || fail "fourth build"
grep -q "cached copy" build.err || fail "the other path evicted the cache: $(cat build.err)"
# strict_fingerprint compares content: every build downloads
sed 's#base_path: bundles/demo}#base_path: bundles/demo, strict_fingerprint: true}#' manifest-sftp.yaml > manifest-strict.yaml
grep -q "strict_fingerprint: true" manifest-strict.yaml || fail "manifest-strict.yaml not made"
"$AFC" build manifest-strict.yaml -o bin 2>build.err || fail "strict build"
grep -q "fetched 3 files" build.err || fail "strict_fingerprint used the cache: $(cat build.err)"
# an unset variable in the resource is a build error at the resource
env -u SSHD_PORT "$AFC" build manifest-sftp.yaml -o bin 2>build.err && fail "built without SSHD_PORT"
grep -q "manifest-sftp.yaml:12:3: error: resource 'bundle_store': missing value for {{env.SSHD_PORT}}" build.err ||
    fail "unclear error: $(cat build.err)"
# a wrong password is a build error naming the resource, without the password
sed -i 's/password: "{{env.SSHD_PW_PASS}}"/password: "nope-{{env.SSHD_PW_PASS}}"/' manifest-sftp.yaml
"$AFC" build manifest-sftp.yaml -o bin 2>build.err && fail "built with a wrong password"
grep -q "fetching the bundle through resource 'bundle_store'" build.err || fail "unclear error: $(cat build.err)"
grep -qF "$SSHD_PW_PASS" build.err && fail "password in the error"
true
