/*
 * mail_send.c - step `mail_send`: sends one message through a `mail`
 * resource (drivers smtp, file, or a plugin's), as the reference's
 * MailSend, plus file attachments.
 *
 * Inputs match the reference: resource, to, subject, body, html (body is
 * HTML; text is then the plain fallback), cc, bcc, from_addr. `to`, `cc`,
 * `bcc` and `attachments` take a string or a list. Outputs: sent, to,
 * subject, html as the reference, plus message_id and attachments (the
 * names attached).
 */
#include "af_mail.h"

#include <string.h>

static const af_input mail_send_inputs[] = {
    {"resource", AF_TY_STR, 1, NULL, NULL, "mail resource (kind mail)"},
    {"to", AF_TY_STR | AF_TY_LIST, 1, NULL, NULL, "recipient address or list of addresses"},
    {"subject", AF_TY_STR, 1, NULL, NULL, "subject line (UTF-8)"},
    {"body", AF_TY_STR, 1, NULL, NULL, "message body: plain text, or HTML when html is true"},
    {"html", AF_TY_BOOL, 0, "false", NULL, "body is HTML"},
    {"text", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL, "plain-text alternative when html is true"},
    {"cc", AF_TY_STR | AF_TY_LIST | AF_TY_NULL, 0, NULL, NULL, "Cc recipients"},
    {"bcc", AF_TY_STR | AF_TY_LIST | AF_TY_NULL, 0, NULL, NULL,
     "Bcc recipients (envelope only, never in the headers)"},
    {"from_addr", AF_TY_STR | AF_TY_NULL, 0, NULL, NULL,
     "sender; default: the resource's from_addr or username"},
    {"attachments", AF_TY_STR | AF_TY_LIST | AF_TY_NULL, 0, NULL, NULL,
     "files to attach: paths (relative to the job's artifacts) or {path, filename, "
     "content_type}"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const af_output mail_send_outputs[] = {
    {"sent", "bool", "true once the message was handed over"},
    {"to", "list[string]", "the To recipients as given"},
    {"subject", "string", "the subject sent"},
    {"html", "bool", "whether the body was HTML"},
    {"message_id", "string", "the Message-ID header of the message"},
    {"attachments", "list[string]", "file names attached, in order"},
    {NULL, NULL, NULL},
};

/* An optional string input: absent and null both give NULL. */
static int opt_str(af_step *s, const char *name, const char **out)
{
    const af_value *v = af_in(s, name);
    *out = NULL;
    if (!v || v->type == AF_NULL) return 0;
    return af_in_str(s, name, NULL, out);
}

/* Resolves one attachment entry (a path string or a map) into *at. */
static int attachment(af_step *s, const af_value *v, af_mail_attachment *at)
{
    const char *path = NULL;
    memset(at, 0, sizeof *at);
    if (v->type == AF_STR) {
        path = v->u.s.ptr;
    } else if (v->type == AF_MAP) {
        const af_value *p = af_map_get(v, "path");
        const af_value *fn = af_map_get(v, "filename");
        const af_value *ct = af_map_get(v, "content_type");
        if (!fn) fn = af_map_get(v, "name");
        if (!p || p->type != AF_STR) {
            af_fail(s, "attachments: an entry given as a mapping needs a `path` string");
            return -1;
        }
        if ((fn && fn->type != AF_STR && fn->type != AF_NULL) ||
            (ct && ct->type != AF_STR && ct->type != AF_NULL)) {
            af_fail(s, "attachments: `filename` and `content_type` must be strings");
            return -1;
        }
        path = p->u.s.ptr;
        at->filename = fn && fn->type == AF_STR && *fn->u.s.ptr ? fn->u.s.ptr : NULL;
        at->content_type = ct && ct->type == AF_STR && *ct->u.s.ptr ? ct->u.s.ptr : NULL;
    } else {
        af_fail(s, "attachments: entries must be paths or mappings, got a %s",
                af_type_name(v->type));
        return -1;
    }
    if (!*path) {
        af_fail(s, "attachments: empty path");
        return -1;
    }
    return af_path(s, "attachments", path, &at->path);
}

static af_status mail_send_run(af_step *s)
{
    af_arena *a = af_arena_of(s);
    const char *res, *subject, *body, *text, *from;
    const char **to, **cc, **bcc;
    size_t nto, ncc, nbcc;
    int html;
    if (af_in_str(s, "resource", NULL, &res) < 0 || af_in_strlist(s, "to", &to, &nto) < 0 ||
        af_in_str(s, "subject", NULL, &subject) < 0 || af_in_str(s, "body", NULL, &body) < 0 ||
        af_in_bool(s, "html", 0, &html) < 0 || opt_str(s, "text", &text) < 0 ||
        af_in_strlist(s, "cc", &cc, &ncc) < 0 || af_in_strlist(s, "bcc", &bcc, &nbcc) < 0 ||
        opt_str(s, "from_addr", &from) < 0)
        return AF_FAILED;
    if (nto == 0) return af_fail(s, "to: at least one recipient is required");

    /* attachments: a path, a mapping, or a list of those */
    const af_value *av = af_in(s, "attachments");
    af_mail_attachment *atts = NULL;
    size_t natts = 0;
    if (av && av->type != AF_NULL) {
        size_t n = av->type == AF_LIST ? av->u.list.n : 1;
        atts = af_alloc(a, (n ? n : 1) * sizeof *atts);
        for (size_t i = 0; i < n; i++) {
            const af_value *e = av->type == AF_LIST ? av->u.list.items[i] : av;
            if (attachment(s, e, &atts[natts]) < 0) return AF_FAILED;
            natts++;
        }
    }

    af_conn *c = af_connector(s, res, "mail");
    if (!c) return AF_FAILED;
    const af_driver *d = af_conn_driver(c);
    const af_mail_ops *ops = d ? (const af_mail_ops *)d->ops : NULL;
    if (!ops || !ops->send)
        return af_fail(s, "resource '%s': driver '%s' does not send mail", res, d ? d->name : "?");

    af_mail_msg m = {0};
    m.from = from && *from ? from : NULL;
    m.to = to;
    m.nto = nto;
    m.cc = cc;
    m.ncc = ncc;
    m.bcc = bcc;
    m.nbcc = nbcc;
    m.subject = subject;
    if (html) {
        m.html = body;
        m.text = text && *text ? text : NULL;
    } else {
        m.text = body;
    }
    m.attachments = atts;
    m.nattachments = natts;

    char err[1024], msgid[512] = "";
    if (ops->send(c, &m, msgid, sizeof msgid, err, sizeof err) < 0)
        return af_fail(s, "mail resource '%s': %s", res, err);

    af_value *tl = af_list(a);
    for (size_t i = 0; i < nto; i++)
        af_list_push(a, tl, af_str(a, to[i]));
    af_value *names = af_list(a);
    for (size_t i = 0; i < natts; i++) {
        const char *nm = atts[i].filename;
        if (!nm) {
            const char *sl = strrchr(atts[i].path, '/');
            nm = sl ? sl + 1 : atts[i].path;
        }
        af_list_push(a, names, af_str(a, nm));
    }
    af_out_set(s, "sent", af_bool(1));
    af_out_set(s, "to", tl);
    af_out_set(s, "subject", af_str(a, subject));
    af_out_set(s, "html", af_bool(html));
    af_out_set(s, "message_id", af_str(a, msgid));
    af_out_set(s, "attachments", names);
    return AF_SUCCESS;
}

/* Build-time hints on literal inputs. */
static void mail_send_check(af_check *c, const af_value *in)
{
    const af_value *html = af_map_get(in, "html");
    const af_value *text = af_map_get(in, "text");
    int is_html = 1;
    if (text && text->type == AF_STR && html && !af_check_is_template(c, html) &&
        af_to_bool(html, &is_html) == 0 && !is_html)
        af_check_warning(c, "text", "`text` is only used when `html` is true");
    const af_value *to = af_map_get(in, "to");
    if (to && to->type == AF_LIST && to->u.list.n == 0)
        af_check_error(c, "to", "at least one recipient is required");
    const af_value *at = af_map_get(in, "attachments");
    if (at && at->type == AF_LIST) {
        for (size_t i = 0; i < at->u.list.n; i++) {
            const af_value *e = at->u.list.items[i];
            if (e->type != AF_STR && e->type != AF_MAP)
                af_check_error(c, "attachments", "entry %zu: expected a path or a mapping", i);
            else if (e->type == AF_MAP && !af_map_get(e, "path"))
                af_check_error(c, "attachments", "entry %zu: a mapping needs `path`", i);
        }
    }
}

const af_step_desc af_step_mail_send = {
    .abi = AF_ABI_VERSION,
    .name = "mail_send",
    .summary = "send an email (text, HTML, attachments) through a mail resource",
    .inputs = mail_send_inputs,
    .outputs = mail_send_outputs,
    .resource_kinds = "mail",
    .flags = 0,
    .run = mail_send_run,
    .check = mail_send_check,
    .libs = NULL,
    .help = "Bcc recipients go only into the SMTP envelope. Attachments are paths under the\n"
            "job's artifacts (or mappings {path, filename, content_type}); they are base64\n"
            "encoded and streamed, whatever their size. See afc-mail(7).",
};
