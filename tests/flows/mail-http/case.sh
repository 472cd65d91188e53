# each server keeps its state (and its certificate) in its own directory
ROOT_DIR=$(cd "$CASE_DIR/../../.." && pwd)
mkdir -p "$WORK/smtpd" "$WORK/httpd"
trap 'bash "$ROOT_DIR/tests/servers/smtpd.sh" stop "$WORK/smtpd"; bash "$ROOT_DIR/tests/servers/httpd.sh" stop "$WORK/httpd"' EXIT
bash "$ROOT_DIR/tests/servers/smtpd.sh" start "$WORK/smtpd" >/dev/null
bash "$ROOT_DIR/tests/servers/httpd.sh" start "$WORK/httpd" >/dev/null
set -a; . "$WORK/smtpd/smtpd.env"; . "$WORK/httpd/httpd.env"; set +a
printf 'id,name\n1,alpha\n' > "$HTTPD_WWW/report.csv"
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1
expect_rc 0
expect_file work/mailhttp/fetch/r1/artifacts/in/report.csv "id,name
1,alpha"
expect_rows "select step_id, status from step_runs where run_id='r1' order by step_id" \
"copy|SUCCESS
download|SUCCESS
hello|SUCCESS
mail|SUCCESS"
# the server saw the bearer token, the query and the JSON body
sqlite3 state.db "select outputs_json from af_step_outputs where step_id='hello'" > hello.json
python3 - hello.json <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["status"] == 200, o
req = o["json"]
assert req["query"] == {"q": ["a b"]} or req.get("args") or "q=a+b" in json.dumps(req), req
PY
# one message through SMTP: envelope with the Bcc, headers without it, the attachment intact
/usr/bin/python3 - "$SMTPD_MAILDIR" <<'PY'
import email, email.policy, glob, json, sys
d = sys.argv[1]
envs = [json.load(open(p)) for p in sorted(glob.glob(d + "/*.json"))]
assert len(envs) == 1, envs
env = envs[0]
assert sorted(env["rcpt_tos"]) == ["audit@example.org", "lead@example.org", "team@example.org"], env
msg = email.message_from_binary_file(open(sorted(glob.glob(d + "/*.eml"))[0], "rb"), policy=email.policy.default)
assert "Bcc" not in msg, msg.keys()
assert msg["Subject"] == "Rapport für r1 ✓", msg["Subject"]
parts = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
assert parts == {"report.csv": b"id,name\n1,alpha\n"} or parts == {"report.csv": "id,name\n1,alpha\n"}, parts
PY
ls outbox/*.eml >/dev/null || fail "no .eml in the outbox"
# secrets never reach the logs or the state store
grep -qF "$SMTPD_PASSWORD" err && fail "password in the log"
grep -qF "$HTTPD_TOKEN" err && fail "token in the log"
sqlite3 state.db .dump | grep -qF "$SMTPD_PASSWORD" && fail "password in the state store"
true
