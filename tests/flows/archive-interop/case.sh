# Passwords with every archive driver in a compiled flow, and archives
# exchanged with Info-ZIP, 7-Zip, bsdtar and Python's zipfile.
export PW='Tr0ub4dor&3-zip' IN=$WORK/work/in
mkdir -p "$IN/src"
# inbound archives, made by the tools themselves
(cd "$IN/src" && printf 'from info-zip' > data.txt && zip -q -P "$PW" ../infozip.zip data.txt)
(cd "$IN/src" && 7z a -tzip -mem=AES256 -p"$PW" ../7z-aes.zip data.txt >/dev/null)
mkdir -p "$IN/names" && printf umlaut > "$IN/names/Grüße.txt" && (cd "$IN/names" && zip -q ../names.zip Grüße.txt)
mkdir -p "$IN/tree/sub" && printf one > "$IN/tree/one.txt" && printf two > "$IN/tree/sub/two.txt"
bsdtar -czf "$IN/bsd.tar.gz" -C "$IN/tree" . && bsdtar --zstd -cf "$IN/bsd.tar.zst" -C "$IN/tree" one.txt sub
/usr/bin/python3 - "$IN" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1] + "/python.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("py/ünï.txt", "python")
    z.writestr("py/empty/", "")
PY
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1 --keep-going
expect_rc 1
W=$WORK/work/arcinterop
# every driver: the round trip with the password gives the files back
for j in la256 la128 lazc pyz pyz128 pmz os ext7z adhoc; do
    g=$W/$j/r1/artifacts/good
    [ "$(find "$g" -type f -printf '%P=' -exec cat {} \; -printf '\n' | sort | tr '\n' ' ')" = "out/data.txt=secret-data out/more.txt=more " ] \
        || fail "$j: round trip gave: $(find "$g" -type f)"
    [ -z "$(find "$W/$j/r1/artifacts/wrong" -mindepth 1 -not -type d)" ] || fail "$j: a wrong password extracted: $(find "$W/$j/r1/artifacts/wrong")"
done
expect_rows "select job_id, step_id, status from af_step_attempts where job_id in ('la256','la128','lazc','pyz','pyz128','pmz','os','ext7z','adhoc') and step_id in ('zip', 'good') and status != 'SUCCESS'" ""
expect_rows "select job_id, json_extract(outputs_json, '$.driver'), json_extract(outputs_json, '$.password') from af_step_outputs where step_id='zip' order by job_id" \
"adhoc|pyzipper|1
ext7z|external|1
la128|libarchive|1
la256|libarchive|1
lazc|libarchive|1
os|os|1
pmz|pyminizip|1
pyz|pyzipper|1
pyz128|pyzipper|1"
# what each driver wrote, as 7-Zip sees it
method() { 7z l -slt -p"$PW" "$W/$1/r1/artifacts/out/$1.zip" | sed -n 's/^Method = //p' | sort -u | tr '\n' ' '; }
[ "$(method la256)" = "AES-256 Deflate " ] || fail "la256: $(method la256)"
[ "$(method la128)" = "AES-128 Deflate " ] || fail "la128: $(method la128)"
[ "$(method lazc)" = "ZipCrypto Deflate " ] || fail "lazc: $(method lazc)"
[ "$(method pyz)" = "AES-256 Deflate " ] || fail "pyz: $(method pyz)"
[ "$(method pyz128)" = "AES-128 Deflate " ] || fail "pyz128: $(method pyz128)"
[ "$(method pmz)" = "ZipCrypto Deflate " ] || fail "pmz: $(method pmz)"
[ "$(method adhoc)" = "AES-256 Deflate " ] || fail "adhoc: $(method adhoc)"
for j in la256 la128 pyz pyz128 ext7z adhoc; do
    7z t -p"$PW" "$W/$j/r1/artifacts/out/$j.zip" >/dev/null || fail "7z cannot read $j.zip"
done
# ZipCrypto is read by Info-ZIP unzip and Python's zipfile too
for j in lazc pmz os; do
    unzip -tq -P "$PW" "$W/$j/r1/artifacts/out/$j.zip" >/dev/null || fail "unzip cannot read $j.zip"
    /usr/bin/python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.read("data.txt", pwd=sys.argv[2].encode()) == b"secret-data"' \
        "$W/$j/r1/artifacts/out/$j.zip" "$PW" || fail "python zipfile cannot read $j.zip"
