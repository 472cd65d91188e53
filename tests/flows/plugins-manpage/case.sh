# The worked examples of afc-plugins(7) are real: extracted from the page,
# built into a bundle, run, and their documented diagnostics reproduced.
export AETHERFLOW_CACHE_DIR=$WORK/cache
PAGE=$CASE_DIR/../../../man/afc-plugins.7
mkdir -p b/plugins b/flows b/data
# troff to text: \e is a backslash, \- a hyphen, \& nothing
extract() {
    sed -n "/^\.\\\\\" BEGIN EXAMPLE $1\$/,/^\.\\\\\" END EXAMPLE\$/p" "$PAGE" |
        sed -e '1d;$d' | sed -e '/^\.nf$/d' -e '/^\.fi$/d' -e 's/\\e/\\/g' -e 's/\\-/-/g' -e 's/\\&//g'
}
for f in csv_count.c notify.c secrets.c; do extract $f > b/plugins/$f; [ -s b/plugins/$f ] || fail "no $f in the page"; done
extract orders.yaml > b/flows/orders.yaml
gcc -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$AFC_HOME/include/afc" b/plugins/*.c || fail "examples do not compile cleanly"
printf 'id,total\n1,10\n2,20\n' > b/data/orders.csv
echo "{}" > b/profiles.yaml
cat > b/manifest.yaml <<'YAML'
bundle:
  id: orders
  source: {type: filesystem, base_path: .}
  layout: {profiles_file: profiles.yaml, plugins_dir: plugins}
  entry_flow: flows/orders.yaml
YAML
"$AFC" build b/manifest.yaml -o bin 2>build.err || { cat build.err; fail "build"; }
export ALERTS_FILE=$WORK/alerts.log ALERTS_TOKEN=rot13:frperg
run bin/orders --run-id r1
expect_rc 0
expect_file alerts.log "[orders] 2 orders"
expect_err_has "csv_counted"
ALERTS_TOKEN=plain run bin/orders --run-id r2
expect_rc 2
expect_err_has "resource 'alerts': decoding config.token failed: not a rot13: value"

# the diagnostics the page shows
cd b
sed -i 's/min_rows: 1}/min_rows: -1}/; s/type: notify/type: notfy/' flows/orders.yaml
NO_COLOR=1 "$AFC" validate manifest.yaml 2>../v.err && fail "validated"
cd ..
grep -q "^flows/orders.yaml:17:83: error: csv_count: min_rows must be 0 or more$" v.err || fail "$(cat v.err)"
grep -q "^flows/orders.yaml:21:15: error: unknown step type 'notfy'$" v.err || fail "$(cat v.err)"
grep -q "^flows/orders.yaml:21:15: note: did you mean 'notify'?$" v.err || fail "$(cat v.err)"
extract orders.yaml > b/flows/orders.yaml
sed -i 's/    af_out_set(s, "sent", af_bool(1));/    af_out_set(s, "sent", af_bool(1))/' b/plugins/notify.c
(cd b && NO_COLOR=1 "$AFC" validate manifest.yaml 2>../v2.err) && fail "validated"
grep -q "^plugins/notify.c:95:5: error: ';' expected (got \"return\")$" v2.err || fail "$(cat v2.err)"
grep -q "^   95 |     return AF_SUCCESS;$" v2.err || fail "$(cat v2.err)"
