# Bundle files outside flows, profiles and plugins are embedded and
# unpacked on first use into <AETHERFLOW_CACHE_DIR>/<fingerprint>, which
# AETHERFLOW_ACTIVE_DIR names: templates, data and scripts (modes kept)
# work from there; hidden files and afc's own output dir are left out.
export AETHERFLOW_CACHE_DIR=$WORK/cache
cp -r "$CASE_DIR/bundle" b
mkdir b/plugins && cp "$CASE_DIR/../bundle-plugins/bundle/plugins/"kv.* b/plugins/
# binary data survives embedding byte for byte: every byte value, trigraph
# look-alikes, quotes and backslashes, an empty file
for ((i = 0; i < 256; i++)); do printf "\\$(printf %03o $i)"; done > b/data/bytes.bin
printf '??=??/??(\\"\\\n"\0\0017' >> b/data/bytes.bin
head -c 65536 /dev/urandom >> b/data/bytes.bin
: > b/data/empty.txt
"$AFC" build b/manifest.yaml -o b/bin 2>build.err || { cat build.err; fail "build"; }
fp=$(sed -n 's/.*fingerprint \([0-9a-f]*\)$/\1/p' build.err)
run b/bin/report --version
expect_out_has "bundle assets (internal_fast mode, 5 embedded files)"

run b/bin/report --run-id r1
expect_rc 0
A=work/report/build/r1/artifacts
expect_file $A/report.txt "report template"
expect_file $A/values.csv "a,b
1,2"
expect_file $A/script.out "script ran in $WORK/$A"
expect_file kv/active "$WORK/cache/$fp"
expect_file cache/$fp/scripts/run.sh
cmp b/data/bytes.bin cache/$fp/data/bytes.bin || fail "binary asset changed"
expect_file cache/$fp/data/empty.txt ""
[ -x cache/$fp/scripts/run.sh ] || fail "the script lost its mode"
expect_no_file cache/$fp/.hidden
expect_no_file cache/$fp/bin
expect_no_file cache/$fp/flows
expect_no_file cache/$fp/plugins
expect_no_file cache/$fp/manifest.yaml
expect_no_file cache/$fp/profiles.yaml

# the executable is the bundle: without the build tree it still runs, from
# the cache, and unpacks again when the cache is gone
mv b/bin/report report && rm -rf b
run ./report --run-id r2
expect_rc 0
rm -rf cache
run ./report --run-id r3
expect_rc 0
expect_file cache/$fp/templates/report.txt "report template"
expect_file work/report/build/r3/artifacts/report.txt "report template"

# building again into the bundle's own output dir does not embed the outputs
cp -r "$CASE_DIR/bundle" b
mkdir b/plugins && cp "$CASE_DIR/../bundle-plugins/bundle/plugins/"kv.* b/plugins/
"$AFC" build b/manifest.yaml -o b/bin 2>b1.err && "$AFC" build b/manifest.yaml -o b/bin 2>b2.err || fail "rebuild"
[ "$(sed -n 's/.*fingerprint //p' b1.err)" = "$(sed -n 's/.*fingerprint //p' b2.err)" ] || fail "outputs embedded"
# nor when the output dir is the bundle root itself
"$AFC" build b/manifest.yaml -o b 2>b3.err && "$AFC" build b/manifest.yaml -o b 2>b4.err || fail "build into root"
[ "$(sed -n 's/.*fingerprint //p' b3.err)" = "$(sed -n 's/.*fingerprint //p' b4.err)" ] || fail "root outputs embedded"
