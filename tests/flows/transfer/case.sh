ROOT_DIR=$(cd "$CASE_DIR/../../.." && pwd)
mkdir -p "$WORK/sshd" "$WORK/smbd"
trap 'bash "$ROOT_DIR/tests/servers/sshd.sh" stop "$WORK/sshd"; bash "$ROOT_DIR/tests/servers/smbd.sh" stop "$WORK/smbd"' EXIT
chmod 755 "$WORK"
bash "$ROOT_DIR/tests/servers/sshd.sh" start "$WORK/sshd" >/dev/null
bash "$ROOT_DIR/tests/servers/smbd.sh" start "$WORK/smbd" >/dev/null
set -a; . "$WORK/sshd/sshd.env"; . "$WORK/smbd/smbd.env"; set +a
# the partner's inbox: two zips (one in a subdirectory) and a file that does not match
mkdir -p "$SSHD_KEY_HOME/inbox/sub"
printf 'A' > "$SSHD_KEY_HOME/inbox/a.zip"; printf 'BB' > "$SSHD_KEY_HOME/inbox/sub/b.zip"; printf 'x' > "$SSHD_KEY_HOME/inbox/notes.txt"
chown -R "$SSHD_KEY_USER" "$SSHD_KEY_HOME/inbox"
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1 --keep-going
expect_rc 1
A=work/transfer/pickup/r1/artifacts
expect_file $A/inbox/a.zip A
expect_file $A/inbox/sub/b.zip BB
expect_no_file $A/inbox/notes.txt
[ "$(cat "$SSHD_PW_HOME/outbox/a.zip")" = A ] || fail "a.zip not uploaded"
[ "$(cat "$SSHD_PW_HOME/outbox/renamed-b.zip")" = BB ] || fail "b.zip not uploaded under its remote_name"
ls "$SSHD_PW_HOME/outbox" | grep -q tmp && fail "temp names left on the server"
expect_file work/transfer/drop/r1/artifacts/back/payload.txt payload
[ -z "$(ls "$SMBD_SHARE_DIR/drop/today")" ] || fail "smb_delete_files left files"
expect_rows "select job_id, status from job_runs order by job_id" \
"badpw|FAILED
drop|SUCCESS
pickup|SUCCESS"
expect_err_has "access denied (wrong user name or password?)"
for secret in "$SMBD_PASS" "$SSHD_PW_PASS" "$SSHD_KEY_ED25519_PP_PASS"; do
    grep -qF -- "$secret" err && fail "a password reached the log"
    sqlite3 state.db .dump | grep -qF -- "$secret" && fail "a password reached the state store"
done
true
