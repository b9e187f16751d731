/* The flood limit of one user over all its sockets on this process, so opening 40 sockets
 * does not multiply a user's frame rate by 40. Entries live while the user has a socket
 * here. Across processes the busy users' counts meet in Redis once a second
 * (market/userrate.c), and each process keeps its share of the user's rate. */
#ifndef GIGCX_USERLIM_H
#define GIGCX_USERLIM_H

#include <stdbool.h>
#include <stdint.h>
#include "gigcx/bucket.h"
#include "gigcx/map.h"

typedef struct gx_userlim {
    gx_bucket b;
    int sockets;      /* sessions of this user here that hold the entry */
    unsigned used;    /* frames taken since the last share (userrate.c) */
    double share;     /* this process's part of the user's rate, (0, 1]: 1 unless the user is
                       * busy on other processes too */
    long long sec;    /* the second (unix) the last count went to */
    unsigned counted; /* and how many it added there */
} gx_userlim;

/* A user's rate over all its sockets (frames a second): never below one socket's. */
double gx_userlim_rate(int ws_rate, int user_rate);
/* Takes a token from the user's bucket at rate times its share (bursts of twice that). */
bool gx_userlim_take(gx_userlim *u, double rate, int64_t now_ms);

/* The user's entry, made on its first socket (NULL only when out of memory). */
gx_userlim *gx_userlim_attach(gx_map *limits, const char *uid, double burst, int64_t now_ms);
/* One socket of the user is gone; the entry goes with the last. */
void gx_userlim_detach(gx_map *limits, const char *uid);
/* Frees every entry (at shutdown). */
void gx_userlim_free_all(gx_map *limits);

#endif
