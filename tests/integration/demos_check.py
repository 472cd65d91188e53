"""Checks of the demos' results, for tests/integration/demos.sh.

Run with /usr/bin/python3 (Debian's python3-openpyxl). Each check prints
one line, `ok - demos/NAME` or `not ok - demos/NAME` followed by `#` lines.
Expected values are computed here, independently of afc: the cleaned CSVs
from the partner's original files with Python's csv module, the report's
figures from the bundle's data files.

  demos_check.py uc1 NAME DROP_ZIP PAYLOAD_ZIP BATCH
  demos_check.py uc1-mail NAME MAILDIR TAG PAYLOAD_ZIP ROWS [AUTH_USER]
  demos_check.py uc2 NAME REPORT_XLSX DATA_DIR
  demos_check.py uc2-mail NAME MAILDIR TAG REPORT_XLSX [AUTH_USER]

With AUTH_USER, the messages were received by tests/servers/smtpd.py: each
must have come over TLS from that authenticated user.
"""
import csv
import datetime
import decimal
import email
import email.policy
import io
import json
import os
import re
import sys
import zipfile


def report(name, problems):
    if problems:
        print("not ok - demos/%s" % name)
        for p in problems[:20]:
            print("#   %s" % p)
    else:
        print("ok - demos/%s" % name)


# ---- UC1: what local_transform_csv must make of a partner file -------------


def norm_header(h, j):
    words, cur = [], ""
    for ch in h:
        if ("a" <= ch <= "z") or ("A" <= ch <= "Z") or ("0" <= ch <= "9") or ord(ch) >= 128:
            cur += ch.upper() if ch.isascii() else ch
        elif cur:
            words.append(cur)
            cur = ""
    if cur:
        words.append(cur)
    return "_".join(words) or "COLUMN_%d" % (j + 1)


def norm_field(f):
    f = f.strip(" \t")
    m = re.fullmatch(r"(\d\d)\.(\d\d)\.(\d{4})", f)
    if m and 1 <= int(m.group(1)) <= 31 and 1 <= int(m.group(2)) <= 12:
        return "%s-%s-%s" % (m.group(3), m.group(2), m.group(1))
    if re.fullmatch(r"[+-]?\d+,\d+", f):
        return f.replace(",", ".")
    return f


def transform(text, rel, batch):
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=";")
            if any(x.strip(" \t") for x in r)]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([norm_header(h, j) for j, h in enumerate(rows[0])] + ["SOURCE_FILE", "BATCH"])
    for r in rows[1:]:
        w.writerow([norm_field(x) for x in r] + [rel, batch])
    return out.getvalue(), len(rows) - 1


def check_uc1(name, drop_zip, payload_zip, batch):
    problems = []
    folder = os.path.basename(drop_zip)[: -len(".zip")]
    try:
        drop = zipfile.ZipFile(drop_zip)
        payload = zipfile.ZipFile(payload_zip)
    except (OSError, zipfile.BadZipFile) as e:
        return report(name, ["cannot open the zips: %s" % e])
    members = sorted(drop.namelist())
    want_names = sorted("%s/%s" % (folder, m) for m in members)
    if sorted(payload.namelist()) != want_names:
        problems.append("payload holds %s, want %s" % (sorted(payload.namelist()), want_names))
    total = 0
    for m in members:
        raw = drop.read(m).decode("utf-8")
        if ";" not in raw.splitlines()[0] or "\r\n" not in raw:
            problems.append("%s does not look like a partner file" % m)
        want, n = transform(raw, "%s/%s" % (folder, m), batch)
        total += n
        rel = "%s/%s" % (folder, m)
        got = payload.read(rel).decode("utf-8") if rel in payload.namelist() else None
        if got != want:
            problems.append("%s differs from the expected transformation" % rel)
            if got is not None:
                for i, (g, w) in enumerate(zip(got.splitlines(), want.splitlines())):
                    if g != w:
                        problems.append("line %d: got %r want %r" % (i + 1, g, w))
                        break
        if got is not None:
            head = got.splitlines()[0]
            if head != "ORDER_ID,ORDER_DATE,REGION,CUSTOMER,PRODUCT,AMOUNT,SOURCE_FILE,BATCH":
                problems.append("header %r" % head)
    if total == 0:
        problems.append("no data rows")
    report(name, problems)
    print("# %d rows in %d files" % (total, len(members)))


# ---- mail --------------------------------------------------------------------


