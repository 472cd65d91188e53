# Excel steps in a compiled flow: a template made here with openpyxl,
# filled from SQLite, read back with openpyxl.
export TEMPLATE=$WORK/work/templates/report.xlsx
mkdir -p "$WORK/work/templates"
/usr/bin/python3 - "$TEMPLATE" <<'PY'
import sys
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
wb = Workbook()
ws = wb.active
ws.title = "Report"
ws["B5"] = "QIP_ANCHOR"
for col, text in zip("BCD", ["Region", "Amount", "Day"]):
    c = ws[col + "6"]
    c.value = text
    c.font = Font(bold=True, color="FFFFFF")
    c.fill = PatternFill("solid", fgColor="1F4E78")
for col in "BCD":
    ws[col + "7"].fill = PatternFill("solid", fgColor="FFFF00")
ws["C7"].number_format = "0.00"
ws["D7"].number_format = "dd.mm.yyyy"
ws["B8"] = "Total"
ws["C8"] = "=SUM(C7:C7)"
ws["B10"] = "Notes"
wb.defined_names.append(DefinedName("TOTAL", attr_text="Report!$C$8"))
s2 = wb.create_sheet("Summary")
s2["A1"] = "=Report!C8"
wb.save(sys.argv[1])
PY
build "$CASE_DIR/flow.yaml"
run ./flow --run-id r1 --keep-going
expect_rc 1
A=$WORK/work/excel/report/r1/artifacts/out
/usr/bin/python3 - "$A" <<'PY'
import datetime, sys
from openpyxl import load_workbook
a = sys.argv[1]
D = datetime.datetime
wb = load_workbook(a + "/report_r1.xlsx")
ws = wb["Report"]
got = [[c.value for c in row] for row in ws["B5:D13"]]
want = [
    [None, None, None],  # the anchor text is cleared
    ["Region", "Amount", "Day"],  # the template's header stays
    ["North", 12.5, D(2026, 1, 31)],
    ["South", 100.25, D(2026, 2, 1)],
    ["East, far", 7, D(2026, 2, 28)],
    [None, None, None],  # the style row, moved down
    ["Total", "=SUM(C10:C10)", None],
    [None, None, None],
    ["Notes", None, None],
]
assert got == want, got
# the header keeps its format; new date cells get the date format; the style row moved
assert all(ws[c + "6"].font.b and ws[c + "6"].fill.fgColor.rgb == "001F4E78" for c in "BCD")
assert [ws["D%d" % r].number_format for r in (7, 8, 9)] == ["yyyy-mm-dd"] * 3
assert (ws["C10"].number_format, ws["D10"].number_format, ws["B10"].fill.fgColor.rgb) == ("0.00", "dd.mm.yyyy", "00FFFF00")
# references follow the inserted rows: the defined name and the other sheet's formula
assert wb.defined_names.get("TOTAL").attr_text == "Report!$C$11"
assert wb["Summary"]["A1"].value == "=Report!C11"
d = load_workbook(a + "/data.xlsx")
assert d.sheetnames == ["Report", "Summary", "DATA_sales", "DATA_raw"], d.sheetnames
rows = lambda s: [[c.value for c in row] for row in s.iter_rows()]
s = d["DATA_sales"]
assert rows(s) == [["region", "amount", "day"], ["North", 12.5, D(2026, 1, 31)], ["South", 100.25, D(2026, 2, 1)], ["East, far", 7, D(2026, 2, 28)]], rows(s)
assert (s.freeze_panes, s.auto_filter.ref, [c.font.b for c in s[1]]) == ("A2", "A1:C4", [True] * 3)
s = d["DATA_raw"]  # no dtypes: text as read; niceties off
assert rows(s) == [["region", "amount", "day"], ["North", "12.5", "2026-01-31"], ["South", "100.25", "2026-02-01"], ["East, far", "7.0", "2026-02-28"]], rows(s)
assert (s.freeze_panes, s.auto_filter.ref, [bool(c.font.b) for c in s[1]]) == (None, None, [False] * 3)
# the template's own sheets are unchanged in the data workbook
assert d["Report"]["B5"].value == "QIP_ANCHOR" and d["Report"]["C8"].value == "=SUM(C7:C7)"
PY
expect_rows "select step_id, outputs_json from af_step_outputs where job_id='report' and step_id in ('check', 'render') order by step_id" \
"check|{\"template_ok\":true,\"found_named_ranges\":[\"TOTAL\"],\"found_anchor_cells\":[\"QIP_ANCHOR\",\"Region\"]}
render|{\"output\":\"$A/report_r1.xlsx\",\"written\":[{\"name\":\"sales\",\"sheet\":\"Report\",\"rows\":4,\"cols\":3,\"insert\":\"below\",\"header_mode\":\"template\",\"header_style\":\"template\",\"type_cast\":\"schema\",\"style_mode\":\"none\",\"start_cell\":[6,2],\"template_has_header\":true}]}"
expect_rows "select json_extract(outputs_json, '$.written[1]') from af_step_outputs where step_id='data_sheets'" \
'{"name":"raw","sheet":"DATA_raw","rows":4,"cols":3,"mode":"data_sheet","insert":"replace","header_mode":"append","header_style":"template","style_mode":"none","start_cell":[1,1],"template_has_header":false}'
# the guards: exact messages, and no workbook written (the report of the
# first job, which too_many would have replaced, was checked above)
err() { expect_err_line "$CASE_DIR/flow.yaml:$1: step '$2' ($3): error: $4"; }
err 67:13 render excel_fill_small "excel_fill_small target=kpi: data rows exceed max_rows=2"
err 76:13 region excel_fill_from_file "excel_fill_from_file target=sales: row_count=3 exceeds rows_threshold=2. Use mode=data_sheet (DATA_*) instead of report_region, or raise rows_threshold."
err 86:13 check excel_validate_template "Template missing named ranges or anchor cells: ['GRAND_TOTAL', 'Regions '] ['QIP_ANCHOR', 'GRAND_TOTAL', 'Regions ']"
err 91:13 render excel_fill_small "excel_fill_small target=kpi: anchor_clear must be a boolean (true or false), not 'maybe'"
err 100:13 render excel_fill_small "Excel anchor not found: 'NO_SUCH_ANCHOR'. Workbook sheets=['Report', 'Summary']. ANCHOR-like cells(sample)=[\"Report!B5='QIP_ANCHOR'\"]"
for j in too_many too_big missing_names bad_flag no_anchor; do
    [ -z "$(find "$WORK/work/excel/$j" -type f)" ] || fail "$j left files: $(find "$WORK/work/excel/$j" -type f)"
done
[ "$(ls "$A")" = "$(printf '%s\n' data.xlsx report_r1.xlsx sales.tsv)" ] || fail "out/ holds: $(ls -a "$A")"
expect_rows "select job_id, status from job_runs order by job_id" \
"bad_flag|FAILED
missing_names|FAILED
no_anchor|FAILED
report|SUCCESS
too_big|FAILED
too_many|FAILED"
