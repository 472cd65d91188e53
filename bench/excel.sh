#!/bin/bash
# bench/excel.sh - excel_fill_from_file on a big data_sheet: wall time and
# peak RSS for 50,000, 100,000 and 200,000 rows x 10 columns (typed by a
# schema: ints, floats, dates, datetimes, bools, strings). Memory should
# stay flat in the row count (rows are spooled, the sheet is streamed);
# the target is under 100 MB at 200,000 rows. Figures, never assertions.
#
# Run from the repository root after `make unit` (build/tests/test_xlsx_fill).
set -eu
bin=build/tests/test_xlsx_fill
[ -x "$bin" ] || { echo "bench/excel: build $bin first (make unit)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 -c "
import openpyxl, sys
wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Report'
ws['A1'] = 'Rows'; ws['B1'] = '=COUNTA(DATA_big!A:A)-1'
wb.save(sys.argv[1])" "$tmp/t.xlsx"
gen() { # rows -> csv
    awk -v n="$1" 'BEGIN {
        print "id,qty,price,day,ts,ok,code,name,city,note"
        for (i = 1; i <= n; i++)
            printf "%d,%d,%.2f,2024-%02d-%02d,2024-01-%02dT%02d:%02d:%02d,%s,C%06d,name %d,city %d,\"note, %d\"\n",
                i, i % 1000, i / 7.0, i % 12 + 1, i % 28 + 1, i % 28 + 1, i % 24, i % 60, i % 60,
                (i % 2 ? "true" : "false"), i, i, i % 500, i
    }' > "$tmp/big.csv"
}
cat > "$tmp/t.json" <<EOF2
[{"name": "big", "source_path": "$tmp/big.csv",
  "dtypes": {"id": "int", "qty": "int", "price": "float", "day": "date", "ts": "datetime", "ok": "bool"}}]
EOF2
printf '%-8s %10s %10s %10s %10s %10s\n' rows wall-s cpu-s "peak MB" "csv MB" "xlsx MB"
for n in 50000 100000 200000; do
    gen "$n"
    /usr/bin/time -f '%e %U %M' -o "$tmp/time" "$bin" --fill file "$tmp/t.xlsx" "$tmp/out.xlsx" "$tmp/t.json" > "$tmp/log" ||
        { cat "$tmp/log"; exit 1; }
    read -r secs cpu kb < "$tmp/time"
    awk -v n="$n" -v s="$secs" -v c="$cpu" -v kb="$kb" -v csv="$(stat -c %s "$tmp/big.csv")" \
        -v out="$(stat -c %s "$tmp/out.xlsx")" \
        'BEGIN { printf "%-8s %10s %10s %10.1f %10.1f %10.1f\n", n, s, c, kb / 1024, csv / 1048576, out / 1048576 }'
done
