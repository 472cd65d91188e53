#!/usr/bin/env bash
# bench/foundation.sh - the foundation's figures:
#   - wall time per run of a 4-job trivial flow (median), next to the
#     reference implementation running the same YAML when it is available
#     (AETHERFLOW_REF_SRC: its packages/aetherflow-core/src);
#   - cost per step of a 1,000-step flow, state included;
#   - `afc build` time with libtcc and with gcc;
#   - executable size and shared libraries.
set -eu
AFC=${AFC:-build/bin/afc}
T=$(mktemp -d /tmp/afc-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
export WORK=$T
REF=${AETHERFLOW_REF_SRC:-/work/ref/packages/aetherflow-core/src}

# ---- the 4-job flow: each job one check_items step, the last three gated
cat > "$T/four.yaml" <<'YAML'
version: 1
flow:
  id: four
  workspace: {root: "{{env.WORK}}/work", cleanup_policy: on_success}
  state: {path: "{{env.WORK}}/four.sqlite"}
jobs:
  - id: probe
    steps:
      - id: check
        type: check_items
        inputs: {items: [a, b]}
        outputs: {has_data: "{{result.has_data}}"}
  - id: two
    depends_on: [probe]
    when: jobs.probe.outputs.has_data == true
    steps:
      - {id: s, type: check_items, inputs: {items: [x]}}
  - id: three
    depends_on: [two]
    steps:
      - {id: s, type: check_items, inputs: {items: [x]}}
  - id: four
    depends_on: [three]
    steps:
      - {id: s, type: check_items, inputs: {items: [x]}}
YAML

median_ms() { # command... ; prints the median wall time of 30 runs in ms
    python3 - "$@" <<'PY'
import subprocess, sys, time, statistics, os
cmd = sys.argv[1:]
ts = []
for i in range(30):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    ts.append((time.perf_counter() - t) * 1000)
print("%.2f" % statistics.median(ts))
PY
}

echo "-- afc build (4-job flow), median of 30"
echo "libtcc: $(median_ms "$AFC" build "$T/four.yaml" -o "$T/four") ms"
echo "gcc -O2: $(median_ms "$AFC" build "$T/four.yaml" -o "$T/four-gcc" --cc gcc) ms"
"$AFC" build "$T/four.yaml" -o "$T/four" 2>/dev/null
"$AFC" build "$T/four.yaml" -o "$T/four-gcc" --cc gcc 2>/dev/null

echo "-- executable"
echo "size (tcc): $(stat -c %s "$T/four") bytes; size (gcc): $(stat -c %s "$T/four-gcc") bytes"
echo "shared libraries: $(ldd "$T/four" | awk '{print $1}' | tr '\n' ' ')"

echo "-- 4-job flow, wall time per run, median of 30"
afc_ms=$(median_ms "$T/four")
echo "afc executable (tcc), state and workspace on $(df --output=fstype "$T" | tail -1): $afc_ms ms"
echo "afc executable (gcc): $(median_ms "$T/four-gcc") ms"
if [ -d /dev/shm ]; then
    # the same with the state store and the job directories on tmpfs: what is
    # left is the executable's own work (directory creation and fsync-free
    # SQLite commits cost more on some disks than the rest of the run)
    S=$(mktemp -d /dev/shm/afc-bench.XXXXXX)
    echo "afc executable (tcc), state and workspace on tmpfs: $(WORK=$S median_ms "$T/four") ms"
    rm -rf "$S"
fi
if [ -d "$REF/aetherflow/core" ] && PYTHONPATH="$REF" python3 -c 'import aetherflow.core' 2>/dev/null; then
    ref_ms=$(PYTHONPATH="$REF" median_ms python3 -c 'import sys; from aetherflow.core.cli import main; sys.exit(main(sys.argv[1:]))' run --flow-yaml "$T/four.yaml")
    echo "reference (python): $ref_ms ms"
    python3 -c "print('speed-up: %.0fx' % ($ref_ms / $afc_ms))"
else
    echo "reference: not available (set AETHERFLOW_REF_SRC to its packages/aetherflow-core/src)"
fi

echo "-- 1,000-step flow (one job), cost per step including state"
python3 - "$T/thousand.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('version: 1\nflow:\n  id: thousand\n  workspace: {root: "{{env.WORK}}/work"}\n'
            '  state: {path: "{{env.WORK}}/thousand.sqlite"}\njobs:\n  - id: j\n    steps:\n')
    for i in range(1000):
        prev = f'"{{{{steps.s{i-1}.count}}}}"' if i else '1'
        f.write(f'      - {{id: s{i}, type: check_items, inputs: {{items: [a, b, c], min_count: {prev}}}}}\n')
PY
"$AFC" build "$T/thousand.yaml" -o "$T/thousand" 2>/dev/null
build_ms=$(median_ms "$AFC" build "$T/thousand.yaml" -o "$T/thousand")
echo "afc build of the 1,000-step flow: $build_ms ms"
for sync in normal full; do
    ms=$(AETHERFLOW_STATE_SYNC=$sync median_ms "$T/thousand")
    python3 -c "print('state sync $sync: %.1f ms per run, %.3f ms per step' % ($ms, $ms / 1000))"
done
