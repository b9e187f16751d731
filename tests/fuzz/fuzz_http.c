/* Fuzzes the HTTP request side without a connection: gx_http_api_route (the route table, path
 * ids, admin and brand auth) and everything a handler reads before Redis (JSON bodies, field
 * checks, query arguments) on a server whose Redis is down, so each request must be answered
 * at once, with a status and, for JSON, a body that parses, and must leave no reference. */
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include <uv.h>
#include "gigcx/http_api.h"
#include "gigcx/proxyproto.h"
#include "gigcx/redis.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

#define ADMIN_KEY "fuzz-admin-key"

static gx_config cfg;
static gx_server srv;
static char query[512]; /* the current request's "a=1&b=2", as lws keeps its URI args */
static char fake_wsi;   /* stands in for the connection; the stubs below never read it */

/* The two lws calls the routes make on a request, stubbed: this object's definitions win
 * over the shared library's when gxcore is linked into the harness. */
const char *lws_get_urlarg_by_name(struct lws *wsi, const char *name, char *buf, int len)
{
    (void)wsi;
    size_t nl = strlen(name);
    for (const char *p = query; *p;) {
        const char *amp = strchr(p, '&');
        size_t fl = amp ? (size_t)(amp - p) : strlen(p);
        if (fl < (size_t)len && fl >= nl && strncmp(p, name, nl) == 0) {
            memcpy(buf, p, fl);
            buf[fl] = '\0';
            return buf + nl;
        }
        p += fl + (amp ? 1 : 0);
    }
    return NULL;
}

int lws_callback_on_writable(struct lws *wsi)
{
    (void)wsi;
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static const char *const channels[] = {NULL};
    static const gx_redis_hooks hooks = {0};
    lws_set_log_level(0, NULL);
    cfg = (gx_config){.admin_key = ADMIN_KEY, .secret = "fuzz-secret", .node_id = "fuzz"};
    srv.cfg = &cfg;
    srv.loop = uv_default_loop();
    srv.net.app = &srv; /* what a request reaches the marketplace through (net.h) */
    srv.net.cfg = &cfg;
    srv.net.m = &srv.m;
    /* never connects (no such socket, and the loop never runs): every command is refused */
    srv.redis =
        gx_redis_new(srv.loop, "unix:///nonexistent/gigcx-fuzz.sock", channels, &hooks, NULL, NULL);
    CHECK(srv.redis && !gx_redis_up(srv.redis));
    return 0;
}

/* Copies the text up to the next newline (or the end) into out (cap bytes, cut to fit). */
static const char *line(const char *p, const char *e, char *out, size_t cap)
{
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    size_t n = (size_t)((nl ? nl : e) - p);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return nl ? nl + 1 : e;
}

/* Byte 0: the method (bits 0-2: GET POST PUT OPTIONS other DELETE PATCH, 7 is GET), the admin key
 * as bearer (bit 3), an Origin (bit 4). Then lines: the path with an optional ?query, the bearer
 * (unless the admin key), and the body. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const int methods[] = {GX_HTTP_GET,   GX_HTTP_POST,   GX_HTTP_PUT,  GX_HTTP_OPTIONS,
                                  GX_HTTP_OTHER, GX_HTTP_DELETE, GX_HTTP_PATCH};
    if (size < 1)
        return 0;
    /* the same bytes as what a balancer puts before a request (--proxy-protocol) */
    char ip[48];
    int hdr = gx_proxyproto_parse(data, size, ip, sizeof(ip));
    CHECK(hdr <= (int)size && hdr <= GX_PROXYPROTO_MAX && (hdr <= 0 || strlen(ip) < sizeof(ip)));
    const char *p = (const char *)data + 1, *e = (const char *)data + size;
    gx_http_req *r = calloc(1, sizeof(*r));
    CHECK(r);
    r->refs = 1;
    r->wsi = (struct lws *)&fake_wsi;
    r->net = &srv.net;
    r->method = methods[(data[0] & 7) % 7];
    char uri[sizeof(r->path) + sizeof(query)];
    p = line(p, e, uri, sizeof(uri));
    char *q = strchr(uri, '?');
    query[0] = '\0';
    if (q) {
        *q = '\0';
        snprintf(query, sizeof(query), "%s", q + 1);
    }
    snprintf(r->path, sizeof(r->path), "%s", uri);
    char bearer[sizeof(r->bearer)];
    if (!(data[0] & 8))
        p = line(p, e, bearer, sizeof(bearer));
    snprintf(r->bearer, sizeof(r->bearer), "%s", data[0] & 8 ? ADMIN_KEY : bearer);
    if (data[0] & 16)
        snprintf(r->origin, sizeof(r->origin), "https://shop.example");
    char rot[32];
    const char *rv = lws_get_urlarg_by_name(r->wsi, "rotate=", rot, sizeof(rot));
    r->rotate = rv && (strcmp(rv, "1") == 0 || strcmp(rv, "true") == 0);
    if (p < e) { /* as http.c's append_body keeps it: NUL-terminated */
        r->blen = (size_t)(e - p);
        r->bcap = r->blen + 1;
        r->body = malloc(r->bcap);
        CHECK(r->body);
        memcpy(r->body, p, r->blen);
        r->body[r->blen] = '\0';
    }

    gx_http_api_route(r);

    CHECK(r->replied && r->status >= 200 && r->status < 600);
    CHECK(r->resp || r->resplen == 0);
    if (r->resplen && strcmp(r->ctype, "application/json") == 0) {
        json_t *j = json_loadb(r->resp, r->resplen, 0, NULL);
        CHECK(j);
        json_decref(j);
    }
    CHECK(r->refs == 1); /* nothing may wait on a Redis that refused every command */
    gx_http_unref(r);
    return 0;
}
