/*
 * test_sftp_knownhosts.c - the known_hosts reader and host key fingerprints
 * of the libssh2 SFTP driver (sftp_knownhosts.c), without a server. The
 * key, its fingerprint and the hashed host entries were produced with
 * ssh-keygen and Python's hmac, independently of the code under test.
 */
#include "t.h"
#include "../../stdlib-steps/xfer.h"

#include <openssl/evp.h>
#include <stdlib.h>

#define T_SUITE "test_sftp_knownhosts"

#define KEY "AAAAC3NzaC1lZDI1NTE5AAAAIPxWftVp3iprCNDJwGKI39JRz0UxEX0OfhYx33YpIwTo"
#define FP "SHA256:1s96dJRYgXH/16YSjj96sYHtUsOOCPCOw00DV2oO+24"
#define HEX "d6cf7a7494588171ffd7a6128e3f7ab181ed52c38e08f08ec34d03576a0efb6e"
#define SALT "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|"

typedef struct hits {
    int n, revoked;
    char types[512];
    unsigned char blob[128];
    size_t bloblen;
} hits;

static void collect(void *ud, int revoked, const char *type, const unsigned char *blob, size_t len)
{
    hits *h = ud;
    h->n++;
    h->revoked += revoked;
    snprintf(h->types + strlen(h->types), sizeof h->types - strlen(h->types), "%s%s",
             *h->types ? "," : "", type);
    if (len <= sizeof h->blob) {
        memcpy(h->blob, blob, len);
        h->bloblen = len;
    }
}

static hits scan(const char *text, const char *host, int port)
{
    hits h = {0};
    af__kh_scan(text, strlen(text), host, port, collect, &h);
    return h;
}

static void t_plain_and_ports(void)
{
    const char *kh = "# comment\n"
                     "example.org ssh-ed25519 " KEY " c1\n"
                     "[example.org]:2222 ecdsa-sha2-nistp256 " KEY "\n"
                     "other.org,EXAMPLE.NET ssh-rsa " KEY "\r\n"
                     "\n"
                     "   \n";
    hits h = scan(kh, "example.org", 22);
    T_INTEQ(h.n, 1);
    T_STREQ(h.types, "ssh-ed25519");
    T_INTEQ(h.bloblen, 51);
    h = scan(kh, "example.org", 2222);
    T_INTEQ(h.n, 1);
    T_STREQ(h.types, "ecdsa-sha2-nistp256");
    h = scan(kh, "Example.NET", 22); /* host names compare without case */
    T_INTEQ(h.n, 1);
    T_STREQ(h.types, "ssh-rsa");
    T_INTEQ(h.bloblen, 51); /* the CR of a CRLF line is not part of the key */
    h = scan(kh, "example.org", 2200);
    T_INTEQ(h.n, 0);
    h = scan(kh, "nothere.org", 22);
    T_INTEQ(h.n, 0);
}

static void t_hashed(void)
{
    const char *kh = SALT "bFDVYqbsfLlUB0fPAZemUYx8Gnc= ssh-ed25519 " KEY "\n" SALT
                          "FECgIuoZ4Lo/BCx3pa8UOUgvG+o= ecdsa-sha2-nistp384 " KEY "\n";
    hits h = scan(kh, "example.org", 22);
    T_INTEQ(h.n, 1);
    T_STREQ(h.types, "ssh-ed25519");
    h = scan(kh, "example.org", 2222);
    T_INTEQ(h.n, 1);
    T_STREQ(h.types, "ecdsa-sha2-nistp384");
    h = scan(kh, "example.com", 22);
    T_INTEQ(h.n, 0);
}

static void t_patterns_and_markers(void)
{
    const char *kh = "*.corp.example,!bad.corp.example ssh-ed25519 " KEY "\n"
                     "10.0.0.? ecdsa-sha2-nistp256 " KEY "\n"
                     "@cert-authority *.corp.example ssh-rsa " KEY "\n"
                     "@revoked host.corp.example ssh-ed25519 " KEY "\n"
                     "broken-line-without-key\n"
                     "host.corp.example ssh-ed25519 !!!notbase64\n";
    hits h = scan(kh, "host.corp.example", 22);
    T_INTEQ(h.n, 2); /* the wildcard line and the @revoked one */
    T_INTEQ(h.revoked, 1);
    h = scan(kh, "bad.corp.example", 22);
    T_INTEQ(h.n, 0); /* negated */
    h = scan(kh, "10.0.0.7", 22);
    T_INTEQ(h.n, 1);
    h = scan(kh, "10.0.0.77", 22);
    T_INTEQ(h.n, 0);
}

static void t_fingerprint_and_pins(void)
{
    hits h = scan("example.org ssh-ed25519 " KEY "\n", "example.org", 22);
    char fp[80];
    af__kh_fingerprint(h.blob, h.bloblen, fp, sizeof fp);
    T_STREQ(fp, FP);
    unsigned char d[32];
    EVP_Digest(h.blob, h.bloblen, d, NULL, EVP_sha256(), NULL);
    T_INTEQ(af__kh_pin_matches(FP, d), 1);
    T_INTEQ(af__kh_pin_matches(FP + 7, d), 1); /* without SHA256: */
    T_INTEQ(af__kh_pin_matches(FP "=", d), 1); /* with padding */
    T_INTEQ(af__kh_pin_matches("sha256:1s96dJRYgXH/16YSjj96sYHtUsOOCPCOw00DV2oO+24", d), 1);
    T_INTEQ(af__kh_pin_matches(HEX, d), 1);
    T_INTEQ(
        af__kh_pin_matches(" D6CF7A7494588171FFD7A6128E3F7AB181ED52C38E08F08EC34D03576A0EFB6E ", d),
        1);
    T_INTEQ(af__kh_pin_matches("SHA256:1s96dJRYgXH/16YSjj96sYHtUsOOCPCOw00DV2oO+25", d), 0);
    T_INTEQ(af__kh_pin_matches("", d), 0);
    T_INTEQ(af__kh_pin_matches("MD5:aa:bb", d), 0);
}

int main(void)
{
    T_RUN(t_plain_and_ports);
    T_RUN(t_hashed);
    T_RUN(t_patterns_and_markers);
    T_RUN(t_fingerprint_and_pins);
    T_END();
}
