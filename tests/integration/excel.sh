#!/bin/bash
# tests/integration/excel.sh - the Excel steps against an independent
# reader: every workbook the unit tests write is converted to PDF by
# LibreOffice headless; a template saved by LibreOffice itself (shared
# strings, LibreOffice styles) is filled and read back; and LibreOffice
# shows totals recalculated over a filled DATA_ sheet.
#
# Run from the repository root after `make unit` (build/tests/test_xlsx_fill).
set -u
area=excel
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=build/tests/test_xlsx_fill
py=/usr/bin/python3
lo() { soffice -env:UserInstallation="file://$tmp/profile" --headless "$@" >"$tmp/lo.log" 2>&1; }
ok() { echo "ok - $area/$1"; }
notok() { echo "not ok - $area/$1"; shift; for l in "$@"; do echo "# $l"; done; }

if [ ! -x "$bin" ]; then
    notok build "missing $bin (run make unit first)"
    exit 1
fi
if ! command -v soffice >/dev/null; then
    notok libreoffice "soffice not installed (tests/deps/excel.txt lists libreoffice-calc)"
    exit 1
fi

# 1. every workbook the unit tests produce converts to PDF
mkdir -p "$tmp/keep" "$tmp/pdf"
XLSX_KEEP_DIR="$tmp/keep" "$bin" >"$tmp/unit.log" 2>&1
if grep -q "^not ok" "$tmp/unit.log"; then
    notok unit-outputs "the unit run failed:" "$(grep -A3 '^not ok' "$tmp/unit.log" | head -20)"
fi
n=0
lo --convert-to pdf --outdir "$tmp/pdf" "$tmp"/keep/*.xlsx # one LibreOffice start for all
for f in "$tmp"/keep/*.xlsx; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    name=$(basename "$f" .xlsx)
    if head -c 4 "$tmp/pdf/$name.pdf" 2>/dev/null | grep -q '%PDF'; then
        ok "pdf-$name"
    else
        notok "pdf-$name" "no PDF from LibreOffice" "$(grep -i -B1 -A2 "$name" "$tmp/lo.log" | head)"
    fi
done
[ "$n" -gt 5 ] && ok pdf-count || notok pdf-count "only $n workbooks were kept"

# 2. a template saved by LibreOffice (shared strings, its own styles)
cat >"$tmp/make.py" <<'PY'
import sys, openpyxl
from openpyxl.styles import Font, PatternFill
wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Report'
ws['B5'] = 'QIP_ANCHOR'
for c, h in zip('BCD', ('h1', 'h2', 'h3')):
    ws[c + '6'] = h; ws[c + '6'].font = Font(bold=True)
    ws[c + '7'].fill = PatternFill('solid', fgColor='FFFFFF00')
ws['B8'] = 'Total'; ws['C8'] = '=SUM(C7:C7)'
ws['B10'] = 'below'
s = wb.create_sheet('Summary'); s['A1'] = 'total'; s['B1'] = '=SUM(DATA_sales!B:B)'
wb.save(sys.argv[1])
PY
$py "$tmp/make.py" "$tmp/gen.xlsx"
mkdir -p "$tmp/lo"
if lo --convert-to xlsx --outdir "$tmp/lo" "$tmp/gen.xlsx" && unzip -l "$tmp/lo/gen.xlsx" | grep -q sharedStrings; then
    ok libreoffice-template
else
    notok libreoffice-template "$(cat "$tmp/lo.log")"
fi
printf 'k,v,d\na,1,2024-01-05\nb,2,2024-01-06\nc,39,2024-01-07\n' >"$tmp/s.csv"
cat >"$tmp/t.json" <<EOF2
[{"name": "qip", "mode": "report_region", "anchor": "QIP_ANCHOR", "source_path": "$tmp/s.csv",
  "header_mode": "override", "dtypes": {"v": "int", "d": "date"}},
 {"name": "sales", "source_path": "$tmp/s.csv", "dtypes": {"v": "int", "d": "date"}}]
EOF2
if "$bin" --fill file "$tmp/lo/gen.xlsx" "$tmp/out.xlsx" "$tmp/t.json" >"$tmp/fill.log" 2>&1; then
    ok libreoffice-template-fill
else
    notok libreoffice-template-fill "$(cat "$tmp/fill.log")"
fi
cat >"$tmp/check.py" <<'PY'
import sys, openpyxl, datetime
wb = openpyxl.load_workbook(sys.argv[1]); ws = wb['Report']; d = wb['DATA_sales']
want = {('Report', 'B6'): 'k', ('Report', 'C8'): 2, ('Report', 'B11'): 'Total',
        ('Report', 'C11'): '=SUM(C10:C10)', ('Report', 'B13'): 'below',
        ('DATA_sales', 'B4'): 39, ('DATA_sales', 'C2'): datetime.datetime(2024, 1, 5)}
bad = [f'{s}!{r}: {wb[s][r].value!r} != {v!r}' for (s, r), v in want.items() if wb[s][r].value != v]
if d.freeze_panes != 'A2' or d.auto_filter.ref != 'A1:C4': bad.append('freeze/filter')
print('\n'.join(bad)); sys.exit(1 if bad else 0)
PY
if out=$($py "$tmp/check.py" "$tmp/out.xlsx" 2>&1); then ok libreoffice-template-values; else notok libreoffice-template-values "$out"; fi

# 3. LibreOffice recalculates the summary over the filled DATA_ sheet
mkdir -p "$tmp/csv"
if lo --convert-to csv:"Text - txt - csv (StarCalc)":44,34,76,1,,0,false,true,false,false,false,2 \
       --outdir "$tmp/csv" "$tmp/out.xlsx" && grep -q '^total,42' "$tmp/csv/out-Summary.csv" 2>/dev/null; then
    ok recalculated-summary
else
    notok recalculated-summary "$(ls "$tmp/csv") $(cat "$tmp"/csv/*Summary* 2>/dev/null)" "$(cat "$tmp/lo.log")"
fi
lo --convert-to pdf --outdir "$tmp/pdf" "$tmp/out.xlsx" && head -c 4 "$tmp/pdf/out.pdf" | grep -q '%PDF' &&
    ok pdf-libreoffice-template || notok pdf-libreoffice-template "$(cat "$tmp/lo.log")"
exit 0