done
# the wrong password: the exact message, per driver
wrong() { expect_err_line "$CASE_DIR/flow.yaml:$1: step 'wrong' (unzip): error: $2"; }
for j in la256:39 la128:53 lazc:67 pyz:81 pyz128:95 pmz:109 adhoc:151; do
    wrong "${j#*:}:13" "wrong password for '$W/${j%%:*}/r1/artifacts/out/${j%%:*}.zip' (entry 'data.txt')"
done
wrong 123:13 "wrong password for '$W/os/r1/artifacts/out/os.zip' (unzip exit status 82)"
wrong 137:13 "driver external: '7z' exited with status 2: ERROR: Wrong password : data.txt; ERROR: Wrong password : more.txt"
# refusals before anything is written
refused() { expect_err_line "$CASE_DIR/flow.yaml:$1: step '$2' ($3): error: $4"; }
refused 158:14 zip zip "a password was given but the resource's encryption is 'none'"
refused 162:14 zip zip "driver pyzipper writes AES only; for ZipCrypto use driver pyminizip, os, or libarchive with encryption: zipcrypto"
refused 166:14 zip zip "driver zipfile cannot write encrypted zips; use driver pyzipper (AES), pyminizip (ZipCrypto), os, or libarchive"
refused 170:14 zip zip "driver pyminizip writes encrypted zips only: set inputs.password"
refused 198:14 x unzip "'$IN/python.zip' is not a tar.gz archive"
for j in refuse_none refuse_pyzzc refuse_zf need_pmz; do expect_no_file "$W/$j/r1/artifacts/x.zip"; done
# inbound: what the tools wrote comes out whole, names included
I=$W/inbound/r1/artifacts
listing() { (cd "$I/$1" && find . -mindepth 1 \( -type f -printf '%P=' -exec cat {} \; -printf '\n' \) -o \( -type d -printf '%P/\n' \) | sort | tr '\n' ' '); }
[ "$(listing infozip)" = "infozip.zip/ infozip.zip/data.txt=from info-zip " ] || fail "infozip: $(listing infozip)"
[ "$(listing sevenzip)" = "7z-aes.zip/ 7z-aes.zip/data.txt=from info-zip " ] || fail "sevenzip: $(listing sevenzip)"
[ "$(listing python)" = "python.zip/ python.zip/py/ python.zip/py/empty/ python.zip/py/ünï.txt=python " ] || fail "python: $(listing python)"
[ "$(listing names)" = "names.zip/ names.zip/Grüße.txt=umlaut " ] || fail "names: $(listing names)"
[ "$(listing tgz)" = "bsd.tar.gz/ bsd.tar.gz/one.txt=one bsd.tar.gz/sub/ bsd.tar.gz/sub/two.txt=two " ] || fail "tgz: $(listing tgz)"
[ "$(listing tzst)" = "bsd.tar.zst/ bsd.tar.zst/one.txt=one bsd.tar.zst/sub/ bsd.tar.zst/sub/two.txt=two " ] || fail "tzst: $(listing tzst)"
[ "$(listing os)" = "infozip.zip/ infozip.zip/data.txt=from info-zip " ] || fail "os: $(listing os)"
expect_rows "select step_id, json_extract(outputs_json, '$.unzipped[0].driver'), json_extract(outputs_json, '$.unzipped[0].password') from af_step_outputs where job_id='inbound' order by step_id" \
"infozip|pyzipper|1
names|zipfile|0
os|os|1
python|zipfile|0
sevenzip|pyzipper|1
tgz|zipfile|0
tzst|libarchive|0"
expect_rows "select job_id, status from job_runs where job_id in ('inbound', 'wrong_format') order by job_id" "inbound|SUCCESS
wrong_format|FAILED"
# the password never reaches the log or the state store
expect_err_lacks "$PW"
expect_err_lacks "Tr0ub4dor"
sqlite3 state.db .dump | grep -qF "Tr0ub4dor" && fail "the password reached the state store"
true
