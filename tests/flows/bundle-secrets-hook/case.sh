# Secrets hooks compiled in from a plugin: decode wins over
# AETHERFLOW_SECRETS_CMD; expand_env feeds the resources only (as the
# reference's resolve_resource); a hook's failure stops the run before any
# job, with the value scrubbed from its message.
export AETHERFLOW_CACHE_DIR=$WORK/cache
cp -r "$CASE_DIR/bundle" b
cp "$CASE_DIR/../bundle-plugins/bundle/plugins/"kv.* b/plugins/
"$AFC" build b/manifest.yaml -o bin 2>build.err || { cat build.err; fail "build"; }
"$AFC" explain b/manifest.yaml | grep -q "plugins: 3 step types, 1 driver, secrets decode hook, expand_env hook" ||
    fail "explain: $("$AFC" explain b/manifest.yaml)"
reverse() { local s=$1 r= i; for ((i = ${#s} - 1; i >= 0; i--)); do r+=${s:i:1}; done; printf %s "$r"; }
SECRET=Hunter-Two-Xyz
export KV_ROOT=$WORK
export KV_PASSWORD_ENC=$(printf %s "$SECRET" | tr 'A-Za-z' 'N-ZA-Mn-za-m')
export KV_PASSWORD_REV=$(reverse "$SECRET")
AETHERFLOW_SECRETS_CMD=false run bin/hooked --run-id r1
expect_rc 0
expect_file hook-kv/seen "not for steps"
! grep -rqF -- "$SECRET" err state.db || fail "the secret leaked"

export KV_PASSWORD_ENC=bad-$SECRET
run bin/hooked --run-id r2
expect_rc 2
expect_err_has "resource 'db': decoding config.password failed: cannot decode '***'"
expect_err_lacks "$SECRET"
expect_rows "select count(*) from job_runs where run_id='r2'" "0"

# expand_env failing stops the run too
export KV_PASSWORD_ENC=$(printf %s "$SECRET" | tr 'A-Za-z' 'N-ZA-Mn-za-m')
env -u KV_ROOT "$WORK/bin/hooked" --run-id r3 >out 2>err && fail "ran without KV_ROOT"
grep -q "secrets expand_env failed: KV_ROOT is not set" err || fail "$(cat err)"
