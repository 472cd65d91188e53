/*
 * sha256.c - af_sha256_file: a file's SHA-256 with OpenSSL's libcrypto,
 * streamed in 64 KiB reads. A file of its own so that only executables
 * whose steps hash (and declare -lcrypto) link libcrypto.
 */
#include "af_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

int af_sha256_file(const char *path, char hex[65])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    unsigned char buf[65536];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r == 0) break;
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            EVP_MD_CTX_free(ctx);
            close(fd);
            errno = e;
            return -1;
        }
        EVP_DigestUpdate(ctx, buf, (size_t)r);
    }
    close(fd);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        errno = EIO;
        return -1;
    }
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = 0;
    return 0;
}
