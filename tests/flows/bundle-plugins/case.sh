# A bundle with a C plugin (a kv connector driver and steps): one executable
# per flow, manifest resources under each flow's own, a compiled-in profile
# and its AETHERFLOW_PROFILES_JSON override, the fingerprint everywhere.
export AETHERFLOW_CACHE_DIR=$WORK/cache   # unpacked bundle files stay in the case dir
cp -r "$CASE_DIR/bundle" b
"$AFC" build b/manifest.yaml -o bin 2>build.err || { cat build.err; fail "build"; }
grep -q "afc: built bin/orders (flow orders from flows/orders.yaml)" build.err || fail "build output: $(cat build.err)"
grep -q "afc: built bin/report" build.err || fail "report not built"
fp=$(sed -n 's/^afc: bundle shop (internal_fast), fingerprint \([0-9a-f]*\)$/\1/p' build.err)
[ ${#fp} = 64 ] || fail "no fingerprint in: $(cat build.err)"

# --version shows it; the run records it
run bin/orders --version
expect_rc 0
expect_out_has "bundle fingerprint $fp"
expect_out_has "bundle shop (internal_fast mode, 1 embedded file)"
expect_out_has "steps: kv_put"
expect_out_has "drivers: kv/dir"

run bin/orders --run-id r1
expect_rc 0
expect_file shared-store/k1 hello                  # the manifest's resource
expect_file profile-store/k2 42                    # the flow's own, with the profile
expect_no_file manifest-store2                     # the flow's store2 won
expect_rows "select fingerprint from af_runs where run_id='r1'" "$fp"

# profiles given at run time replace the compiled-in ones
AETHERFLOW_PROFILES_JSON="{\"local\": {\"config\": {\"dir\": \"$WORK/json-store\"}}}" run bin/orders --run-id r2
expect_rc 0
expect_file json-store/k2 42
# a run-time profiles file that is not JSON stops the run before any job
echo "local: {config: {dir: x}}" > profiles.yaml
AETHERFLOW_PROFILES_FILE=$WORK/profiles.yaml run bin/orders --run-id r3
expect_rc 2
expect_err_has "invalid profile configuration in $WORK/profiles.yaml"
expect_rows "select count(*) from job_runs where run_id='r3'" "0"

# the second flow reads what the first wrote, through plugin code and a header
run bin/report --run-id r4
expect_rc 0
expect_file shared-store/copy HELLO

# --flow builds one flow of the bundle, named from the cwd or the root
"$AFC" build b/manifest.yaml -o one --flow b/flows/report.yaml 2>/dev/null || fail "--flow"
[ -x one/report ] && [ ! -e one/orders ] || fail "--flow built $(ls one)"
"$AFC" build b/manifest.yaml -o one2 --flow flows/report.yaml 2>/dev/null || fail "--flow rel"
[ -x one2/report ] || fail "--flow relative to the root"
if "$AFC" build b/manifest.yaml -o one3 --flow b/profiles.yaml 2>err3; then fail "--flow not a flow"; fi
grep -q "is not a flow of this bundle" err3 || fail "$(cat err3)"

# the fingerprint covers every file: an asset changed, a new fingerprint
"$AFC" build b/manifest.yaml -o bin 2>b2.err
fp2=$(sed -n 's/.*fingerprint \([0-9a-f]*\)$/\1/p' b2.err)
[ "$fp2" = "$fp" ] || fail "rebuild changed the fingerprint"
(cd b && "$AFC" build manifest.yaml -o ../bin 2>../b2b.err) || fail "build from the root"
[ "$(sed -n 's/.*fingerprint \([0-9a-f]*\)$/\1/p' b2b.err)" = "$fp" ] || fail "the fingerprint depends on the cwd"
echo changed >> b/templates/note.txt
"$AFC" build b/manifest.yaml -o bin 2>b3.err
fp3=$(sed -n 's/.*fingerprint \([0-9a-f]*\)$/\1/p' b3.err)
[ "$fp3" != "$fp" ] || fail "fingerprint ignores assets"

# explain shows the bundle and its plugins
"$AFC" explain b/manifest.yaml >explain.out 2>&1 || fail "explain"
grep -q "plugins: 3 step types, 1 driver" explain.out || fail "$(cat explain.out)"
grep -q "store2: kv/dir, profile local" explain.out || fail "$(cat explain.out)"

# afc list-steps and help describe the plugin's steps with --bundle
run "$AFC" list-steps --bundle b/manifest.yaml
expect_rc 0
grep -qE '^kv_put +Stores a value under a key$' "$WORK/out" || fail "kv_put not listed: $(cat "$WORK/out")"
run "$AFC" list-steps
grep -q '^kv_put' "$WORK/out" && fail "kv_put listed without --bundle"
run "$AFC" list-steps --json --bundle b/manifest.yaml
python3 -c 'import json,sys; s={d["name"]: d for d in json.load(open(sys.argv[1]))}; i={x["name"]: x for x in s["kv_put"]["inputs"]}; assert i["key"]["required"] and s["kv_put"]["resource_kinds"] == "kv", s["kv_put"]' "$WORK/out" ||
    fail "kv_put schema in --json"
run "$AFC" help kv_put --bundle b/manifest.yaml
expect_rc 0
expect_out_has "kv_put - Stores a value under a key"
expect_out_has "Connector kinds for \`resource\`: kv"
grep -qE '^  key +string +required$' "$WORK/out" || fail "kv_put inputs: $(cat "$WORK/out")"
run "$AFC" help kv_put
expect_rc 2
expect_err_has "add --bundle MANIFEST for a bundle's plugin steps"
# a flow file is not a manifest
run "$AFC" list-steps --bundle b/flows/orders.yaml
expect_rc 2
expect_err_has "b/flows/orders.yaml is not a bundle manifest"
# a bundle whose flow has an error still describes its plugins, and says so
printf 'version: 1\nflow: {id: broken}\njobs: [{id: j, steps: [{id: s, type: kv_putt}]}]\n' > b/flows/broken.yaml
run "$AFC" help kv_get --bundle b/manifest.yaml
expect_rc 0
expect_out_has "kv_get - Reads the value of a key"
expect_err_has "b/manifest.yaml has errors; \`afc validate b/manifest.yaml\` shows them"
