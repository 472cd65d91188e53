# mail_send in a compiled flow against tests/servers/smtpd.sh.
ROOT_DIR=$(cd "$CASE_DIR/../../.." && pwd)
mkdir -p "$WORK/smtpd"
trap 'bash "$ROOT_DIR/tests/servers/smtpd.sh" stop "$WORK/smtpd"' EXIT
bash "$ROOT_DIR/tests/servers/smtpd.sh" start "$WORK/smtpd" >/dev/null
set -a; . "$WORK/smtpd/smtpd.env"; set +a
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1 --keep-going
expect_rc 1
# two messages reached the servers: the TLS one and the retried one (once)
/usr/bin/python3 - "$SMTPD_MAILDIR" "$WORK/outbox" "$(sqlite3 state.db "select json_extract(outputs_json, '$.message_id') from af_step_outputs where step_id='tls'")" <<'PY'
import email, email.policy, glob, json, sys
d, outbox, msgid = sys.argv[1:4]
envs = [json.load(open(p)) for p in sorted(glob.glob(d + "/*.json"))]
assert [(e["server"], e["rcpt_tos"], e["tls"]) for e in envs] == [
    ("ssl", ["ops@example.org", "lead@example.org"], True),
    ("plain", ["flaky@example.org"], False)], envs
read = lambda p: email.message_from_binary_file(open(p, "rb"), policy=email.policy.default)
m = read(d + "/0001.eml")
assert (m["From"], m["To"], m["Subject"], m["Message-ID"]) == ("Reports <reports@example.org>", "Ops Team <ops@example.org>, lead@example.org", "Nightly r1", msgid), dict(m)
# html "false": the body is plain text, tags and all
body = m.get_body(("plain", "html"))
assert (body.get_content_type(), body.get_content().rstrip("\n")) == ("text/plain", "<b>not html</b>"), repr(body)
parts = [(p.get_filename(), p.get_content_type(), p.get_content()) for p in m.iter_attachments()]
assert parts == [("report.csv", "text/csv", "id;wert\n1;2\n"), ("Notiz März.txt", "text/x-note", "<b>not html</b>")] or \
       parts == [("report.csv", "text/csv", "id;wert\n1;2\n"), ("Notiz März.txt", "text/x-note", b"<b>not html</b>")], parts
m = read(d + "/0002.eml")
assert m["Subject"] == "retried" and m.get_content().strip() == "second time lucky"
# the file driver: the same message bytes, in the outbox
files = glob.glob(outbox + "/*.eml")
assert len(files) == 1, files
m = read(files[0])
assert (m["From"], m["To"], m["Subject"], m.get_content_type()) == ("aetherflow@localhost", "local@example.org", "Übersicht", "multipart/alternative"), dict(m)
assert [(p.get_content_type(), p.get_content().strip()) for p in m.iter_parts()] == [("text/plain", "hi"), ("text/html", "<p>hi</p>")]
PY
expect_rows "select step_id, json_extract(outputs_json, '$.html'), json_extract(outputs_json, '$.attachments') from af_step_outputs where job_id='send' and step_id != 'make' order by step_id" \
'file|1|[]
retry|0|[]
tls|0|["report.csv","Notiz März.txt"]'
expect_rows "select json_extract(outputs_json, '$.to') from af_step_outputs where step_id='tls'" '["Ops Team <ops@example.org>, lead@example.org"]'
err() { expect_err_line "$CASE_DIR/flow.yaml:$1: step 'x' (mail_send): error: $2"; }
err 61:13 "mail resource 'plain': SMTP send failed after 2 attempt(s): SMTP server 127.0.0.1:$SMTPD_PORT refused: RCPT failed: 550 (server said: 550 5.1.1 mailbox unavailable)"
err 66:13 "mail resource 'badpw': SMTP send failed after 1 attempt(s): SMTP login failed at 127.0.0.1:$SMTPD_AUTH_PORT (server said: 535 5.7.8 Authentication credentials invalid)"
err 71:13 "mail resource 'plain': attachment '$WORK/work/mailsteps/missing_attachment/r1/artifacts/nope.csv': No such file or directory"
err 76:13 "mail resource 'plain': subject: line breaks are not allowed in a header"
expect_rows "select job_id, status from job_runs order by job_id" \
"bad_subject|FAILED
missing_attachment|FAILED
rejected|FAILED
send|SUCCESS
wrong_password|FAILED"
# the password never reaches the log or the state store
expect_err_lacks "$SMTPD_PASSWORD"
sqlite3 state.db .dump | grep -qF "$SMTPD_PASSWORD" && fail "the password reached the state store"
true
