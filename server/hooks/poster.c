/* Webhook POSTs through the lws HTTP client on the server's own context and loop. lws 4.1 here
 * is built without its asynchronous resolver, so a host name given to it would be resolved
 * with a blocking getaddrinfo on the loop: names are resolved first with uv_getaddrinfo (a
 * worker thread) and lws gets the numeric address, with the name kept for the Host header,
 * SNI and the certificate check. Only the status line is read; the connection is then closed. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <openssl/x509.h>
#include <libwebsockets.h>
#include "gigcx/poster.h"

#define GX_POST_PROTOCOL "gx-webhook"

typedef struct gx_post {
    gx_poster *p; /* borrowed */
    struct gx_post *next, *prev;
    gx_url url;
    char **hdr;          /* owned: name, value, name, value ... */
    int nhdr;            /* pairs */
    unsigned char *body; /* owned: LWS_PRE headroom, then len bytes */
    size_t len;
    bool body_sent;
    uv_getaddrinfo_t dns;
    bool resolving;  /* dns is in flight: the post is freed when it returns */
    bool ended;      /* the callback ran (or the post was dropped) */
    struct lws *wsi; /* borrowed; NULL before connecting and once lws let go of it */
    uint64_t t0_ns;
    gx_post_cb cb;
    void *priv;
    char err[128];
} gx_post;

struct gx_poster {
    struct lws_context *ctx; /* borrowed */
    struct lws_vhost *vh;    /* owned by ctx */
    uv_loop_t *loop;         /* borrowed */
    int timeout_ms;
    bool allow_private; /* loopback, link-local and private addresses may be POSTed to */
    int inflight;
    gx_post *all; /* posts not yet ended */
};

/* ---- URLs ---- */

static bool host_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-';
}

/* host[:port] or [v6][:port] between s and e; fills host and port. */
static int parse_authority(const char *s, const char *e, gx_url *u)
{
    const char *h = s, *he, *colon = NULL;
    if (*s == '[') { /* an IPv6 literal */
        he = memchr(s, ']', (size_t)(e - s));
        if (!he)
            return -1;
        h = s + 1;
        colon = he + 1 < e ? he + 1 : NULL;
        if (colon && *colon != ':')
            return -1;
        for (const char *c = h; c < he; c++)
            if (!isxdigit((unsigned char)*c) && *c != ':' && *c != '.')
                return -1;
    } else {
        colon = memchr(s, ':', (size_t)(e - s));
        he = colon ? colon : e;
        for (const char *c = h; c < he; c++)
            if (!host_char(*c))
                return -1;
    }
    size_t hl = (size_t)(he - h);
    if (hl == 0 || hl > GX_URL_HOST_MAX)
        return -1;
    memcpy(u->host, h, hl);
    u->host[hl] = '\0';
    if (colon) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (colon + 1 == e || end != e || port < 1 || port > 65535)
            return -1;
        u->port = (int)port;
    }
    return 0;
}

int gx_poster_url_parse(const char *url, gx_url *u)
{
    memset(u, 0, sizeof(*u));
    if (!url)
        return -1;
    if (strncmp(url, "https://", 8) == 0)
        u->tls = true;
    else if (strncmp(url, "http://", 7) != 0)
        return -1;
    for (const char *c = url; *c; c++) /* what goes into the request line: plain ASCII only */
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
            return -1;
    const char *a = url + (u->tls ? 8 : 7);
    const char *e = a + strcspn(a, "/?#");
    if (memchr(a, '@', (size_t)(e - a)) || strchr(url, '#'))
        return -1;
    u->port = u->tls ? 443 : 80;
    if (parse_authority(a, e, u))
        return -1;
    int n = snprintf(u->path, sizeof(u->path), "%s%s", *e == '/' ? "" : "/", e);
    if (n < 0 || (size_t)n >= sizeof(u->path))
        return -1;
    bool v6 = strchr(u->host, ':') != NULL;
    char port[8] = "";
    if (u->port != (u->tls ? 443 : 80))
        snprintf(port, sizeof(port), ":%d", u->port);
    snprintf(u->hosthdr, sizeof(u->hosthdr), "%s%s%s%s", v6 ? "[" : "", u->host, v6 ? "]" : "",
             port);
    return 0;
}

