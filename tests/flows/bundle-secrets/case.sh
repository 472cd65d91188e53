# Secrets: fields marked in `decode:` (by the resource or its profile) go
# through AETHERFLOW_SECRETS_CMD before the driver sees them; a decode
# failure stops the run before any job; the decoded value never reaches
# logs, explain, status, errors or the state store.
export AETHERFLOW_CACHE_DIR=$WORK/cache
cp -r "$CASE_DIR/bundle" b
mkdir b/plugins && cp "$CASE_DIR/../bundle-plugins/bundle/plugins/"kv.* b/plugins/
"$AFC" build b/manifest.yaml -o bin 2>build.err || { cat build.err; fail "build"; }
reverse() { local s=$1 r= i; for ((i = ${#s} - 1; i >= 0; i--)); do r+=${s:i:1}; done; printf %s "$r"; }
SECRET=s3cr3t-Pa55w0rd
export KV_PASSWORD_ENC=$(printf %s "$SECRET" | base64)
export KV_PASSWORD_REV=$(reverse "$SECRET")

no_secret() { # FILE...: the decoded value and its encoded form appear nowhere
    for f in "$@"; do
        ! grep -qF -- "$SECRET" "$f" || fail "$f holds the secret: $(grep -F -- "$SECRET" "$f" | head -3)"
        ! grep -qF -- "$KV_PASSWORD_ENC" "$f" || fail "$f holds the encoded secret"
    done
}

# decoded by the command: the driver authenticates with the clear value
AETHERFLOW_SECRETS_CMD="base64 -d" AETHERFLOW_LOG_LEVEL=DEBUG run bin/vaulted --run-id r1
expect_rc 0
expect_file kv/x ok
expect_file kv2/y ok2
cp err r1.log
AETHERFLOW_SECRETS_CMD="base64 -d" AETHERFLOW_LOG_FORMAT=json AETHERFLOW_LOG_LEVEL=DEBUG run bin/vaulted --run-id r1b
expect_rc 0
cp err r1b.log
AETHERFLOW_SECRETS_CMD="base64 -d" run bin/vaulted explain
expect_rc 0
expect_out_has '"password": "***"'
cp out explain.out
AETHERFLOW_SECRETS_CMD="base64 -d" run bin/vaulted status r1
expect_rc 0
cp out status.out
sqlite3 state.db .dump > state.dump
no_secret r1.log r1b.log explain.out status.out state.dump

# no decoder: a warning, the value left as it is, the driver refuses it
run bin/vaulted --run-id r2
expect_rc 1
expect_err_has "decode_unavailable"
expect_err_has "authentication failed"
no_secret err

# a failing decoder stops the run before any job, and its output is not shown
AETHERFLOW_SECRETS_CMD='sh -c "cat >&2; cat; exit 3"' run bin/vaulted --run-id r3
expect_rc 2
expect_err_has "resource 'db': decoding config.password failed: secrets command exited with status 3"
expect_rows "select count(*) from job_runs where run_id='r3'" "0"
expect_rows "select count(*) from af_runs where run_id='r3'" "0"
no_secret err

# profiles given at run time follow the same rule: a decoded field must be
# one standalone token
AETHERFLOW_SECRETS_CMD="base64 -d" \
AETHERFLOW_PROFILES_JSON='{"vault": {"decode": {"config": {"password": true}}}, "vault2": {"config": {"password": "x{{env.KV_PASSWORD_ENC}}"}, "decode": {"config": {"password": true}}}}' \
    run bin/vaulted --run-id r4
expect_rc 2
expect_err_has "resource 'db2': config.password: Unsupported templating syntax. Use {{VAR}} or {{VAR:DEFAULT}}"
no_secret err
