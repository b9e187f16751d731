/* Personal data masking for tier-1 experts: e-mail addresses, phone numbers in common
 * international formats, card numbers (Luhn-valid runs of 13-19 digits, spaces or dashes
 * allowed) and IBANs (mod-97 valid) are replaced by a label; a customer's name is cut to
 * the first name. Dates, prices, order and tracking numbers are left alone. Pure: no I/O. */
#ifndef GIGCX_PII_H
#define GIGCX_PII_H

#include <stdbool.h>
#include <stddef.h>

/* The masked copy of text (len bytes), NUL-terminated and malloc'd; *changed says whether
 * anything was masked (may be NULL). NULL only when out of memory. */
char *gx_pii_mask(const char *text, size_t len, bool *changed);

/* The first name of a full name (malloc'd): "Ann Lee" -> "Ann". NULL when out of memory. */
char *gx_pii_first_name(const char *name);

#endif