/* ---- addresses ---- */

static bool v4_private(uint32_t a) /* host order */
{
    static const struct {
        uint32_t net, mask;
    } nets[] = {
        {0x00000000, 0xff000000}, /* 0/8 "this network" */
        {0x0a000000, 0xff000000}, /* 10/8 */
        {0x64400000, 0xffc00000}, /* 100.64/10 shared (carrier NAT) */
        {0x7f000000, 0xff000000}, /* 127/8 loopback */
        {0xa9fe0000, 0xffff0000}, /* 169.254/16 link-local (cloud metadata) */
        {0xac100000, 0xfff00000}, /* 172.16/12 */
        {0xc0000000, 0xffffff00}, /* 192.0.0/24 protocol assignments */
        {0xc0a80000, 0xffff0000}, /* 192.168/16 */
        {0xc6120000, 0xfffe0000}, /* 198.18/15 benchmarking */
        {0xe0000000, 0xe0000000}, /* 224/3 multicast, reserved, broadcast */
    };
    for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
        if ((a & nets[i].mask) == nets[i].net)
            return true;
    return false;
}

static bool v6_private(const struct in6_addr *a)
{
    const uint8_t *b = a->s6_addr;
    static const uint8_t zero[10] = {0};
    if (memcmp(b, zero, 10) == 0 && ((b[10] == 0xff && b[11] == 0xff) || (!b[10] && !b[11])))
        return v4_private((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 |
                          b[15]);   /* mapped or compatible IPv4, :: and ::1 among them */
    return (b[0] & 0xfe) == 0xfc || /* fc00::/7 unique local */
           (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || /* fe80::/10 link-local */
           (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) || /* fec0::/10 site-local */
           b[0] == 0xff;                              /* multicast */
}

bool gx_poster_addr_private(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return v4_private(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return v6_private(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return true; /* nothing else is POSTed to */
}

bool gx_poster_host_private(const char *host)
{
    size_t n = strlen(host);
    struct in_addr v4;
    struct in6_addr v6;
    if (strcasecmp(host, "localhost") == 0 ||
        (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
        return true;
    if (inet_aton(host, &v4)) /* the lenient reader getaddrinfo uses: "127.1" too */
        return v4_private(ntohl(v4.s_addr));
    return inet_pton(AF_INET6, host, &v6) == 1 && v6_private(&v6);
}

/* ---- one POST ---- */

static void post_free(gx_post *q)
{
    for (int i = 0; i < 2 * q->nhdr; i++)
        free(q->hdr[i]);
    free(q->hdr);
    free(q->body);
    free(q);
}

static void unlink_post(gx_post *q)
{
    gx_poster *p = q->p;
    if (!p)
        return;
    if (q->prev)
        q->prev->next = q->next;
    else
        p->all = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->next = q->prev = NULL;
    q->p = NULL;
    p->inflight--;
}

/* Lets go of the connection: later lws callbacks for it find no post and only close it. */
static void detach(gx_post *q, bool kill)
{
    struct lws *wsi = q->wsi;
    q->wsi = NULL;
    if (!wsi)
        return;
    lws_set_opaque_user_data(wsi, NULL);
    if (kill)
        lws_set_timeout(wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
}

/* Keeps what a peer or lws said printable and short: it ends up in the delivery log. */
static void set_error(gx_post *q, const char *why, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; why && i < n && why[i] && o + 1 < sizeof(q->err); i++)
        q->err[o++] = isprint((unsigned char)why[i]) ? why[i] : '?';
    q->err[o] = '\0';
    if (!o)
        snprintf(q->err, sizeof(q->err), "connection failed");
}

/* Ends q once: the callback gets the status (error NULL) or why there is none. */
static void end_post(gx_post *q, int status, bool kill)
{
    if (q->ended)
        return;
    q->ended = true;
    detach(q, kill);
    unlink_post(q);
    gx_post_result res = {.status = status,
                          .error = status ? NULL : q->err,
                          .ms = (int64_t)((uv_hrtime() - q->t0_ns) / 1000000)};
    q->cb(&res, q->priv);
    if (!q->resolving)
        post_free(q);
}

static void end_error(gx_post *q, const char *why, bool kill)
{
    set_error(q, why, strlen(why));
    end_post(q, 0, kill);
}

static void start_connect(gx_post *q, const char *ip)
{
    gx_poster *p = q->p;
    struct lws_client_connect_info ci = {
        .context = p->ctx,
        .vhost = p->vh,
        .address = ip,
        .port = q->url.port,
        .path = q->url.path,
        .host = q->url.hosthdr,
        .method = "POST",
        .ssl_connection = (q->url.tls ? LCCSCF_USE_SSL : 0) | LCCSCF_HTTP_NO_FOLLOW_REDIRECT,
        .alpn = "http/1.1", /* one request, one body: no h2 */
        .local_protocol_name = GX_POST_PROTOCOL,
        .opaque_user_data = q,
    };
    struct lws *wsi = lws_client_connect_via_info(&ci);
    if (!q->ended)
        q->wsi = wsi; /* NULL when lws failed at once: its error callback may have come */
    if (!wsi && !q->ended)
        end_error(q, "cannot connect", false);
}

/* q stays allocated (resolving) until this returns: ending it here, or from inside lws's
 * connect call, only calls back. */
static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    gx_post *q = req->data;
    char ip[64] = "";
    if (status == 0 && res && res->ai_family == AF_INET)
        uv_ip4_name((const struct sockaddr_in *)res->ai_addr, ip, sizeof(ip));
    else if (status == 0 && res && res->ai_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)res->ai_addr, ip, sizeof(ip));
    /* the address connected to is the one checked: a name cannot change it in between */
    bool refused = ip[0] && q->p && !q->p->allow_private && gx_poster_addr_private(res->ai_addr);
    uv_freeaddrinfo(res);
    if (!q->ended && refused) {
        char why[192];
        snprintf(why, sizeof(why), "%.40s resolves to %s, a private address (not allowed)",
                 q->url.host, ip);
        end_error(q, why, false);
    } else if (!q->ended && !ip[0]) {
        char why[96];
        snprintf(why, sizeof(why), "cannot resolve %.40s: %s", q->url.host,
                 status ? uv_strerror(status) : "no address");
        end_error(q, why, false);
    } else if (!q->ended) {
        start_connect(q, ip);
    }
    q->resolving = false;
    if (q->ended) /* timed out, dropped, or failed at once */
        post_free(q);
}

/* ---- the lws side ---- */

static int add_headers(gx_post *q, struct lws *wsi, unsigned char **pp, size_t room)
{
    unsigned char *end = *pp + room;
    char name[64], clen[24];
    for (int i = 0; i < q->nhdr; i++) {
        snprintf(name, sizeof(name), "%s:", q->hdr[2 * i]);
        const char *v = q->hdr[2 * i + 1];
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)v,
                                        (int)strlen(v), pp, end))
            return -1;
    }
    int n = snprintf(clen, sizeof(clen), "%zu", q->len);
    if (lws_add_http_header_by_name(
            wsi, (const unsigned char *)"content-length:", (const unsigned char *)clen, n, pp, end))
        return -1;
    lws_client_http_body_pending(wsi, 1);
    lws_callback_on_writable(wsi);
    return 0;
}

static int write_body(gx_post *q, struct lws *wsi)
{
    if (q->body_sent)
        return 0;
    q->body_sent = true;
    lws_client_http_body_pending(wsi, 0);
    /* lws keeps whatever the socket does not take at once and sends it before anything else */
    int n = lws_write(wsi, q->body + LWS_PRE, q->len, LWS_WRITE_HTTP_FINAL);
    return n < 0 || (size_t)n != q->len ? -1 : 0;
}

/* Response bytes that arrive before we hang up are drained into a small buffer and dropped. */
static int drain(struct lws *wsi)
{
    char buf[LWS_PRE + 1024], *px = buf + LWS_PRE;
    int lenx = (int)sizeof(buf) - LWS_PRE;
    return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    gx_post *q = lws_get_opaque_user_data(wsi);
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        return q ? add_headers(q, wsi, (unsigned char **)in, len) : -1;
    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        return q ? write_body(q, wsi) : -1;
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        if (q) /* the status is all we wanted: hang up (lws reports it as an error, detached) */
            end_post(q, (int)lws_http_client_http_response(wsi), false);
        return -1;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
        return q ? drain(wsi) : -1;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        return 0;
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        return -1;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (q) {
            q->wsi = NULL;
            set_error(q, in, in ? len ? len : strlen(in) : 0);
            end_post(q, 0, false);
        }
        return 0;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        if (q) {
            q->wsi = NULL;
            end_error(q, "connection closed before a response", false);
        }
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    {.name = GX_POST_PROTOCOL, .callback = callback, .per_session_data_size = 0}, {0}};

/* ---- the client ---- */

/* The system's trusted CAs: lws's built-in default path does not exist on this system, and
 * OpenSSL's (or SSL_CERT_FILE's) file is what curl and friends use. */
static const char *ca_file(void)
{
    const char *env = getenv(X509_get_default_cert_file_env());
    const char *f = env && *env ? env : X509_get_default_cert_file();
    return f && access(f, R_OK) == 0 ? f : NULL;
}

gx_poster *gx_poster_new(struct lws_context *ctx, uv_loop_t *loop, int timeout_ms)
{
    gx_poster *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    const char *ca = ca_file();
    if (!ca)
        lwsl_warn("webhooks: no CA file readable; https deliveries will fail verification\n");
    /* A vhost of its own: client TLS for https without turning TLS on for the listener, and
     * no listening socket. */
    struct lws_context_creation_info info = {
        .port = CONTEXT_PORT_NO_LISTEN,
        .vhost_name = "gx-webhooks",
        .protocols = protocols,
        .options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT,
        .client_ssl_ca_filepath = ca,
    };
    *p = (gx_poster){.ctx = ctx, .loop = loop, .timeout_ms = timeout_ms};
    p->vh = lws_create_vhost(ctx, &info);
    if (!p->vh) {
        free(p);
        return NULL;
    }
    return p;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static gx_post *post_new(const char *const *headers, const char *body, size_t len)
{
    gx_post *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    while (headers && headers[2 * q->nhdr] && headers[2 * q->nhdr + 1])
        q->nhdr++;
    q->hdr = calloc((size_t)(2 * q->nhdr + 1), sizeof(char *));
    q->body = malloc(LWS_PRE + len + 1);
    bool ok = q->hdr && q->body;
    for (int i = 0; ok && i < 2 * q->nhdr; i++)
        ok = (q->hdr[i] = dup_n(headers[i], strlen(headers[i]))) != NULL;
    if (!ok) {
        post_free(q);
        return NULL;
    }
    memcpy(q->body + LWS_PRE, body, len);
    q->len = len;
    return q;
}

int gx_poster_send(gx_poster *p, const char *url, const char *const *headers, const char *body,
                   size_t len, gx_post_cb cb, void *priv)
{
    gx_url u;
    if (!p || gx_poster_url_parse(url, &u))
        return -1;
    gx_post *q = post_new(headers, body, len);
    if (!q)
        return -1;
    q->url = u;
    q->cb = cb;
    q->priv = priv;
    q->t0_ns = uv_hrtime();
    q->dns.data = q;
    char port[8];
    snprintf(port, sizeof(port), "%d", u.port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    if (uv_getaddrinfo(p->loop, &q->dns, on_resolved, u.host, port, &hints)) {
        post_free(q);
        return -1;
    }
    q->resolving = true;
    q->p = p;
    q->next = p->all;
    if (p->all)
        p->all->prev = q;
    p->all = q;
    p->inflight++;
    return 0;
}

void gx_poster_allow_private(gx_poster *p, bool allow)
{
    if (p)
        p->allow_private = allow;
}

int gx_poster_inflight(const gx_poster *p)
{
    return p ? p->inflight : 0;
}

void gx_poster_sweep(gx_poster *p)
{
    uint64_t now = uv_hrtime(), limit = (uint64_t)p->timeout_ms * 1000000;
    for (gx_post *q = p->all, *next; q; q = next) {
        next = q->next;
        if (now - q->t0_ns >= limit)
            end_error(q, "timeout", true);
    }
}

void gx_poster_free(gx_poster *p)
{
    if (!p)
        return;
    while (p->all)
        end_error(p->all, "server shutting down", true);
    free(p);
}
