/* RESP, the Redis wire format, of one command, written by hand. hiredis formats each
 * argument through a general printf-like routine: about 1,000 instructions an argument,
 * 10,000 for one chat message's append script (callgrind). The bytes are the same. */
#ifndef GIGCX_RESP_H
#define GIGCX_RESP_H

#include <stddef.h>
#include <stdint.h>

/* Decimal digits of v into out (at least 20 bytes, no NUL); returns how many. */
size_t gx_resp_u64_dec(char *out, uint64_t v);

/* One argument ("$len\r\n" arg "\r\n"): its size, and writing it (returns the size). */
size_t gx_resp_bulk_size(size_t len);
size_t gx_resp_bulk(char *out, const char *arg, size_t len);

/* Bytes the command takes; lens NULL means every argument is NUL-terminated. */
size_t gx_resp_size(int argc, const char *const *argv, const size_t *lens);
/* Writes the command into out (gx_resp_size bytes); returns the bytes written. */
size_t gx_resp_write(char *out, int argc, const char *const *argv, const size_t *lens);

#endif
