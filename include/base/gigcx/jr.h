/* Reading client frames: the common shape without jansson's lexer.
 *
 * Nearly every frame a client sends at volume (chat.send, task.claim, chat.typing) is one
 * flat object of short ASCII strings. jansson reads a frame a character at a time through
 * its stream layer, about 20k instructions for a chat.send, half of gigcxd's user-space work
 * per chat message. gx_jr_flat reads exactly that shape and nothing else: one object whose
 * keys and values are strings of printable ASCII without escapes, no key twice. For any
 * other input it returns NULL and the caller hands the frame to json_loadb, which then
 * decides (and words the error). Its result equals json_loadb's with JSON_REJECT_DUPLICATES
 * whenever it returns one (unit_jr checks that on random frames). */
#ifndef GIGCX_JR_H
#define GIGCX_JR_H

#include <stddef.h>
#include <jansson.h>

json_t *gx_jr_flat(const char *p, size_t len);

#endif
