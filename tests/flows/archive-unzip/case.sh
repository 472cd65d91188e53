# unzip in a compiled flow: folder layout, members, overwrite, skipped
# archives, and every kind of unsafe entry refused with nothing left behind.
export IN=$WORK/work/in OUTSIDE=$WORK/outside
mkdir -p "$IN/cde" "$IN/slip" "$OUTSIDE"
/usr/bin/python3 - "$IN" <<'PY'
import stat, sys, zipfile
d = sys.argv[1]
def mk(name, entries):
    with zipfile.ZipFile(d + "/" + name, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data, *kind in entries:
            if kind:  # a symlink: Unix mode in the external attributes
                zi = zipfile.ZipInfo(n)
                zi.create_system = 3
                zi.external_attr = (stat.S_IFLNK | 0o777) << 16
                z.writestr(zi, data)
            else:
                z.writestr(n, data)
mk("cde/fgh.zip", [("f.txt", "F")])
mk("top.zip", [("a.txt", "A"), ("docs/b.txt", "B"), ("docs/c.txt", "C")])
ok = ("ok.txt", "ok")
mk("slip/dotdot.zip", [ok, ("../evil.txt", "x")])
mk("slip/abs.zip", [ok, ("/tmp/evil.txt", "x")])
mk("slip/drive.zip", [ok, ("C:evil.txt", "x")])
mk("slip/mid.zip", [ok, ("a/../../evil.txt", "x")])
mk("slip/linkout.zip", [ok, ("up", "../../..", "link")])
mk("slip/linkabs.zip", [ok, ("etc", "/etc", "link")])
mk("slip/through.zip", [ok, ("d", ".", "link"), ("d/x.txt", "x")])
mk("slip/plain.zip", [ok, ("docs/x.txt", "x")])
mk("slip/safelink.zip", [("docs/x.txt", "x"), ("latest", "docs/x.txt", "link")])
PY
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1 --keep-going
expect_rc 1
# what landed, as a listing of the artifacts (files with content, links with targets)
tree() {
    (cd "$1" && find . -mindepth 1 \( -type f -printf '%P=' -exec cat {} \; -printf '\n' \) -o \
        \( -type l -printf '%P->%l\n' \) -o \( -type d -printf '%P/\n' \) | sort)
}
L=$WORK/work/arcunzip/layout/r1/artifacts
[ "$(tree "$L/shared")" = "$(printf '%s\n' a.txt=A cde/ cde/f.txt=F docs/ docs/b.txt=B docs/c.txt=C)" ] || fail "shared: $(tree "$L/shared")"
[ "$(tree "$L/private")" = "$(printf '%s\n' cde/ cde/fgh/ cde/fgh/f.txt=F top/ top/a.txt=A top/docs/ top/docs/b.txt=B top/docs/c.txt=C)" ] || fail "private: $(tree "$L/private")"
[ "$(tree "$L/elsewhere")" = "$(printf '%s\n' fgh.zip/ fgh.zip/f.txt=F)" ] || fail "elsewhere: $(tree "$L/elsewhere")"
[ "$(tree "$L/members")" = "$(printf '%s\n' top.zip/ top.zip/a.txt=A top.zip/docs/ top.zip/docs/b.txt=B)" ] || fail "members: $(tree "$L/members")"
[ "$(tree "$L/kept")" = "$(printf '%s\n' a.txt=mine docs/ docs/b.txt=B docs/c.txt=C)" ] || fail "kept: $(tree "$L/kept")"
[ "$(tree "$L/replaced")" = "$(printf '%s\n' a.txt=A docs/ docs/b.txt=B docs/c.txt=C)" ] || fail "replaced: $(tree "$L/replaced")"
expect_rows "select json_extract(outputs_json, '$.unzipped[0].files') from af_step_outputs where job_id='layout' and step_id='nooverwrite'" '["docs/b.txt","docs/c.txt"]'
expect_rows "select json_extract(outputs_json, '$.unzipped') from af_step_outputs where job_id='layout' and step_id='shared'" \
"[{\"dest_dir\":\"$L/shared/cde\",\"files\":[\"f.txt\"],\"password\":false,\"driver\":\"zipfile\"},{\"dest_dir\":\"$L/shared\",\"files\":[\"a.txt\",\"docs/b.txt\",\"docs/c.txt\"],\"password\":false,\"driver\":\"zipfile\"}]"
expect_rows "select json_extract(outputs_json, '$.unzipped[0].files') from af_step_outputs where job_id='layout' and step_id='members'" '["docs/b.txt","a.txt"]'
expect_rows "select outputs_json from af_step_outputs where job_id='layout' and step_id='none'" '{}'
expect_rows "select status from job_runs where job_id='layout'" SUCCESS
# errors, each naming the archive's entry
line() { expect_err_line "$CASE_DIR/flow.yaml:$1: step 'x' (unzip): error: $2"; }
line 47:13 "member 'nope.txt' not found in '$IN/top.zip'"
line 53:13 "entry '../evil.txt' has a '..' component: refused"
line 58:13 "entry '/tmp/evil.txt' has an absolute path: refused"
line 63:13 "entry 'C:evil.txt' has an absolute path: refused"
line 68:13 "entry 'a/../../evil.txt' has a '..' component: refused"
line 73:13 "entry 'up' is a symlink to '../../..', outside the destination: refused"
line 78:13 "entry 'etc' is a symlink to '/etc', outside the destination: refused"
line 83:13 "entry 'd/x.txt' goes through 'd', which is a symlink or a file: refused"
line 92:13 "'docs' in the destination is a symlink: refusing to extract through it"
# nothing of a refused archive is left: only the empty folder it was to go in
for j in member_missing absolute drive middle linkout linkabs through; do
    out=$WORK/work/arcunzip/$j/r1/artifacts/out
    [ -z "$(find "$out" -mindepth 1 -not -type d)" ] || fail "$j left files: $(find "$out")"
done
# dotdot: the good archive before it landed
[ "$(tree "$WORK/work/arcunzip/dotdot/r1/artifacts/out")" = "$(printf '%s\n' a.txt=A docs/ docs/b.txt=B docs/c.txt=C slip/)" ] \
    || fail "dotdot: $(tree "$WORK/work/arcunzip/dotdot/r1/artifacts/out")"
[ -z "$(ls -A "$OUTSIDE")" ] || fail "written outside: $(ls -A "$OUTSIDE")"
[ ! -e "$WORK/work/arcunzip/planted/r1/artifacts/out/plain.zip/ok.txt" ] || fail "planted: ok.txt landed"
[ "$(tree "$WORK/work/arcunzip/safelink/r1/artifacts/out")" = "$(printf '%s\n' safelink.zip/ safelink.zip/docs/ safelink.zip/docs/x.txt=x safelink.zip/latest-\>docs/x.txt)" ] \
    || fail "safelink: $(tree "$WORK/work/arcunzip/safelink/r1/artifacts/out")"
find "$WORK/work" -name '.afc-tmp*' | grep -q . && fail "temp dirs left: $(find "$WORK/work" -name '.afc-tmp*')"
[ ! -e "$WORK/work/evil.txt" ] && [ ! -e /tmp/evil.txt ] || fail "evil.txt written"
expect_rows "select job_id, status from job_runs order by job_id" \
"absolute|FAILED
dotdot|FAILED
drive|FAILED
layout|SUCCESS
linkabs|FAILED
linkout|FAILED
member_missing|FAILED
middle|FAILED
planted|FAILED
safelink|SUCCESS
through|FAILED"
