build "$CASE_DIR/flow.yaml"
AETHERFLOW_LOG_FORMAT=json run ./flow --run-id r1
expect_rc 0
# every line is one JSON object; the events a run emits are all there
python3 - "$WORK/err" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
names = [e["event"] for e in events]
for want in ["run_start", "job_start", "step_start", "external_process_stdout", "step_end", "job_end", "run_summary"]:
    assert want in names, (want, names)
end = [e for e in events if e["event"] == "step_end"][0]
assert end["status"] == "SUCCESS" and isinstance(end["duration_ms"], int), end
assert end["flow_id"] == "jsonlogs" and end["run_id"] == "r1" and end["job_id"] == "j" and end["step_id"] == "s" and end["step_type"] == "external.process", end
out = [e["message"] for e in events if e["event"] == "external_process_stdout"]
assert out == ['line "one"', "two"], out
summary = events[-1]
assert summary["event"] == "run_summary" and summary["status_counts"] == {"SUCCESS": 1}, summary
assert summary["jobs"][0]["steps"][0]["status"] == "SUCCESS", summary
PY
