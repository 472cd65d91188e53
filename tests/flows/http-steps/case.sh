# http_request in a compiled flow against tests/servers/httpd.sh.
ROOT_DIR=$(cd "$CASE_DIR/../../.." && pwd)
mkdir -p "$WORK/httpd"
trap 'bash "$ROOT_DIR/tests/servers/httpd.sh" stop "$WORK/httpd"' EXIT
bash "$ROOT_DIR/tests/servers/httpd.sh" start "$WORK/httpd" >/dev/null
set -a; . "$WORK/httpd/httpd.env"; set +a
printf 'hello\n' > "$HTTPD_WWW/hello.txt"
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1 --keep-going
expect_rc 1
C=$WORK/work/httpsteps/calls/r1/artifacts
sum=$(sha256sum "$C/upload.bin" | cut -d' ' -f1)
q() { sqlite3 state.db "select json_extract(outputs_json, '$2') from af_step_outputs where job_id='calls' and step_id='$1'"; }
# multipart: the form fields, then the file streamed under its filename
[ "$(q multipart '$.json.form')" = "[{\"name\":\"kind\",\"filename\":null,\"content_type\":\"text/plain\",\"size\":7,\"sha256\":\"$(printf nightly | sha256sum | cut -d' ' -f1)\",\"text\":\"nightly\"},{\"name\":\"n\",\"filename\":null,\"content_type\":\"text/plain\",\"size\":1,\"sha256\":\"$(printf 3 | sha256sum | cut -d' ' -f1)\",\"text\":\"3\"},{\"name\":\"file\",\"filename\":\"daten ü.bin\",\"content_type\":\"application/octet-stream\",\"size\":300000,\"sha256\":\"$sum\",\"text\":null}]" ] \
    || fail "multipart form: $(q multipart '$.json.form')"
# multipart "false": the file is the raw body
[ "$(q raw '$.json.body_len')|$(q raw '$.json.body_sha256')|$(q raw '$.json.headers.content-type')" = "300000|$sum|application/octet-stream" ] || fail "raw: $(q raw '$.json')"
# save_to: the whole stream, byte for byte
/usr/bin/python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); assert d == bytes(i % 251 for i in range(2000000)), len(d)' "$C/dl/stream.bin" || fail "stream.bin differs"
[ "$(q stream '$.bytes')|$(q stream '$.saved_to')|$(q stream '$.json')|$(q stream '$.text')" = "2000000|$C/dl/stream.bin||" ] || fail "stream outputs"
# over max_body_bytes: counted, not kept
[ "$(q big '$.status')|$(q big '$.bytes')|$(q big '$.text')|$(q big '$.json')" = "200|5000||" ] || fail "big outputs"
[ "$(q redirect '$.status')|$(q redirect '$.json.status')" = "200|200" ] || fail "redirect not followed"
[ "$(q no_follow '$.status')|$(q no_follow '$.headers.location')" = "302|/status/200" ] || fail "no_follow"
[ "$(q not_found '$.status')|$(q not_found '$.saved_to')" = "404|$C/dl/404.json" ] || fail "not_found"
expect_file "$C/dl/404.json" '{"status": 404}'
[ "$(q tls '$.url')|$(q tls '$.json.query')" = "$HTTPD_TLS_URL/echo/tls|flag=true&ids=1&ids=2" ] || fail "tls: $(q tls '$.json')"
expect_file "$C/dl/hello.txt" hello
[ "$(q bare '$.text')" = "hello" ] || fail "bare text: $(q bare '$.text')"
# failures: exact messages; nothing at save_to, no temporary file left
err() { expect_err_line "$CASE_DIR/flow.yaml:$1: step 'x' (http_request): error: $2"; }
err 59:13 "HTTP 503 from GET $HTTPD_URL/status/503 (expected 2xx): {\"status\": 503}"
err 64:13 "REST request failed after 1 attempt(s): GET $HTTPD_URL/drop/400000: connection lost before the response was complete: transfer closed with 200000 bytes remaining to read"
err 69:13 "REST request failed after 1 attempt(s): GET $HTTPD_TLS_URL/echo: TLS certificate not trusted: SSL certificate problem: self-signed certificate (set options.ca_file, or options.verify_ssl: false)"
err 74:13 "HTTP 401 from GET $HTTPD_URL/auth/x (expected 2xx): {\"error\": \"unauthorized\"}"
for j in server_error cut_off; do
    [ -z "$(ls -A "$WORK/work/httpsteps/$j/r1/artifacts/dl")" ] || fail "$j left: $(ls -A "$WORK/work/httpsteps/$j/r1/artifacts/dl")"
done
[ "$(ls -A "$C/dl" | tr '\n' ' ')" = "404.json hello.txt stream.bin " ] || fail "dl/ holds: $(ls -A "$C/dl")"
expect_rows "select job_id, status from job_runs order by job_id" \
"calls|SUCCESS
cut_off|FAILED
no_token|FAILED
server_error|FAILED
untrusted|FAILED"
# the token never reaches the log (the echo server's answers hold it, by design)
expect_err_lacks "$HTTPD_TOKEN"
