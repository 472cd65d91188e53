/*
 * af_rest.h - the `rest` connector kind: one HTTP request as a step hands it
 * to a driver, the response the driver fills, and the primitive table a
 * rest driver exports (af_driver.ops).
 *
 * Built-in driver: `curl` (libcurl, stdlib-steps/rest_curl.c; the
 * reference's name `httpx` is an alias). Its resource config is base_url,
 * headers, bearer_token; its options timeout, verify_ssl, ca_file and
 * retry.max_attempts. A plugin adds a driver by defining an af_driver of
 * kind "rest" whose ops point to an af_rest_ops.
 *
 * A driver retries only transport failures (no connection, timeout,
 * connection lost), never an HTTP status, and only as many times as the
 * resource's options say.
 */
#ifndef AF_REST_H
#define AF_REST_H

#include "af.h"

typedef struct af_rest_request {
    const char *method;      /* "GET", "POST", any token; NULL: GET */
    const char *url;         /* absolute "scheme://...", or a path joined to config.base_url */
    const af_value *params;  /* map of query parameters appended to the URL (a list value
                              * repeats its key); NULL: none */
    const af_value *headers; /* map of request headers; they replace config.headers of the
                              * same name (case-insensitive); NULL: none */
    /* The request body: one of body, body_file, or form and/or upload_file. */
    const char *body; /* body_len raw bytes, or NULL */
    size_t body_len;
    const char *body_file;    /* a file streamed as the raw body, or NULL */
    const char *content_type; /* of body or body_file when headers has no Content-Type */
    const af_value *form;     /* map of fields: urlencoded, or multipart with upload_file */
    const char *upload_file;  /* a file sent as one multipart/form-data part, or NULL */
    const char *upload_field; /* its field name; NULL: "file" */
    const char *upload_name;  /* its file name; NULL: the basename of upload_file */
    double timeout;           /* seconds per connect or read; <= 0: options.timeout */
    int follow_redirects;     /* 0: a 3xx is the response, as with the reference */
    /* Where the response body goes, piece by piece. sink returns 0 to go
     * on, -1 to abort the request (the driver then fails it); NULL
     * discards the body. sink_reset, when set, is called before a retry so
     * the sink can start over. */
    int (*sink)(void *ud, const char *p, size_t n);
    void (*sink_reset)(void *ud);
    void *sink_ud;
} af_rest_request;

typedef struct af_rest_response {
    long status;       /* HTTP status of the final response */
    af_value *headers; /* map: lower-case names to values, repeated ones joined ", " */
    int64_t bytes;     /* body bytes passed to the sink */
    const char *url;   /* the URL requested without userinfo and query: safe to log */
    int attempts;      /* tries made */
} af_rest_response;

typedef struct af_rest_ops {
    /* Sends rq and waits for the whole response. Strings and values of rs
     * live in arena a. Returns 0 when a response arrived, whatever its
     * status; -1 with a message in err (method and safe URL named, no
     * secrets) when none did or the sink refused the body. */
    int (*request)(af_conn *c, af_arena *a, const af_rest_request *rq, af_rest_response *rs,
                   char *err, size_t errlen);
} af_rest_ops;

#endif /* AF_REST_H */
