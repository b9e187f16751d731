/* The REST API: the route table (gx_http_api_route, the transport's http_route hook) and what the
 * route handlers share. */
#ifndef GIGCX_HTTP_API_H
#define GIGCX_HTTP_API_H

#include <stdbool.h>
#include <jansson.h>
#include <hiredis/hiredis.h>
#include "gigcx/http.h"
#include "gigcx/jwt.h"
#include "gigcx/server.h"

#define GX_TOKEN_TTL_DEFAULT (24 * 3600)
#define GX_TOKEN_TTL_MAX (30 * 24 * 3600)

/* The marketplace a request is for. */
static inline gx_server *gx_req_srv(const gx_http_req *r)
{
    return r->net->app;
}

/* Helpers for route handlers: the admin key's check (constant time); the body as a JSON
 * object (kept in r->arg), or NULL after a 400 naming what is wrong; and fn run once the
 * bearer is known as the admin key (r->as_admin) or a brand's key (r->brand), after a 401
 * otherwise. */
bool gx_http_api_is_admin(const gx_http_req *r);
json_t *gx_http_api_body(gx_http_req *r);
void gx_http_api_with_brand(gx_http_req *r, void (*fn)(gx_http_req *r));
/* The person a token request names ({sub, role, brand?} in o), as the caller may name
 * them: the admin anyone, a brand its own customers and staff only (its brand filled in).
 * *brand is NULL for experts. false after answering 400 or 403. */
bool gx_http_api_person(gx_http_req *r, json_t *o, bool admin, const char **sub, gx_role *role,
                        const char **brand);

/* A signed token for sub (role, brand, display name), valid ttl seconds; *exp_ms its expiry.
 * Heap string, or NULL. */
char *gx_http_api_mint(gx_server *srv, const char *sub, gx_role role, const char *brand,
                       const char *name, long ttl, int64_t *exp_ms);
/* PUT /api/v1/brands/{id} and /api/v1/experts/{id} (http_api.c): the body is r->body; PATCH
 * (http_patch.c) hands them the merged record. */
void gx_http_api_put_brand(gx_http_req *r);
void gx_http_api_put_expert(gx_http_req *r);
/* PATCH /api/v1/experts/{id} and /api/v1/brands/{id} (http_patch.c): a JSON merge patch on
 * the stored record, validated and stored as a PUT of the result; 404 for an unknown id. */
void gx_http_patch_expert(gx_http_req *r);
void gx_http_patch_brand(gx_http_req *r);
/* An expert put's first reply (HMGET name active): whether it existed and was active. */
void gx_http_patch_before(const redisReply *rep, bool *existed, bool *was_active);
/* An expert put was stored (out: the answer, completed with active): a change of active is
 * audited, and a deactivation hands the expert's held tasks back to the queue at once. */
void gx_http_patch_after_put(gx_http_req *r, json_t *out, bool existed, bool was_active);
/* The admin's view of a stored brand or expert (an HGETALL as gathered: [k, v, ...]); new
 * references (http_admin.c). */
json_t *gx_http_admin_brand_json(gx_server *srv, const char *id, json_t *flat);
json_t *gx_http_admin_expert_json(const char *id, json_t *flat);
/* The routes: answers r (the transport's http_route hook). */
void gx_http_api_route(gx_http_req *r);
/* Calls fn for every route the server answers: method in lower case ("get") and the path
 * with "{}" where an id goes ("/api/v1/tasks/{}/transcript"). */
void gx_http_api_each_route(void (*fn)(const char *method, const char *path, void *arg), void *arg);
/* GET /api/v1/tasks?status=&topic=&since=&q=&limit=&cursor= (http_tasks.c). */
void gx_http_tasks_list(gx_http_req *r);
/* POST /api/v1/tokens/revoke, DELETE /api/v1/experts/{id} (http_revoke.c). */
void gx_http_revoke(gx_http_req *r);
void gx_http_revoke_delete_expert(gx_http_req *r);
/* GET /api/v1/audit (http_audit.c). */
void gx_http_audit_get(gx_http_req *r);
/* GET /api/v1/admin/stats, /api/v1/brands[/{id}], /api/v1/experts[/{id}] (admin key checked
 * by the router; r->id holds the id for the single-item forms). */
void gx_http_admin_stats(gx_http_req *r);
void gx_http_admin_brands(gx_http_req *r);
void gx_http_admin_brand(gx_http_req *r);
void gx_http_admin_experts(gx_http_req *r);
void gx_http_admin_expert(gx_http_req *r);

/* GET /api/v1/webhooks/deliveries?limit=&brand= (http_webhooks.c): the brand's latest
 * attempts, newest first. */
void gx_http_webhooks_get(gx_http_req *r);
/* The widget's anonymous routes (http_widget.c): POST /api/v1/widget/session, its OPTIONS
 * preflight, GET /api/v1/widget/availability. */
void gx_http_widget_session(gx_http_req *r);
void gx_http_widget_preflight(gx_http_req *r);
void gx_http_widget_availability(gx_http_req *r);
/* POST /api/v1/widget/offline: an offline message, through the widget session's gate. */
void gx_http_widget_offline(gx_http_req *r);
/* The widget's brand settings from a brand PUT body o into conf: business_hours (hours.h),
 * offline_timeout_s, widget {prechat}. False when one is invalid (r answered). */
bool gx_http_widget_config(gx_http_req *r, json_t *o, json_t *conf);
/* POST /api/v1/admin/shed (http_shed.c): admin only, checked by the router. */
void gx_http_shed(gx_http_req *r);

#endif
