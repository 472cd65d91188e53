# Enterprise mode: archive drivers only from zip_drivers, plugins only from
# the trusted paths.plugins (here one inside the bundle and one outside),
# step paths confined to the job's artifacts dir with symlinks refused,
# whatever AETHERFLOW_STRICT_SANDBOX says.
export AETHERFLOW_CACHE_DIR=$WORK/cache
cp -r "$CASE_DIR/bundle" b
mkdir trusted && cp "$CASE_DIR/../bundle-plugins/bundle/plugins/"kv.* trusted/
sed -i "s|@TRUSTED@|$WORK/trusted|" b/manifest.yaml
"$AFC" build b/manifest.yaml -o bin 2>build.err || { cat build.err; fail "build"; }
run bin/locked --version
expect_out_has "bundle locked (enterprise mode"
echo secret > outside.txt

AETHERFLOW_STRICT_SANDBOX=false run bin/locked --run-id r1 --keep-going
expect_rc 1
expect_rows "select job_id, status from job_runs where run_id='r1' order by job_id" \
"escape|FAILED
inside|SUCCESS
symlink|FAILED"
expect_file work/locked/inside/r1/artifacts/out/copy.txt data
expect_err_has "src: Path escapes job artifacts dir in enterprise mode: $WORK/outside.txt"
expect_err_has "src: Path contains symlink (sandbox blocked): $WORK/work/locked/symlink/r1/artifacts/link"
expect_no_file work/locked/escape/r1/artifacts/x.txt
expect_no_file work/locked/symlink/r1/artifacts/y.txt

# the same bundle in internal_fast mode: the sandbox switch is honoured
sed -e 's/^mode: enterprise/mode: internal_fast/' -e '/^paths:/,/^  plugins:/d' b/manifest.yaml > b/fast.yaml
sed -i 's|plugins_dir: plugins|plugins_dir: plugins|' b/fast.yaml
cp trusted/kv.* b/plugins/
"$AFC" build b/fast.yaml -o fast 2>fast.err || { cat fast.err; fail "internal_fast build"; }
AETHERFLOW_STRICT_SANDBOX=false run fast/locked --run-id r2 --keep-going
expect_rc 0
expect_file work/locked/escape/r2/artifacts/x.txt secret
expect_file work/locked/symlink/r2/artifacts/y.txt x
rm b/plugins/kv.*

# archive drivers outside the allowlist do not build
sed 's/^zip_drivers: \[myzip\]/zip_drivers: [zipfile]/' b/manifest.yaml > b/m2.yaml
if "$AFC" build b/m2.yaml -o bin2 2>m2.err; then fail "built with myzip not allowed"; fi
grep -q "enterprise mode allows archive drivers from the manifest's zip_drivers only; 'myzip' is not listed" m2.err ||
    fail "$(cat m2.err)"
[ ! -e bin2 ] || fail "a failed build wrote $(ls bin2)"
# the reference's default allowlist: pyzipper and zipfile
sed '/^zip_drivers:/d' b/manifest.yaml > b/m3.yaml
if "$AFC" build b/m3.yaml -o bin3 2>m3.err; then fail "built with the default allowlist"; fi
grep -q "'myzip' is not listed" m3.err || fail "$(cat m3.err)"

# plugins outside the trusted paths are not compiled
sed "s|plugins: \[plugins, .*\]|plugins: [plugins]|" b/manifest.yaml > b/m4.yaml
if "$AFC" build b/m4.yaml -o bin4 2>m4.err; then fail "built without the trusted kv plugin"; fi
grep -q "unknown step type 'copy_file'" m4.err || fail "$(cat m4.err)"