def messages(maildir, tag):
    out = []
    for f in sorted(os.listdir(maildir)):
        if not f.endswith(".eml"):
            continue
        with open(os.path.join(maildir, f), "rb") as fh:
            msg = email.message_from_binary_file(fh, policy=email.policy.default)
        if tag in str(msg["Subject"]):
            meta = os.path.join(maildir, f[:-4] + ".json")
            out.append((f, msg, meta if os.path.exists(meta) else None))
    return out


def check_envelopes(msgs, auth_user, problems):
    if not auth_user:
        return
    for f, _, meta in msgs:
        if not meta:
            problems.append("%s: no envelope record" % f)
            continue
        with open(meta) as fh:
            env = json.load(fh)
        if env.get("tls") is not True or env.get("auth_user") != auth_user:
            problems.append("%s: tls %s, user %s (want TLS and %s)" % (
                f, env.get("tls"), env.get("auth_user"), auth_user))


def attachments(msg):
    return [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True))
            for p in msg.iter_attachments()]


def check_uc1_mail(name, maildir, tag, payload_zip, rows, auth_user=None):
    problems = []
    msgs = messages(maildir, tag)
    check_envelopes(msgs, auth_user, problems)
    subjects = sorted(str(m["Subject"]) for _, m, _ in msgs)
    want = sorted(["UC1 %s-files: %s rows published" % (tag, rows),
                   "UC1 %s-empty: nothing arrived" % tag])
    if subjects != want:
        problems.append("subjects %s, want %s" % (subjects, want))
    with open(payload_zip, "rb") as fh:
        payload = fh.read()
    for f, m, _ in msgs:
        att = attachments(m)
        if "published" in str(m["Subject"]):
            if [(a[0], a[1]) for a in att] != [("payload_%s-files.zip" % tag, "application/zip")]:
                problems.append("%s: attachments %s" % (f, [(a[0], a[1]) for a in att]))
            elif att[0][2] != payload:
                problems.append("%s: the attached zip is not the one on the share" % f)
            body = m.get_body(("plain",)).get_content()
            if "uc1/outbox/payload_%s-files.zip" % tag not in body:
                problems.append("%s: body does not name the upload: %r" % (f, body))
        elif att:
            problems.append("%s: the 'nothing arrived' mail has attachments" % f)
    report(name, problems)


def check_uc2_mail(name, maildir, tag, xlsx, auth_user=None):
    problems = []
    msgs = messages(maildir, tag)
    check_envelopes(msgs, auth_user, problems)
    if [str(m["Subject"]) for _, m, _ in msgs] != ["UC2 %s-report: sales report" % tag]:
        problems.append("messages: %s" % [str(m["Subject"]) for _, m, _ in msgs])
    with open(xlsx, "rb") as fh:
        data = fh.read()
    for f, m, _ in msgs:
        att = attachments(m)
        ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if [(a[0], a[1]) for a in att] != [("sales_report_%s-report.xlsx" % tag, ct)]:
            problems.append("%s: attachments %s" % (f, [(a[0], a[1]) for a in att]))
        elif att[0][2] != data:
            problems.append("%s: the attached workbook is not the one on the share" % f)
    report(name, problems)


# ---- UC2: the workbook ---------------------------------------------------------


