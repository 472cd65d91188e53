/*
 * sftp_knownhosts.c - OpenSSH known_hosts lookup and host key fingerprints
 * for the libssh2 SFTP driver.
 *
 * Our own reader rather than libssh2's: the driver must know which key
 * types a file holds for a host before the handshake (to ask the server
 * for one of those, as OpenSSH's client does), and libssh2 1.10 can only
 * test a key it already has. Lines follow sshd(8) "SSH_KNOWN_HOSTS FILE
 * FORMAT": optional marker, host patterns, key type, base64 key.
 */
#include "xfer.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Decodes standard base64 (padding optional) into out (cap bytes).
 * Returns the length or -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=') break;
        const char *p = s[i] ? strchr(tbl, s[i]) : NULL;
        if (!p) return -1;
        acc = (acc << 6) | (unsigned)(p - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap) return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)o;
}

/* OpenSSH's match_pattern: '*' and '?' wildcards, case-insensitive. */
static int wild(const char *p, const char *pe, const char *s)
{
    for (; p < pe; p++, s++) {
        if (*p == '*') {
            for (; *s; s++)
                if (wild(p + 1, pe, s)) return 1;
            return wild(p + 1, pe, s);
        }
        if (!*s) return 0;
        if (*p != '?' && tolower((unsigned char)*p) != tolower((unsigned char)*s)) return 0;
    }
    return *s == 0;
}

/* |1|base64(salt)|base64(HMAC-SHA1(salt, name)) */
static int hashed_match(const char *p, const char *pe, const char *name)
{
    const char *salt = p + 3, *bar = memchr(salt, '|', (size_t)(pe - salt));
    if (!bar) return 0;
    unsigned char key[64], want[64], got[EVP_MAX_MD_SIZE];
    long kl = b64_decode(salt, (size_t)(bar - salt), key, sizeof key);
    long wl = b64_decode(bar + 1, (size_t)(pe - bar - 1), want, sizeof want);
    unsigned gl = 0;
    if (kl <= 0 || wl != 20) return 0;
    if (!HMAC(EVP_sha1(), key, (int)kl, (const unsigned char *)name, strlen(name), got, &gl))
        return 0;
    return gl == 20 && memcmp(got, want, 20) == 0;
}

/* The host-pattern field [p, pe) against name: 1 when a pattern matches
 * and no negated one does. */
static int hosts_match(const char *p, const char *pe, const char *name)
{
    int hit = 0;
    while (p < pe) {
        const char *e = memchr(p, ',', (size_t)(pe - p));
        if (!e) e = pe;
        int neg = *p == '!';
        const char *q = p + neg;
        int m = (e - q >= 3 && !strncmp(q, "|1|", 3)) ? hashed_match(q, e, name) : wild(q, e, name);
        if (m && neg) return 0;
        if (m) hit = 1;
        p = e + 1;
    }
    return hit;
}

/* Next whitespace-separated field of [*p, end). */
static int field(const char **p, const char *end, const char **fs, const char **fe)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    const char *e = s;
    while (e < end && *e != ' ' && *e != '\t')
        e++;
    *fs = s;
    *fe = e;
    *p = e;
    return e > s;
}

void af__kh_scan(const char *text, size_t len, const char *host, int port, af__kh_fn fn, void *ud)
{
    char name[1100];
    if (port == 22)
        snprintf(name, sizeof name, "%s", host);
    else
        snprintf(name, sizeof name, "[%s]:%d", host, port);
    for (size_t i = 0; i < sizeof name && name[i]; i++)
        name[i] = (char)tolower((unsigned char)name[i]);
    const char *end = text + len;
    for (const char *line = text; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *le = nl ? nl : end, *p = line;
        line = nl ? nl + 1 : end;
        const char *fs, *fe;
        if (!field(&p, le, &fs, &fe) || *fs == '#') continue;
        int revoked = 0;
        if (*fs == '@') {
            if (fe - fs == 8 && !strncmp(fs, "@revoked", 8))
                revoked = 1;
            else
                continue; /* @cert-authority and unknown markers */
            if (!field(&p, le, &fs, &fe)) continue;
        }
        if (!hosts_match(fs, fe, name)) continue;
        const char *ts, *te, *ks, *ke;
        if (!field(&p, le, &ts, &te) || !field(&p, le, &ks, &ke)) continue;
        if (ke > ks && ke[-1] == '\r') ke--;
        size_t cap = (size_t)(ke - ks);
        unsigned char *blob = malloc(cap + 1);
        long bl = blob ? b64_decode(ks, cap, blob, cap + 1) : -1;
        char type[64];
        snprintf(type, sizeof type, "%.*s", (int)(te - ts), ts);
        if (bl > 0) fn(ud, revoked, type, blob, (size_t)bl);
        free(blob);
    }
}

void af__kh_fingerprint(const unsigned char *blob, size_t len, char *out, size_t outlen)
{
    unsigned char d[32];
    unsigned char b64[48];
    EVP_Digest(blob, len, d, NULL, EVP_sha256(), NULL);
    int n = EVP_EncodeBlock(b64, d, 32);
    while (n > 0 && b64[n - 1] == '=')
        n--;
    snprintf(out, outlen, "SHA256:%.*s", n, (const char *)b64);
}

int af__kh_pin_matches(const char *pin, const unsigned char digest[32])
{
    char p[128];
    size_t n = 0;
    for (const char *s = pin; *s && n + 1 < sizeof p; s++)
        if (!isspace((unsigned char)*s)) p[n++] = *s;
    p[n] = 0;
    const char *v = p;
    if (!strncasecmp(v, "SHA256:", 7)) v += 7;
    size_t vn = strlen(v);
    int hex = vn == 64;
    for (size_t i = 0; hex && i < vn; i++)
        hex = isxdigit((unsigned char)v[i]) != 0;
    if (hex) {
        char mine[65];
        for (int i = 0; i < 32; i++)
            sprintf(mine + 2 * i, "%02x", digest[i]);
        return strcasecmp(mine, v) == 0;
    }
    unsigned char b64[48];
    int bn = EVP_EncodeBlock(b64, digest, 32);
    while (bn > 0 && b64[bn - 1] == '=')
        bn--;
    while (vn > 0 && v[vn - 1] == '=')
        vn--;
    return vn == (size_t)bn && memcmp(v, b64, vn) == 0;
}
