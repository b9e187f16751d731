/* The clients' addresses PROXY protocol headers named, by socket number (net.h). A socket's
 * entry is written before lws adopts it, so a number reused by the kernel is overwritten
 * before anything reads it. */
#include <stdlib.h>
#include <string.h>
#include "gigcx/net.h"

void gx_net_set_peer(gx_net *net, int fd, const char *ip)
{
    if (fd < 0)
        return;
    if (fd >= net->peer_cap) {
        int cap = fd + 1 > 2 * net->peer_cap ? fd + 1 : 2 * net->peer_cap;
        char(*v)[48] = realloc(net->peer_ip, (size_t)cap * sizeof(*v));
        if (!v)
            return; /* no memory: this client's budget is its balancer's */
        memset(v + net->peer_cap, 0xFF, (size_t)(cap - net->peer_cap) * sizeof(*v));
        net->peer_ip = v;
        net->peer_cap = cap;
    }
    size_t n = strnlen(ip, sizeof(net->peer_ip[0]) - 1);
    memcpy(net->peer_ip[fd], ip, n);
    net->peer_ip[fd][n] = '\0';
}

const char *gx_net_peer(const gx_net *net, int fd)
{
    if (fd < 0 || fd >= net->peer_cap || net->peer_ip[fd][0] == (char)0xFF)
        return NULL;
    return net->peer_ip[fd];
}
