/* Fuzzes the PII masker through its public API only (gigcx/pii.h): any bytes mask without
 * a fault, an unchanged text comes back as it was, and a first name shown to tier 1 never
 * holds an '@' or four ASCII digits (what gx_pii_first_name promises; its placeholders may
 * make it longer than the name). Kept small on purpose: pii.c's rules change, its contract
 * does not. */
#include <stdlib.h>
#include <string.h>
#include "gigcx/pii.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const char *text = (const char *)data;
    bool changed = true;
    char *m = gx_pii_mask(text, size, &changed);
    CHECK(m);
    if (!changed)
        CHECK(memcmp(m, text, size) == 0 && m[size] == '\0');
    /* masked text is masked again as chat history is; changed may be NULL */
    char *again = gx_pii_mask(m, strlen(m), NULL);
    CHECK(again);
    free(again);
    free(m);

    char *name = malloc(size + 1);
    CHECK(name);
    memcpy(name, data, size);
    name[size] = '\0';
    char *first = gx_pii_first_name(name);
    CHECK(first && !strchr(first, '@'));
    int digits = 0;
    for (const char *c = first; *c; c++)
        digits += *c >= '0' && *c <= '9';
    CHECK(digits < 4);
    free(first);
    free(name);
    return 0;
}
