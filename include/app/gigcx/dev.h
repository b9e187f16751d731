/* --dev: seeds a demo brand and a few experts once Redis is up, and prints tokens and
 * URLs so a newcomer can open the expert console and the widget demo at once. */
#ifndef GIGCX_DEV_H
#define GIGCX_DEV_H

#include "gigcx/server.h"

/* Writes the demo records and prints how to use them. Safe to call on every start. */
void gx_dev_seed(gx_server *srv, int port);

#endif
