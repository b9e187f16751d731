/* HTTP request plumbing for the dynamic routes: collect headers and body, hand the request
 * to the router, and write the reply when it is ready (possibly after Redis answered).
 * It knows no routes; http_api.c does. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/error.h"
#include "gigcx/http.h"

#define GX_BODY_MAX (64 * 1024)

gx_http_req *gx_http_ref(gx_http_req *r)
{
    r->refs++;
    return r;
}

void gx_http_unref(gx_http_req *r)
{
    if (!r || --r->refs > 0)
        return;
    free(r->body);
    free(r->resp);
    json_decref(r->arg);
    free(r);
}

static int method_of(struct lws *wsi)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
        return GX_HTTP_GET;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
        return GX_HTTP_POST;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI))
        return GX_HTTP_PUT;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI))
        return GX_HTTP_OPTIONS;
    return GX_HTTP_OTHER;
}

static void copy_path(struct lws *wsi, gx_http_req *r)
{
    static const enum lws_token_indexes toks[] = {WSI_TOKEN_GET_URI,    WSI_TOKEN_POST_URI,
                                                  WSI_TOKEN_PUT_URI,    WSI_TOKEN_PATCH_URI,
                                                  WSI_TOKEN_DELETE_URI, WSI_TOKEN_OPTIONS_URI};
    for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++)
        if (lws_hdr_total_length(wsi, toks[i]) > 0) {
            if (lws_hdr_copy(wsi, r->path, sizeof(r->path), toks[i]) < 0)
                r->path[0] = '\0';
            return;
        }
}

static gx_http_req *req_new(struct lws *wsi, gx_server *srv)
{
    gx_http_req *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->refs = 1;
    r->wsi = wsi;
    r->srv = srv;
    r->method = method_of(wsi);
    copy_path(wsi, r);
    /* a value too long for bearer fails lws_hdr_copy, so it is never silently cut */
    char auth[sizeof(r->bearer) + 7];
    if (lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION) > 7 &&
        strncasecmp(auth, "Bearer ", 7) == 0)
        memcpy(r->bearer, auth + 7, strlen(auth + 7) + 1);
    if (lws_hdr_copy(wsi, r->origin, sizeof(r->origin), WSI_TOKEN_ORIGIN) < 0)
        r->origin[0] = '\0';
    char arg[32];
    /* lws returns a pointer past "name=" inside arg */
    const char *rot = lws_get_urlarg_by_name(wsi, "rotate=", arg, sizeof(arg));
    r->rotate = rot && (strcmp(rot, "1") == 0 || strcmp(rot, "true") == 0);
    srv->m.http_requests++;
    return r;
}

static bool expects_body(struct lws *wsi)
{
    char cl[32];
    if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        return atol(cl) > 0;
    return lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
}

static void append_body(gx_http_req *r, const void *in, size_t len)
{
    if (r->too_big || r->blen + len > GX_BODY_MAX) {
        r->too_big = true;
        return;
    }
    if (r->blen + len + 1 > r->bcap) {
        size_t ncap = r->bcap ? r->bcap * 2 : 1024;
        while (ncap < r->blen + len + 1)
            ncap *= 2;
        char *n = realloc(r->body, ncap);
        if (!n) {
            r->too_big = true;
            return;
        }
        r->body = n;
        r->bcap = ncap;
    }
    memcpy(r->body + r->blen, in, len);
    r->blen += len;
    r->body[r->blen] = '\0';
}

static void route(gx_http_req *r)
{
    if (r->too_big) {
        gx_http_error(r, GX_EBADREQ, "body over %d bytes", GX_BODY_MAX);
        r->status = 413;
        return;
    }
    if (r->srv->stopping) {
        gx_http_error(r, GX_EUNAVAIL, "server shutting down");
        return;
    }
    gx_http_route(r);
}

static void set_reply(gx_http_req *r, int status, const char *ctype, char *body, size_t len)
{
    if (r->replied) {
        free(body);
        return;
    }
    r->replied = true;
    r->status = status;
    r->ctype = ctype;
    r->resp = body;
    r->resplen = len;
    if (r->wsi)
        lws_callback_on_writable(r->wsi);
}

