# afc new-step writes a commented plugin skeleton that compiles as it is
# (with tcc in a bundle, and cleanly with gcc -Wall -Wextra), runs, and is
# checked at build time like a built-in step.
export AETHERFLOW_CACHE_DIR=$WORK/cache
mkdir -p b/plugins b/flows
"$AFC" new-step acme.upper -o b/plugins/acme_upper.c 2>ns.err || { cat ns.err; fail "new-step"; }
grep -q "wrote b/plugins/acme_upper.c: step type 'acme.upper' (descriptor af_step_acme_upper)" ns.err || fail "$(cat ns.err)"
grep -q '^const af_step_desc af_step_acme_upper = {' b/plugins/acme_upper.c || fail "no descriptor"
# never overwrites; names are checked
if "$AFC" new-step acme.upper -o b/plugins/acme_upper.c 2>ns2.err; then fail "overwrote"; fi
grep -q "never overwrites" ns2.err || fail "$(cat ns2.err)"
if "$AFC" new-step "9 bad" 2>ns3.err; then fail "bad name accepted"; fi
grep -q "invalid step type '9 bad'" ns3.err || fail "$(cat ns3.err)"
# the default file name comes from the type
(cd b && "$AFC" new-step other-step 2>/dev/null) && [ -f b/other_step.c ] || fail "default name"

gcc -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$AFC_HOME/include/afc" b/plugins/acme_upper.c ||
    fail "the skeleton does not compile cleanly with gcc"

echo "{}" > b/profiles.yaml
cat > b/manifest.yaml <<'YAML'
bundle:
  id: skel
  source: {type: filesystem, base_path: .}
  layout: {profiles_file: profiles.yaml, plugins_dir: plugins}
  entry_flow: flows/skel.yaml
YAML
cat > b/flows/skel.yaml <<'YAML'
flow:
  id: skel
  workspace: {root: "{{env.WORK}}/work", cleanup_policy: never}
  state: {path: "{{env.WORK}}/state.db"}
jobs:
  - id: j
    steps:
      - id: write
        type: acme.upper
        inputs: {text: "ab-{{run_id}};", repeat: 3}
      - id: empty
        type: acme.upper
        inputs: {text: "", path: empty.txt}
YAML
"$AFC" build b/manifest.yaml -o bin 2>build.err || { cat build.err; fail "build"; }
run bin/skel --run-id r1
expect_rc 0
expect_file work/skel/j/r1/artifacts/acme_upper.txt "ab-r1;ab-r1;ab-r1;"
expect_no_file work/skel/j/r1/artifacts/empty.txt
expect_rows "select step_id, status from step_runs where run_id='r1' order by step_id" "empty|SKIPPED
write|SUCCESS"
"$AFC" build b/manifest.yaml -o bin-gcc --cc gcc 2>gcc.err || { cat gcc.err; fail "gcc build"; }
run bin-gcc/skel --run-id r2
expect_rc 0

# its schema and check hook apply at build time
sed -i 's/repeat: 3/repeat: -1/' b/flows/skel.yaml
if "$AFC" validate b/manifest.yaml 2>v.err; then fail "negative repeat accepted"; fi
grep -q "^b/flows/skel.yaml:10:[0-9]*: error: acme.upper: repeat must be 0 or more, not -1" v.err || fail "$(cat v.err)"
sed -i 's/repeat: -1/repeat: {n: 1}/' b/flows/skel.yaml
if "$AFC" validate b/manifest.yaml 2>v2.err; then fail "mapping repeat accepted"; fi
grep -q "error: acme.upper: input 'repeat' must be an integer, not a mapping" v2.err || fail "$(cat v2.err)"
