# zip in a compiled flow: names, order, duplicates, formats, outputs, and
# failures by their exact messages with no archive (or temp dir) left.
export OVERWRITE=maybe
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1 --keep-going
expect_rc 1
A=$WORK/work/arczip/pack/r1/artifacts
/usr/bin/python3 - "$A" <<'PY'
import sys, tarfile, zipfile
a = sys.argv[1]
z = zipfile.ZipFile(a + "/out/all.zip")
names = z.namelist()
# '*' matches names that start with a dot; .hid/ is below the glob's level
assert names == ["exports/.h.csv", "exports/a.csv", "exports/b.csv", "exports/sub/c.csv", "report.txt"], names
assert [z.read(n) for n in names] == [b"d", b"a", b"b", b"c", b"r"]
assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())
assert all(i.flag_bits & 0x1 == 0 for i in z.infolist())
z = zipfile.ZipFile(a + "/out/stored.zip")
assert z.namelist() == [".h.csv", ".hid/h.csv", "a.csv", "b.csv", "notes.txt", "sub/c.csv"], z.namelist()
assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
t = tarfile.open(a + "/out/exports.tar.gz")
files = sorted(m.name for m in t.getmembers() if m.isfile())
assert files == [".h.csv", ".hid/h.csv", "a.csv", "b.csv", "notes.txt", "sub/c.csv"], files
assert t.extractfile("sub/c.csv").read() == b"c"
PY
[ "$(zstd -dc "$A/out/exports.tar.zst" | tar -tf - | grep -v '/$' | sort | tr '\n' ' ')" = "a.csv sub/c.csv " ] \
    || fail "tar.zst members: $(zstd -dc "$A/out/exports.tar.zst" | tar -tf -)"
# Info-ZIP and 7-Zip read the archive too
unzip -tq "$A/out/all.zip" >/dev/null || fail "unzip -t all.zip"
7z t "$A/out/all.zip" >/dev/null || fail "7z t all.zip"
expect_rows "select step_id, status from af_step_attempts where job_id='pack' order by step_id" \
"again|FAILED
all|SUCCESS
make|SUCCESS
stored|SUCCESS
tgz|SUCCESS
tzst|SUCCESS"
expect_rows "select outputs_json from af_step_outputs where step_id='all'" \
"{\"output\":\"$A/out/all.zip\",\"count\":5,\"password\":false,\"driver\":\"zipfile\",\"src_dir\":\"$A\"}"
E=$WORK/work/arczip/empty/r1/artifacts
expect_rows "select status, outputs_json from af_step_outputs join step_runs using (run_id, job_id, step_id) where step_id='flat'" \
"SKIPPED|{\"output\":\"$E/out/flat.zip\",\"count\":0,\"reason\":\"no_files\"}"
expect_no_file "$E/out/flat.zip"
expect_err_line "$CASE_DIR/flow.yaml:32:13: step 'again' (zip): error: dest_path '$A/out/all.zip' already exists and overwrite is false"
# the earlier archive is untouched
[ "$(unzip -Z1 "$A/out/all.zip" | wc -l)" = 5 ] || fail "all.zip was replaced"
# a file outside src_dir fails the step, naming the file; nothing is written
B=$WORK/work/arczip/outside/r1/artifacts
expect_err_line "$CASE_DIR/flow.yaml:47:13: step 'zip' (zip): error: zip input '$B/out.txt' is outside src_dir '$B/base'"
[ -z "$(ls -A "$B/res" 2>/dev/null)" ] || fail "leftovers in res/: $(ls -A "$B/res")"
# a flag that is no boolean fails before any work
expect_err_line "$CASE_DIR/flow.yaml:52:13: step 'zip' (zip): error: input 'overwrite' must be a boolean, not string 'maybe'"
expect_rows "select job_id, status from job_runs order by job_id" \
"badflag|FAILED
empty|SKIPPED
outside|FAILED
pack|FAILED"
ls "$A/out" | grep -q afc-tmp && fail "temp dir left in out/"
true