void gx_http_reply_json(gx_http_req *r, int status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : strdup("");
    json_decref(j);
    set_reply(r, status, "application/json", text, text ? strlen(text) : 0);
}

void gx_http_reply_text(gx_http_req *r, int status, const char *ctype, const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy) {
        memcpy(copy, text, len);
        copy[len] = '\0';
    }
    set_reply(r, status, ctype, copy, copy ? len : 0);
}

void gx_http_error(gx_http_req *r, int err, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (-err > 0 && -err < 10)
        r->srv->m.errors[-err]++;
    gx_http_reply_json(
        r, gx_http_status(err),
        json_pack("{s:{s:s, s:s}}", "error", "code", gx_strerror(err), "message", msg));
}

static int write_reply(struct lws *wsi, gx_http_req *r)
{
    unsigned char hdr[LWS_PRE + 2048], *start = hdr + LWS_PRE, *p = start,
                                       *end = hdr + sizeof(hdr) - 1;
    if (lws_add_http_common_headers(wsi, (unsigned int)r->status, r->ctype, r->resplen, &p, end))
        return -1;
    static const char *const extra[][2] = {
        {"cache-control:", "no-store"},
    };
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)extra[i][0],
                                        (const unsigned char *)extra[i][1],
                                        (int)strlen(extra[i][1]), &p, end))
            return -1;
    if (r->allow_origin[0] &&
        (lws_add_http_header_by_name(wsi, (const unsigned char *)"access-control-allow-origin:",
                                     (const unsigned char *)r->allow_origin,
                                     (int)strlen(r->allow_origin), &p, end) ||
         lws_add_http_header_by_name(
             wsi, (const unsigned char *)"vary:", (const unsigned char *)"Origin", 6, &p, end)))
        return -1;
    static const char *const cors[][2] = {
        {"access-control-allow-methods:", "POST, OPTIONS"},
        {"access-control-allow-headers:", "content-type"},
        {"access-control-max-age:", "600"},
    };
    for (size_t i = 0; r->preflight && i < sizeof(cors) / sizeof(cors[0]); i++)
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)cors[i][0],
                                        (const unsigned char *)cors[i][1], (int)strlen(cors[i][1]),
                                        &p, end))
            return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    if (r->resplen) {
        unsigned char *buf = malloc(LWS_PRE + r->resplen);
        if (!buf)
            return -1;
        memcpy(buf + LWS_PRE, r->resp, r->resplen);
        int n = lws_write(wsi, buf + LWS_PRE, r->resplen, LWS_WRITE_HTTP_FINAL);
        free(buf);
        if (n < 0)
            return -1;
    }
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int gx_http_callback(struct lws *wsi, int reason, gx_pss *pss, void *in, size_t len)
{
    gx_server *srv = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        if (pss->req) { /* keep-alive: a new transaction on the same connection */
            pss->req->wsi = NULL;
            gx_http_unref(pss->req);
        }
        pss->req = req_new(wsi, srv);
        if (!pss->req)
            return -1;
        if (!expects_body(wsi))
            route(pss->req);
        return 0;
    case LWS_CALLBACK_HTTP_BODY:
        if (pss->req)
            append_body(pss->req, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (pss->req)
            route(pss->req);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!pss->req || !pss->req->replied)
            return 0;
        {
            gx_http_req *r = pss->req;
            pss->req = NULL;
            int rc = write_reply(wsi, r);
            r->wsi = NULL;
            gx_http_unref(r);
            return rc;
        }
    case LWS_CALLBACK_CLOSED_HTTP:
        if (pss->req) {
            pss->req->wsi = NULL;
            gx_http_unref(pss->req);
            pss->req = NULL;
        }
        return 0;
    default:
        return lws_callback_http_dummy(wsi, (enum lws_callback_reasons)reason, pss, in, len);
    }
}
