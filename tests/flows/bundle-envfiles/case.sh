# Env files: the process env, then AETHERFLOW_ENV_FILES_JSON (host files),
# then the bundle's env files (embedded, in order: dotenv, json with a
# prefix, dir, optional, a hidden .env), each later source winning.
export AETHERFLOW_CACHE_DIR=$WORK/cache   # unpacked bundle files stay in the case dir
cp -r "$CASE_DIR/bundle" b
mkdir b/plugins && cp "$CASE_DIR/../bundle-plugins/bundle/plugins/"kv.* b/plugins/
sed -i "s|@HOST@|$WORK/host|" b/manifest.yaml
"$AFC" build b/manifest.yaml -o bin 2>build.err || { cat build.err; fail "build"; }
printf 'B=json\nC=json\n' > json.env
export A=proc B=proc C=proc D=proc
export AETHERFLOW_ENV_FILES_JSON="[{\"type\": \"dotenv\", \"path\": \"$WORK/json.env\"}]"
run bin/show --run-id r1
expect_rc 0
expect_file kv/env "A=proc B=json C=manifest D=hidden G=quoted value X_E=1 F=fval H=unset N=none"

# the bundle's files are embedded: the build tree can go away
rm -rf b
run bin/show --run-id r2
expect_rc 0
expect_file kv/env "A=proc B=json C=manifest D=hidden G=quoted value X_E=1 F=fval H=unset N=none"

# an absolute env file is the host's, read at run time, last
mkdir -p host && printf 'H=host\nC=host\n' > host/host.env
run bin/show --run-id r3
expect_rc 0
expect_file kv/env "A=proc B=json C=host D=hidden G=quoted value X_E=1 F=fval H=host N=none"

# a host file that cannot be read: the manifest's files are skipped as a
# whole, with a warning, and the run goes on (the reference's runner)
rm host/host.env && mkdir host/host.env
run bin/show --run-id r4
expect_rc 0
expect_err_has "env_files_failed"
expect_file kv/env "A=proc B=json C=json D=proc G=- X_E=- F=- H=unset N=none"

# a broken AETHERFLOW_ENV_FILES_JSON stops the run before any job
AETHERFLOW_ENV_FILES_JSON='[{"type": "dotenv", "path": "/nonexistent/x.env"}]' run bin/show --run-id r5
expect_rc 2
expect_err_has "AETHERFLOW_ENV_FILES_JSON"
expect_rows "select count(*) from job_runs where run_id='r5'" "0"
