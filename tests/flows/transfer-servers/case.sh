# Transfer steps in a compiled flow against tests/servers/sshd.sh and smbd.sh.
ROOT_DIR=$(cd "$CASE_DIR/../../.." && pwd)
mkdir -p "$WORK/sshd" "$WORK/smbd"
trap 'bash "$ROOT_DIR/tests/servers/sshd.sh" stop "$WORK/sshd"; bash "$ROOT_DIR/tests/servers/smbd.sh" stop "$WORK/smbd"' EXIT
chmod 755 "$WORK"
bash "$ROOT_DIR/tests/servers/sshd.sh" start "$WORK/sshd" >/dev/null
bash "$ROOT_DIR/tests/servers/smbd.sh" start "$WORK/smbd" >/dev/null
set -a; . "$WORK/sshd/sshd.env"; . "$WORK/smbd/smbd.env"; set +a
# a host key the server does not have: its fingerprint, and a known_hosts naming it
ssh-keygen -q -t ed25519 -N '' -f "$WORK/other_host" -C other
export OTHER_FP=$(ssh-keygen -l -E sha256 -f "$WORK/other_host.pub" | awk '{print $2}')
export OTHER_KNOWN_HOSTS=$WORK/other_known_hosts
echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$WORK/other_host.pub")" > "$OTHER_KNOWN_HOSTS"
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1 --keep-going
expect_rc 1
P=$WORK/work/xfersrv/push/r1
UP=$SSHD_PW_HOME/up/today
# first run: a and b are up and journaled, c failed; no manifest yet
expect_err_line "$CASE_DIR/flow.yaml:57:13: step 'upload' (sftp_upload_files): error: 1 of 3 uploads failed; first: item 2 '$P/artifacts/c.csv' -> 'up/today/c.csv': cannot open '$P/artifacts/c.csv': No such file or directory"
[ "$(ls -A "$UP" | tr '\n' ' ')" = "a.csv b.csv " ] || fail "server after run 1: $(ls -A "$UP")"
[ "$(cat "$P/manifests/upload.manifest.jsonl")" = "{\"id\": \"a.csv\", \"file\": \"$P/artifacts/a.csv\", \"remote_path\": \"up/today/a.csv\"}
{\"id\": \"bee\", \"file\": \"$P/artifacts/b.csv\", \"remote_path\": \"up/today/b.csv\"}" ] || fail "journal: $(cat "$P/manifests/upload.manifest.jsonl")"
expect_no_file "$P/manifests/upload.manifest.json"
# the host key was only logged, with its fingerprint, for the unpinned resource
expect_err_has "WARNING sftp_host_key_unverified flow_id=xfersrv run_id=r1 resource=nopin driver=libssh2 host=127.0.0.1 port=$SSHD_PORT key_type=ssh-ed25519 fingerprint=$SSHD_FP_ED25519 "
[ "$(grep -c sftp_host_key_unverified err)" = 1 ] || fail "unverified warnings: $(grep -c sftp_host_key_unverified err)"
expect_rows "select json_extract(outputs_json, '$.files[0].path') from af_step_outputs where job_id='unpinned'" "readonly/locked.txt"
err() { expect_err_line "$CASE_DIR/flow.yaml:$1: step 'list' (sftp_list_files): error: resource '$2' (sftp/libssh2): $3"; }
err 76:14 badpin "host key of 127.0.0.1:$SSHD_PORT does not match host_key_sha256: the server presented ssh-ed25519 $SSHD_FP_ED25519"
err 79:14 badkh "host key of 127.0.0.1:$SSHD_PORT does not match $OTHER_KNOWN_HOSTS: the server presented ssh-ed25519 $SSHD_FP_ED25519"
err 82:14 badpw "authentication failed for user '$SSHD_PW_USER' at $SSHD_PW_USER@127.0.0.1:$SSHD_PORT (wrong password?)"
err 85:14 badpp "cannot use private key '$SSHD_KEY_ED25519_PP': wrong passphrase or unsupported key format"
R=$WORK/work/xfersrv/read_only/r1/artifacts
expect_err_has "$CASE_DIR/flow.yaml:91:14: step 'sftp' (sftp_upload_files): error: 1 of 1 uploads failed; first: item 0 '$R/x.txt' -> 'readonly/x.txt': cannot create 'readonly/.x.txt.afctmp-"
expect_err_has "': permission denied (SFTP status 3)"
S=$WORK/work/xfersrv/smb_read_only/r1/artifacts
expect_err_has "$CASE_DIR/flow.yaml:97:14: step 'smb' (smb_upload_files): error: cannot upload '$S/x.txt' to 'readonly:/x.txt': cannot create 'readonly:/.x.txt.afctmp-"
[ "$(ls -A "$SSHD_RO_DIR")" = locked.txt ] || fail "readonly dir: $(ls -A "$SSHD_RO_DIR")"
[ "$(ls -A "$SMBD_RO_DIR")" = readme.txt ] || fail "readonly share: $(ls -A "$SMBD_RO_DIR")"
cp err err1
# second run, same run id: c is there now, and a changed locally; only c goes up
printf c1 > "$P/artifacts/c.csv"
printf a2 > "$P/artifacts/a.csv"
run ./flow --run-id r1 --keep-going
expect_rc 1
[ "$(cat "$UP/a.csv")|$(cat "$UP/b.csv")|$(cat "$UP/c.csv")" = "a1|b1|c1" ] || fail "server after the resume"
ls -A "$UP" | grep -q afctmp && fail "temporary names left: $(ls -A "$UP")"
[ "$(cat "$P/manifests/upload.manifest.json")" = "[
  {
    \"id\": \"a.csv\",
    \"skipped\": true
  },
  {
    \"id\": \"bee\",
    \"skipped\": true
  },
  {
    \"id\": \"c.csv\",
    \"file\": \"$P/artifacts/c.csv\",
    \"remote_path\": \"up/today/c.csv\"
  }
]" ] || fail "manifest: $(cat "$P/manifests/upload.manifest.json")"
expect_no_file "$P/manifests/upload.manifest.jsonl"
expect_rows "select outputs_json from af_step_outputs where job_id='push' and step_id='upload'" "{\"manifest\":\"$P/manifests/upload.manifest.json\",\"count\":3}"
expect_rows "select step_id, status from step_runs where job_id='push' order by step_id" "make|SUCCESS
upload|SUCCESS"
expect_rows "select job_id, status from job_runs order by job_id" \
"known_hosts|SUCCESS
push|SUCCESS
read_only|FAILED
smb_read_only|FAILED
unpinned|SUCCESS
wrong_known_hosts|FAILED
wrong_passphrase|FAILED
wrong_password|FAILED
wrong_pin|FAILED"
# no secret in either run's log or in the state store
for secret in "$SSHD_PW_PASS" "$SSHD_KEY_ECDSA_PASS" "$SSHD_KEY_ED25519_PP_PASS" "$SMBD_PASS"; do
    grep -qF -- "$secret" err1 err && fail "a secret reached the log"
    sqlite3 state.db .dump | grep -qF -- "$secret" && fail "a secret reached the state store"
done
true
