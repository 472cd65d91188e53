/*
 * mailcheck.h - reads a mail message back with an independent MIME parser
 * (Python's email package, policy=default) for test_mime.c and
 * itest_mail.c, so the tests check what a real mail client would decode,
 * not what our own encoder thinks it wrote.
 *
 * t_mail_summary(a, path) returns a map:
 *   subject, from, to, cc        decoded header text ("" when absent)
 *   to_addrs, cc_addrs, from_addrs   lists of [display name, address]
 *   header_names                 every top-level header name, lower case
 *   date_ok                      Date parses as an RFC 5322 date
 *   message_id                   the Message-ID header
 *   structure                    "multipart/mixed(text/plain,image/png)"
 *   parts                        leaf parts: type, filename, cte, size,
 *                                sha256, text (text parts only, LF line ends)
 *   defects                      number of parser defects in all parts
 *   max_line                     longest raw line, CRLF excluded
 */
#ifndef T_MAILCHECK_H
#define T_MAILCHECK_H

#include "af.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char T_MAIL_SUMMARY_PY[] =
    "import email, email.policy, email.utils, hashlib, json, sys\n"
    "raw = open(sys.argv[1], 'rb').read()\n"
    "m = email.message_from_bytes(raw, policy=email.policy.default)\n"
    "def addrs(h):\n"
    "    v = m[h]\n"
    "    return [[a.display_name, a.addr_spec] for a in v.addresses] if v is not None else []\n"
    "def struct(p):\n"
    "    if p.is_multipart():\n"
    "        return p.get_content_type() + '(' + ','.join(struct(c) for c in p.iter_parts()) + "
    "')'\n"
    "    return p.get_content_type()\n"
    "parts = []\n"
    "defects = len(m.defects)\n"
    "for p in m.walk():\n"
    "    defects += len(p.defects) if p is not m else 0\n"
    "    if p.is_multipart():\n"
    "        continue\n"
    "    data = p.get_payload(decode=True) or b''\n"
    "    d = {'type': p.get_content_type(), 'filename': p.get_filename(),\n"
    "         'cte': p.get('content-transfer-encoding'), 'size': len(data),\n"
    "         'sha256': hashlib.sha256(data).hexdigest()}\n"
    "    if p.get_content_maintype() == 'text':\n"
    "        d['text'] = p.get_content().replace('\\r\\n', '\\n')\n"
    "    parts.append(d)\n"
    "try:\n"
    "    date_ok = email.utils.parsedate_to_datetime(m['date']) is not None\n"
    "except Exception:\n"
    "    date_ok = False\n"
    "out = {'subject': str(m['subject'] or ''), 'from': str(m['from'] or ''),\n"
    "       'to': str(m['to'] or ''), 'cc': str(m['cc'] or ''),\n"
    "       'from_addrs': addrs('from'), 'to_addrs': addrs('to'), 'cc_addrs': addrs('cc'),\n"
    "       'header_names': [k.lower() for k in m.keys()], 'date_ok': date_ok,\n"
    "       'message_id': str(m['message-id'] or ''), 'structure': struct(m),\n"
    "       'parts': parts, 'defects': defects,\n"
    "       'max_line': max(len(l) for l in raw.split(b'\\r\\n'))}\n"
    "print(json.dumps(out))\n";

/* The summary map of the message in `path`, or NULL (reason on stdout as a
 * test comment) when Python could not read it. */
__attribute__((unused)) static af_value *t_mail_summary(af_arena *a, const char *path)
{
    char script[] = "/tmp/t_mailcheck_XXXXXX";
    int fd = mkstemp(script);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "w");
    fputs(T_MAIL_SUMMARY_PY, f);
    fclose(f);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s '%s'", script, path);
    FILE *p = popen(cmd, "r");
    af_buf out = {0};
    char buf[4096];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof buf, p)) > 0)
        af_buf_put(&out, buf, n);
    int st = p ? pclose(p) : -1;
    unlink(script);
    af_value *v = NULL;
    char err[200];
    if (st != 0 || af_json_parse(a, out.data ? out.data : "", out.len, &v, err, sizeof err) < 0) {
        printf("#   mail summary of %s failed (status %d)\n", path, st);
        v = NULL;
    }
    af_buf_free(&out);
    return v;
}

/* A string member of a map, "" when absent. */
__attribute__((unused)) static const char *t_get_str(const af_value *m, const char *key)
{
    const af_value *v = m ? af_map_get(m, key) : NULL;
    return v && v->type == AF_STR ? v->u.s.ptr : "";
}

__attribute__((unused)) static int64_t t_get_int(const af_value *m, const char *key)
{
    const af_value *v = m ? af_map_get(m, key) : NULL;
    return v && v->type == AF_INT ? v->u.i : v && v->type == AF_BOOL ? v->u.b : -1;
}

/* Hex SHA-256 of a file through sha256sum (independent of the runtime). */
__attribute__((unused)) static void t_sha256_file(const char *path, char hex[65])
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    FILE *p = popen(cmd, "r");
    hex[0] = '\0';
    if (p) {
        if (fscanf(p, "%64s", hex) != 1) hex[0] = '\0';
        pclose(p);
    }
}

#endif /* T_MAILCHECK_H */
