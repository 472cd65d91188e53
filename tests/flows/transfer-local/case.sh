# Transfer steps in a compiled flow on the local drivers.
mkdir -p sftp/in/sub sftp/keep smb/DATA smb/OTHER
printf 'a,1\n' > sftp/in/a.csv; printf 'b,2\n' > sftp/in/sub/b.csv; printf x > sftp/in/notes.txt; printf k > sftp/keep/k.txt
touch -d @1700000000 sftp/in/a.csv sftp/in/sub/b.csv
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1 --keep-going
expect_rc 1
P=$WORK/work/xferlocal/pickup/r1
expect_rows "select json_extract(outputs_json, '$.files') from af_step_outputs where job_id='pickup' and step_id='list'" \
'[{"path":"/in/a.csv","name":"a.csv","rel_path":"a.csv","is_dir":false,"size":4,"mtime":1700000000},{"path":"/in/sub/b.csv","name":"b.csv","rel_path":"sub/b.csv","is_dir":false,"size":4,"mtime":1700000000}]'
# not recursive: the subdirectory is an entry
expect_rows "select json_extract(outputs_json, '$.count'), json_extract(outputs_json, '$.files[2].rel_path'), json_extract(outputs_json, '$.files[2].is_dir'), json_extract(outputs_json, '$.files[2].size') from af_step_outputs where job_id='pickup' and step_id='top'" "3|sub|1|"
expect_file "$P/artifacts/inbox/a.csv" "a,1"
expect_file "$P/artifacts/inbox/sub/b.csv" "b,2"
expect_file sftp/out/today/a.csv "a,1"
expect_file sftp/out/today/B.csv "b,2"
# the listed files were deleted, the others stay
[ "$(cd sftp && find . -type f | sort | tr '\n' ' ')" = "./in/notes.txt ./keep/k.txt ./out/today/B.csv ./out/today/a.csv " ] || fail "sftp tree: $(cd sftp && find . -type f)"
# the manifest, as the reference writes it
[ "$(cat "$P/manifests/push.manifest.json")" = "[
  {
    \"id\": \"a.csv\",
    \"file\": \"$P/artifacts/inbox/a.csv\",
    \"remote_path\": \"/out/today/a.csv\"
  },
  {
    \"id\": \"bee\",
    \"file\": \"$P/artifacts/inbox/sub/b.csv\",
    \"remote_path\": \"/out/today/B.csv\"
  }
]" ] || fail "manifest: $(cat "$P/manifests/push.manifest.json")"
expect_no_file "$P/manifests/push.manifest.jsonl"
expect_rows "select outputs_json from af_step_outputs where job_id='pickup' and step_id='push'" "{\"manifest\":\"$P/manifests/push.manifest.json\",\"count\":2}"
# SMB: the share forms land in the shares' directories; the listing keeps the form
D=$WORK/work/xferlocal/drop/r1/artifacts
expect_rows "select json_extract(outputs_json, '$.files[0].path') from af_step_outputs where job_id='drop' and step_id in ('list', 'other') order by step_id" "/drop/a.csv
OTHER:/drop/b.csv"
expect_rows "select outputs_json from af_step_outputs where job_id='drop' and step_id='upload_unc'" \
"{\"uploaded\":[\"$P/artifacts/inbox/sub/b.csv\"],\"remote_dir\":\"\\\\\\\\fs01\\\\OTHER\\\\drop\"}"
expect_file "$D/back/a.csv" "a,1"
expect_file smb/DATA/drop/a.csv "a,1"
expect_no_file smb/OTHER/drop/b.csv
# SKIPPED with the reason; the rest of the job is skipped
expect_rows "select step_id, status from step_runs where job_id='empty' order by step_id" "list|SKIPPED
never|SKIPPED"
expect_file smb/DATA/drop/a.csv "a,1"
expect_rows "select json_extract(outputs_json, '$.reason'), json_extract(outputs_json, '$.has_data') from af_step_outputs where job_id='empty' and step_id='list'" "count(0) < min_count(1)|0"
expect_rows "select job_id, status from job_runs order by job_id" \
"bad_flag|FAILED
climb|FAILED
drop|SUCCESS
empty|SKIPPED
escape|FAILED
missing_dir|FAILED
pickup|SUCCESS"
err() { expect_err_line "$CASE_DIR/flow.yaml:$1: step '$2' ($3): error: $4"; }
err 75:13 list sftp_list_files "cannot list '/nope': No such file or directory"
err 80:13 list sftp_list_files "cannot list '/in/../../etc': path escapes base_dir: '/in/../../etc'"
err 85:13 download sftp_download_files "dest path escapes dest_dir: ../../k.txt"
err 90:13 push sftp_upload_files "input 'parallelism.fail_fast' must be a boolean (true or false)"
[ -z "$(find "$WORK/work/xferlocal/escape" -type f)" ] || fail "escape wrote: $(find "$WORK/work/xferlocal/escape" -type f)"
[ ! -e "$WORK/work/xferlocal/k.txt" ] && [ ! -e "$WORK/work/k.txt" ] || fail "k.txt escaped"
true
