/* A user's flood limit across processes. Each process limits a user over its sockets there
 * (base/userlim.h); once a second the users busy here (a quarter of --user-rate or more)
 * add their count to one Redis counter per user and second, and read the second before,
 * which every process has added to by then. When that total is over the user's rate, this
 * process keeps to its part of it: the rate times its own count over the total. Users
 * below a quarter of the rate cost no Redis command. docs/protocol.md, "Flood limits". */
#ifndef GIGCX_USERRATE_H
#define GIGCX_USERRATE_H

#include "gigcx/server.h"

/* The housekeeping tick's sweep (once a second). */
void gx_userrate_share(gx_server *srv);

#endif
