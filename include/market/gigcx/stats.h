/* Marketplace figures: what each node publishes to Redis every second, and their sum. */
#ifndef GIGCX_STATS_H
#define GIGCX_STATS_H

#include <stdint.h>
#include <jansson.h>
#include "gigcx/server.h"

/* Publishes this node's figures (HSET gx:nodestats <node> <json>). Fire and forget. */
void gx_stats_publish(gx_server *srv);

/* Takes out of gx:nodestats the entries of nodes silent for 10 minutes (the tick, once a
 * minute), so node ids of past processes do not pile up. */
void gx_stats_forget_gone(gx_server *srv);

/* Sums the fresh node entries of HGETALL gx:nodestats (a flat [node, json, ...] array)
 * into {experts, connections, counters, wait_ms}; *nodes gets how many were fresh. */
json_t *gx_stats_sum(json_t *flat, int64_t now, int *nodes);

#endif
