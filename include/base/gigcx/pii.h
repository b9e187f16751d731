/* Personal data masking for tier-1 experts: e-mail addresses (also spaced, [at]/[dot] and
 * IDN forms), phone numbers, card numbers (Luhn-valid runs of 13-19 digits with any common
 * separators) and IBANs (mod-97 valid, any case) are replaced by a label; a customer's name
 * is cut to the first name, or masked whole when it is an address or number. Text is folded
 * first (full-width forms, other digit scripts) but the original bytes are what is replaced,
 * so the output stays valid UTF-8. Dates, prices, order and tracking numbers are left alone.
 * Pure: no I/O, no limit on the number of masked spans. */
#ifndef GIGCX_PII_H
#define GIGCX_PII_H

#include <stdbool.h>
#include <stddef.h>

/* The masked copy of text (len bytes), NUL-terminated and malloc'd; *changed says whether
 * anything was masked (may be NULL). NULL only when out of memory. */
char *gx_pii_mask(const char *text, size_t len, bool *changed);

/* As gx_pii_mask, for one chat message (or any text that another can continue): a number
 * may be split across messages ("my card is 4111 1111", then "1111 1111 1111"), so a run of
 * at least 4 digits (with separators) at the very start or end of the text is masked too,
 * as "[number]", unless it is clearly whole: a year, a price or a date. */
char *gx_pii_mask_message(const char *text, size_t len, bool *changed);

/* Copies into out (cap bytes, NUL-terminated) the first max_chars code points of s, cut
 * earlier when the cut would split an e-mail, phone, card or IBAN of the whole text: what
 * is later masked in the copy is then never half a token. Never cuts a character. */
void gx_pii_prefix(const char *s, size_t max_chars, char *out, size_t cap);

/* The first name of a full name (malloc'd): "Ann Lee" -> "Ann"; a name that is (or starts
 * with) an e-mail or phone comes back as its mask ("[email]", "[phone]"), one that still
 * holds an '@' or 4+ digits as "[name]". NULL when out of memory. */
char *gx_pii_first_name(const char *name);

#endif
