/* Admin read endpoints for the dashboard (brands, experts, marketplace figures), and the
 * per-node figures every node publishes to Redis each second so any node can answer for
 * the whole marketplace. */
#ifndef GIGCX_ADMIN_H
#define GIGCX_ADMIN_H

#include <stdint.h>
#include <jansson.h>
#include "gigcx/http.h"
#include "gigcx/server.h"

/* Publishes this node's figures (HSET gx:nodestats <node> <json>). Fire and forget. */
void gx_stats_publish(gx_server *srv);

/* Sums the fresh node entries of HGETALL gx:nodestats (a flat [node, json, ...] array)
 * into {experts, connections, counters, wait_ms}; *nodes gets how many were fresh. */
json_t *gx_stats_sum(json_t *flat, int64_t now, int *nodes);

/* GET /api/v1/admin/stats, /api/v1/brands[/{id}], /api/v1/experts[/{id}] (admin key checked
 * by the router; r->id holds the id for the single-item forms). */
void gx_admin_get_stats(gx_http_req *r);
void gx_admin_get_brands(gx_http_req *r);
void gx_admin_get_brand(gx_http_req *r);
void gx_admin_get_experts(gx_http_req *r);
void gx_admin_get_expert(gx_http_req *r);

#endif
