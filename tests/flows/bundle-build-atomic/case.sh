# A bundle build writes every executable or none: an error in one flow, or
# a C compiler failure, leaves the output directory as it was.
export AETHERFLOW_CACHE_DIR=$WORK/cache
mkdir -p b/flows b/plugins out
echo "{}" > b/profiles.yaml
cat > b/manifest.yaml <<'YAML'
bundle:
  id: two
  source: {type: filesystem, base_path: .}
  layout: {flows_dir: flows, profiles_file: profiles.yaml, plugins_dir: plugins}
  entry_flow: flows/a.yaml
YAML
for f in a b; do
cat > b/flows/$f.yaml <<YAML
flow: {id: flow_$f, state: {path: "{{env.WORK}}/state.db"}, workspace: {root: "{{env.WORK}}/work"}}
jobs:
  - id: j
    steps:
      - {id: s, type: check_items, inputs: {items: [x]}}
YAML
done
cat > b/plugins/only_tcc.c <<'C'
/* compiles with tcc only: gcc builds of this bundle fail in the C compiler */
#include <af.h>
#ifndef __TINYC__
#error this plugin is for tcc
#endif
int only_tcc_marker;
C
"$AFC" build b/manifest.yaml -o out 2>ok.err || { cat ok.err; fail "build"; }
[ -x out/flow_a ] && [ -x out/flow_b ] || fail "not both built: $(ls out)"
rm out/*

sed -i 's/items: \[x\]/itemz: [x]/' b/flows/b.yaml
if "$AFC" build b/manifest.yaml -o out 2>err1; then fail "built with an error"; fi
grep -q "b/flows/b.yaml:5:.*missing required input 'items'" err1 || fail "$(cat err1)"
[ -z "$(ls -A out)" ] || fail "a failed build wrote: $(ls -A out)"
if "$AFC" build b/manifest.yaml -o new-dir 2>/dev/null; then fail "built"; fi
[ ! -e new-dir ] || fail "a failed build created its output dir"
sed -i 's/itemz: \[x\]/items: [x]/' b/flows/b.yaml

if "$AFC" build b/manifest.yaml -o out --cc gcc 2>err2; then fail "gcc built a tcc-only plugin"; fi
grep -q "gcc failed" err2 || fail "$(cat err2)"
[ -z "$(ls -A out)" ] || fail "a failed C compile left: $(ls -A out)"

# two flows with the same id would write the same executable
sed -i 's/id: flow_b/id: flow_a/' b/flows/b.yaml
if "$AFC" build b/manifest.yaml -o out 2>err3; then fail "duplicate flow ids built"; fi
grep -q "b/flows/b.yaml:1:[0-9]*: error: flow id 'flow_a' is used by two flows of the bundle" err3 || fail "$(cat err3)"
[ -z "$(ls -A out)" ] || fail "wrote $(ls -A out)"
sed -i 's/id: flow_a, state/id: flow_b, state/' b/flows/b.yaml
if "$AFC" build b/manifest.yaml -o gcc-out --cc gcc 2>/dev/null; then fail "gcc built"; fi
[ ! -e gcc-out ] || fail "a failed C compile left its output dir"