def expected_uc2(data_dir):
    sales = {}
    with open(os.path.join(data_dir, "orders.csv"), newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            k = (r["region"], r["product"])
            n, amount, last = sales.get(k, (0, decimal.Decimal(0), ""))
            sales[k] = (n + 1, amount + decimal.Decimal(r["amount"]), max(last, r["order_day"]))
    costs = {}
    with open(os.path.join(data_dir, "costs.csv"), newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            costs[r["category"]] = costs.get(r["category"], decimal.Decimal(0)) + decimal.Decimal(
                r["cost"])
    return ([(k[0], k[1], v[0], float(v[1]), v[2]) for k, v in sorted(sales.items())],
            [(k, float(v)) for k, v in sorted(costs.items())])


def check_uc2(name, xlsx, data_dir):
    import openpyxl

    problems = []
    sales, costs = expected_uc2(data_dir)
    n, m = len(sales), len(costs)
    try:
        wb = openpyxl.load_workbook(xlsx)
    except Exception as e:  # any failure to read is the finding
        return report(name, ["openpyxl cannot read %s: %s" % (xlsx, e)])
    if wb.sheetnames != ["Report", "DATA_sales", "DATA_costs"]:
        problems.append("sheets %s" % wb.sheetnames)
        return report(name, problems)
    ws = wb["Report"]

    def val(ref):
        v = ws[ref].value
        return v.date().isoformat() if isinstance(v, datetime.datetime) else v

    def expect(ref, want, fmt=None):
        got = val(ref)
        same = abs(got - want) < 0.005 if isinstance(want, float) and isinstance(
            got, (int, float)) else got == want
        if not same:
            problems.append("Report!%s = %r, want %r" % (ref, got, want))
        if fmt and ws[ref].number_format != fmt:
            problems.append("Report!%s format %r, want %r" % (ref, ws[ref].number_format, fmt))

    expect("A1", "Sales report")
    for r in (4, 9 + n):  # the marker rows: hidden, text cleared
        if not ws.row_dimensions[r].hidden:
            problems.append("marker row %d is not hidden" % r)
        if ws["A%d" % r].value is not None:
            problems.append("marker text left in A%d: %r" % (r, ws["A%d" % r].value))
    for c, h in zip("ABCDE", ("Region", "Product", "Orders", "Amount", "Last order")):
        expect("%s5" % c, h)
    for i, (region, product, orders, amount, last) in enumerate(sales):
        r = 6 + i
        expect("A%d" % r, region)
        expect("B%d" % r, product)
        expect("C%d" % r, orders, "#,##0")
        expect("D%d" % r, amount, "#,##0.00")
        expect("E%d" % r, last, "yyyy-mm-dd")
    t1 = 7 + n
    expect("A%d" % t1, "Total")
    expect("C%d" % t1, "=SUM(C5:C%d)" % (6 + n))
    expect("D%d" % t1, "=SUM(D5:D%d)" % (6 + n))
    expect("A%d" % (10 + n), "Category")  # header_mode override: the query's names
    expect("B%d" % (10 + n), "Cost")
    for i, (cat, cost) in enumerate(costs):
        expect("A%d" % (11 + n + i), cat)
        expect("B%d" % (11 + n + i), cost, "#,##0.00")
    t2 = 12 + n + m
    expect("A%d" % t2, "Total")
    expect("B%d" % t2, "=SUM(B%d:B%d)" % (10 + n, 11 + n + m))
    expect("A%d" % (t2 + 2), "Margin")
    expect("B%d" % (t2 + 2), "=D%d-B%d" % (t1, t2))

    names = {}
    for d in wb.defined_names.definedName:
        names[d.name] = d.value
    want_names = {"REPORT_TITLE": "Report!$A$1", "SALES_TOTAL": "Report!$D$%d" % t1,
                  "COSTS_TOTAL": "Report!$B$%d" % t2, "MARGIN": "Report!$B$%d" % (t2 + 2)}
    names.pop("_xlnm.Print_Area", None)  # openpyxl versions differ: checked below
    if names != want_names:
        problems.append("defined names %s, want %s" % (names, want_names))
    area = "$A$1:$E$%d" % (t2 + 2)
    if area not in str(ws.print_area):
        problems.append("print area %s, want %s" % (ws.print_area, area))

    for sheet, head, rows in (("DATA_sales", ["region", "product", "orders", "amount",
                                              "last_order"], sales),
                              ("DATA_costs", ["Category", "Cost"], costs)):
        d = wb[sheet]
        got_head = [c.value for c in d[1]]
        if got_head != head:
            problems.append("%s header %s" % (sheet, got_head))
        if not all(c.font.b for c in d[1]):
            problems.append("%s header is not bold" % sheet)
        if d.freeze_panes != "A2":
            problems.append("%s freeze panes %s" % (sheet, d.freeze_panes))
        want_filter = "A1:%s%d" % ("ABCDE"[len(head) - 1], len(rows) + 1)
        if d.auto_filter.ref != want_filter:
            problems.append("%s autofilter %s, want %s" % (sheet, d.auto_filter.ref, want_filter))
        for i, want in enumerate(rows):
            got = [c.value for c in d[i + 2]]
            got = [g.date().isoformat() if isinstance(g, datetime.datetime) else g for g in got]
            ok = len(got) == len(want) and all(
                abs(g - w) < 0.005 if isinstance(w, float) and isinstance(g, (int, float))
                else g == w for g, w in zip(got, want))
            if not ok:
                problems.append("%s row %d: %s, want %s" % (sheet, i + 2, got, list(want)))
        if d.max_row != len(rows) + 1:
            problems.append("%s has %d rows, want %d" % (sheet, d.max_row, len(rows) + 1))
    report(name, problems)
    print("# %d sales rows, %d cost rows" % (n, m))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "uc1":
        check_uc1(*args)
    elif cmd == "uc1-mail":
        check_uc1_mail(*args)
    elif cmd == "uc2":
        check_uc2(*args)
    elif cmd == "uc2-mail":
        check_uc2_mail(*args)
    else:
        sys.exit("unknown check %s" % cmd)


if __name__ == "__main__":
    main()
