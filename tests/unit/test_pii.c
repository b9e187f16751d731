/* Masking for tier-1 experts: a table of text that must be masked (one row per finding of
 * the security review, and the older cases), text that must be left alone (dates, prices,
 * order and tracking numbers), names, the preview cut, and a few hundred generated cards,
 * e-mails, phones and IBANs in random formats, scripts and text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "gigcx/pii.h"

/* ---- the table ---- */

enum { TEXT, MESSAGE }; /* gx_pii_mask, or gx_pii_mask_message (chat edges) */

typedef struct {
    int mode;
    const char *in;
    const char *want;     /* the exact output, or NULL */
    const char *never[4]; /* substrings the output must not contain */
} row;

static const row rows[] = {
    /* e-mails */
    {TEXT, "write to ann.lee@example.com please", "write to [email] please", {0}},
    {TEXT, "ann+shop@mail.co.uk.", "[email].", {0}},
    {TEXT, "<a_b-c%d@sub-domain.example.org>", "<[email]>", {0}},
    {TEXT, "two: a@b.io, c@d.de", "two: [email], [email]", {0}},
    {TEXT, "mail ann @ example.com now", "mail [email] now", {0}},
    {TEXT, "mail ann@ example.com", "mail [email]", {0}},
    {TEXT, "ann [at] example [dot] com", "[email]", {0}},
    {TEXT, "ann.lee[at]example[dot]co[dot]uk!", "[email]!", {0}},
    {TEXT, "ann (at) example (dot) com", "[email]", {0}},
    {TEXT, "ann at example dot com", "[email]", {0}},
    {TEXT, "write ann.lee at example.com", "write [email]", {0}},
    {TEXT, "ann at gmail.com", "[email]", {0}},
    {TEXT, "ann＠example．com", "[email]", {0}},
    {TEXT, "ann＠example.com", "[email]", {0}},
    {TEXT, "mail: josé@bücher.de", "mail: [email]", {0}},
    {TEXT, "用户@例子。广告 ok", "[email] ok", {0}},
    {TEXT, "ann@xn--bcher-kva.de", "[email]", {0}},
    /* phones */
    {TEXT, "call +44 20 7946 0958 today", "call [phone] today", {0}},
    {TEXT, "+49 (0)30 901820", "[phone]", {0}},
    {TEXT, "+1-202-555-0143", "[phone]", {0}},
    {TEXT, "+33612345678", "[phone]", {0}},
    {TEXT, "0049 30 901820", "[phone]", {0}},
    {TEXT, "030 1234567", "[phone]", {0}},
    {TEXT, "0171-1234567", "[phone]", {0}},
    {TEXT, "07700 900123", "[phone]", {0}},
    {TEXT, "(555) 123-4567", "[phone]", {0}},
    {TEXT, "555-123-4567", "[phone]", {0}},
    {TEXT, "555 123 4567.", "[phone].", {0}},
    {TEXT, "tel:+441234567890", "tel:[phone]", {0}},
    {TEXT, "call 555.123.4567", "call [phone]", {0}},
    {TEXT, "+44.20.7946.0958", "[phone]", {0}},
    {TEXT, "06.12.34.56.78", "[phone]", {0}},
    {TEXT, "call 5551234567 now", "call [phone] now", {0}},
    {TEXT, "call 0123456789", "call [phone]", {0}},
    {TEXT, "call 15551234567", "call [phone]", {0}},
    {TEXT, "call ５５５-１２３-４５６７", "call [phone]", {0}},
    /* cards */
    {TEXT, "card 4111 1111 1111 1111 thanks", "card [card] thanks", {0}},
    {TEXT, "4111-1111-1111-1111", "[card]", {0}},
    {TEXT, "4111111111111111", "[card]", {0}},
    {TEXT, "amex 378282246310005", "amex [card]", {0}},
    {TEXT, "5555 5555 5555 4444", "[card]", {0}},
    {TEXT, "4111.1111.1111.1111", "[card]", {0}},
    {TEXT, "4111/1111/1111/1111", "[card]", {0}},
    {TEXT, "card 4111  1111  1111  1111.", "card [card].", {0}},
    {TEXT, "4111_1111_1111_1111", "[card]", {0}},
    {TEXT, "4111 - 1111 - 1111 - 1111", "[card]", {0}},
    {TEXT, "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "[card]", {0}},
    {TEXT, "４１１１ １１１１ １１１１ １１１１", "[card]", {0}},
    {TEXT, "card ٤١١١ ١١١١ ١١١١ ١١١١", "card [card]", {0}},
    {TEXT, "۴۱۱۱-۱۱۱۱-۱۱۱۱-۱۱۱۱", "[card]", {0}},
    {TEXT, "४१११ ११११ ११११ ११११", "[card]", {0}},
    {TEXT, "4111\u200B1111\u200B1111\u200B1111", "[card]", {0}}, /* ZWSP */
    {TEXT, "4111 1111 1111 1111 12/27", NULL, {"4111", "1111"}},
    {TEXT, "4111 1111 1111 1112", "4111 1111 1111 1112", {0}}, /* not Luhn-valid */
    {TEXT, "1234567890123", "1234567890123", {0}},             /* not Luhn-valid either */
    /* IBANs */
    {TEXT, "IBAN DE89 3704 0044 0532 0130 00 ok", "IBAN [iban] ok", {0}},
    {TEXT, "GB82WEST12345698765432", "[iban]", {0}},
    {TEXT, "NL91ABNA0417164300.", "[iban].", {0}},
    {TEXT, "iban de89 3704 0044 0532 0130 00", "iban [iban]", {0}},
    {TEXT, "gb82west12345698765432", "[iban]", {0}},
    {TEXT, "ＤＥ８９３７０４００４４０５３２０１３０００", "[iban]", {0}},
    {TEXT, "GB82 WEST 1234 5698 7654 33", "GB82 WEST 1234 5698 7654 33", {0}}, /* bad check */
    {TEXT, "DE89 3704 0044 0532 0130 02", NULL, {"0532 0130"}}, /* bad check: a phone */
    {MESSAGE, "card 4111 1111 0171 1234567", NULL, {"4111", "1234"}},
    /* mixed */
    {TEXT, "", "", {0}},
    {TEXT,
     "mail ann@example.com or call +44 20 7946 0958, card 4111111111111111",
     "mail [email] or call [phone], card [card]",
     {0}},
    {TEXT, "dear Ann, mail ann@example.com — thanks", "dear Ann, mail [email] — thanks", {0}},
    /* a number split across chat messages: each side masked as a possible part */
    {MESSAGE, "my card is 4111 1111", "my card is [number]", {0}},
    {MESSAGE, "1111 1111", "[number]", {0}},
    {MESSAGE, "1111 1111 is the rest", "[number] is the rest", {0}},
    {MESSAGE, "4111", "[number]", {0}},
    {MESSAGE, "4111 1111 1111", "[number]", {0}},
    {MESSAGE, "the start: ４１１１ １１１１.", "the start: [number].", {0}},
    {MESSAGE, "phone +44 20", "phone [number]", {0}},
    {MESSAGE, "IBAN DE89 3704 0044", "IBAN DE89 [number]", {0}},
    {MESSAGE, "2019", "[number]", {0}},
    {MESSAGE, "card 4111 1111 1111 1111", "card [card]", {0}},
    {MESSAGE, "order 12345", "order [number]", {0}}, /* the price of the rule */
    {MESSAGE, "ref 20241123-0042", "ref [number]", {0}},
    /* ...but what is clearly whole stays */
    {MESSAGE, "2 items at 19.99", "2 items at 19.99", {0}},
    {MESSAGE, "it cost 1,299.99", "it cost 1,299.99", {0}},
    {MESSAGE, "since 2019", "since 2019", {0}},
    {MESSAGE, "2019 was better", "2019 was better", {0}},
    {MESSAGE, "see you on 2024-11-23", "see you on 2024-11-23", {0}},
    {MESSAGE, "on 23.11.2024", "on 23.11.2024", {0}},
    {MESSAGE, "at 14:30", "at 14:30", {0}},
    {MESSAGE, "order #12345", "order #12345", {0}},
    {MESSAGE, "room 101", "room 101", {0}},
    {MESSAGE, "order 12345 arrived", "order 12345 arrived", {0}},
};

/* Text that stays as written, in both modes. */
static const char *const keep[] = {
    "delivered on 2024-11-23 at 14:30",
    "on 23.11.2024, or 11/23/2024",
    "it cost 1,299.99 EUR, was 19.99",
    "order 12345678 and order #987654321",
    "order 12345 arrived",
    "2 items at 19.99 each",
    "order A123456789",
    "tracking 1Z999AA10123456784",
    "3 items, 250 g, 12 kg, 2x 500ml",
    "ref 20241123-0042 ok",
    "room 101, floor 3",
    "year 1999 and 2000 too",
    "version 1.2.3",
    "PIN 1234 please",
    "on 01.02.2024 10:00 sharp",
    "timestamp 1700000000 logged",
    "ip 192.168.100.200 ok",
    "twitter @annlee and a@b",
    "user@localhost",
    "x@y.1",
    "look at google.com",
    "I paid 5 at amazon.com",
    "meet me at noon. Then lunch",
    "order 4111 1111 1111 1112 ok",
    "¡Hola! Größe 42, 3 Stück für 19,99 €",
};

static void check(int mode, const char *in, const char *want, const char *const *never,
                  size_t nnever)
{
    bool changed;
    char *got = mode == MESSAGE ? gx_pii_mask_message(in, strlen(in), &changed)
                                : gx_pii_mask(in, strlen(in), &changed);
    assert_non_null(got);
    if (want && strcmp(got, want) != 0)
        fail_msg("mask(\"%s\")\n  got  \"%s\"\n  want \"%s\"", in, got, want);
    for (size_t k = 0; k < nnever && never[k]; k++)
        if (strstr(got, never[k]))
            fail_msg("mask(\"%s\") = \"%s\" still holds \"%s\"", in, got, never[k]);
    assert_int_equal(changed, strcmp(in, got) != 0);
    free(got);
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        check(rows[i].mode, rows[i].in, rows[i].want, rows[i].never, 4);
}

static void test_left_alone(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        check(TEXT, keep[i], keep[i], NULL, 0);
        check(MESSAGE, keep[i], keep[i], NULL, 0);
    }
}

/* No cap on the number of spans: the 65th (and 500th) e-mail is masked like the first. */
static void test_no_span_limit(void **state)
{
    (void)state;
    size_t cap = 500 * 40;
    char *in = malloc(cap), *p = in;
    for (int i = 0; i < 500; i++)
        p += sprintf(p, "u%d@example.com 4111111111111111 ", i);
    char *got = gx_pii_mask(in, strlen(in), NULL);
    assert_null(strchr(got, '@'));
    assert_null(strstr(got, "4111"));
    free(got);
    free(in);
}

/* ---- names ---- */

static void test_first_name(void **state)
{
    (void)state;
    static const char *const names[][2] = {
        {"Ann Lee", "Ann"},
        {"  Björn  Borg", "Björn"},
        {"", ""},
        {"Ann\xE3\x80\x80Lee", "Ann"}, /* ideographic space */
        {"ann.lee@example.com", "[email]"},
        {"ann.lee@example.com Lee", "[email]"},
        {"ann @ example.com", "[email]"},
        {"ann[at]example[dot]com", "[email]"},
        {"ann＠example．com", "[email]"},
        {"+44 20 7946 0958", "[phone]"},
        {"5551234567", "[phone]"},
        {"555.123.4567", "[phone]"},
        {"ann@localhost", "[name]"},
        {"Ann1234 Lee", "[name]"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *got = gx_pii_first_name(names[i][0]);
        if (strcmp(got, names[i][1]) != 0)
            fail_msg("first_name(\"%s\") = \"%s\", want \"%s\"", names[i][0], got, names[i][1]);
        free(got);
    }
    char *d = gx_pii_first_name(NULL);
    assert_string_equal(d, "");
    free(d);
}

/* ---- the preview cut ---- */

/* The preview of text cut at max characters, then masked as a tier-1 expert gets it. */
static char *preview(const char *text, size_t max)
{
    char out[4 * 300 + 8];
    gx_pii_prefix(text, max, out, sizeof(out));
    assert_true(strlen(out) <= strlen(text) && strncmp(out, text, strlen(out)) == 0);
    return gx_pii_mask_message(out, strlen(out), NULL);
}

static void test_preview_cut(void **state)
{
    (void)state;
    static const char *const secrets[] = {"ann.lee@example.com", "4111 1111 1111 1111",
                                          "+44 20 7946 0958", "DE89 3704 0044 0532 0130 00"};
    char text[600];
    for (size_t k = 0; k < 4; k++)
        for (size_t pad = 250; pad < 280; pad++) { /* the secret across the cut at 280 */
            memset(text, 'x', pad);
            text[pad - 1] = ' ';
            snprintf(text + pad, sizeof(text) - pad, "%s and more", secrets[k]);
            char *got = preview(text, 280);
            for (const char *p = got; *p; p++) /* no digits, no piece of the address */
                if ((*p >= '0' && *p <= '9') || *p == '@' || strstr(p, "ann.") == p)
                    fail_msg("preview of \"...%s\" cut at 280 shows \"%s\"", secrets[k],
                             got + (pad > 20 ? pad - 20 : 0));
            free(got);
        }
    char out[32]; /* short text: unchanged; multi-byte: never cut mid-character */
    gx_pii_prefix("short", 280, out, sizeof(out));
    assert_string_equal(out, "short");
    gx_pii_prefix("ÅÅÅ", 2, out, sizeof(out));
    assert_string_equal(out, "ÅÅ");
}

/* ---- generated cases ---- */

static uint64_t rng = 0x9E3779B97F4A7C15u;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const words[] = {"hello", "the",   "order", "arrived", "please", "refund",
                                    "my",    "is",    "card",  "thanks",  "call",   "mail",
                                    "Größe", "grüße", "日本",  "ok,",     "(see",   "it)"};

static void put_words(char **p, int n)
{
    for (int i = 0; i < n; i++)
        *p += sprintf(*p, "%s ", words[rnd(sizeof(words) / sizeof(words[0]))]);
}

/* Digit d in one of the scripts the masker folds. */
static void put_digit(char **p, int d, int script)
{
    static const unsigned zero[] = {'0', 0xFF10, 0x0660, 0x06F0, 0x0966};
    unsigned cp = zero[script] + (unsigned)d;
    if (cp < 0x80) {
        *(*p)++ = (char)cp;
    } else if (cp < 0x800) {
        *(*p)++ = (char)(0xC0 | cp >> 6);
        *(*p)++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *(*p)++ = (char)(0xE0 | cp >> 12);
        *(*p)++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *(*p)++ = (char)(0x80 | (cp & 0x3F));
    }
}

/* n digits starting with pre, the last one the Luhn check digit. */
static void luhn_number(char *d, const char *pre, size_t n)
{
    strcpy(d, pre);
    for (size_t i = strlen(pre); i < n - 1; i++)
        d[i] = (char)('0' + rnd(10));
    int sum = 0;
    for (size_t i = 0; i < n - 1; i++) {
        int v = d[n - 2 - i] - '0';
        if (i % 2 == 0 && (v *= 2) > 9)
            v -= 9;
        sum += v;
    }
    d[n - 1] = (char)('0' + (10 - sum % 10) % 10);
    d[n] = '\0';
}

static void make_card(char *d, size_t *n)
{
    static const char *const iin[] = {"4", "51", "55", "2221", "34", "37", "6011", "65"};
    const char *pre = iin[rnd(8)];
    *n = pre[0] == '3' ? 15 : rnd(4) == 0 ? 19 : 16;
    luhn_number(d, pre, *n);
}

/* A card in a random grouping, separator and digit script. */
static void put_card(char **p)
{
    static const char *const seps[] = {" ", "-", ".", "/", "_", "  ", " - ", ""};
    char d[24];
    size_t n;
    make_card(d, &n);
    const char *sep = seps[rnd(8)];
    int script = (int)rnd(5), amex[] = {4, 6, 5};
    for (size_t i = 0, g = 0, in_g = 0; i < n; i++) {
        size_t size = n == 15 ? (size_t)amex[g < 3 ? g : 2] : 4;
        if (in_g == size) {
            *p += sprintf(*p, "%s", sep);
            g++;
            in_g = 0;
        }
        put_digit(p, d[i] - '0', script);
        in_g++;
    }
}

static void put_phone(char **p)
{
    static const char *const shapes[] = {"+44 20 #### ####", "(###) ###-####", "###.###.####",
                                         "###-###-####",     "##########",     "0171 #######",
                                         "+1.###.###.####",  "0## ### ####",   "+33#########"};
    const char *s = shapes[rnd(9)];
    int script = (int)rnd(5);
    bool first = true; /* a leading 0 or 1 would not be a (North American) phone */
    for (; *s; s++)
        if (*s == '#') {
            put_digit(p, (int)(first ? 2 + rnd(8) : rnd(10)), script);
            first = false;
        } else {
            *(*p)++ = *s;
        }
}

static void put_iban(char **p)
{
    static const struct {
        const char *cc;
        int len;
    } c[] = {{"DE", 22}, {"GB", 22}, {"NL", 18}, {"FR", 27}, {"ES", 24}, {"BE", 16}, {"CH", 21}};
    int k = (int)rnd(7);
    char bban[32], num[100] = "";
    int n = c[k].len - 4;
    for (int i = 0; i < n; i++)
        bban[i] = (char)('0' + rnd(10));
    bban[n] = '\0';
    snprintf(num, sizeof(num), "%s%d%d00", bban, c[k].cc[0] - 'A' + 10, c[k].cc[1] - 'A' + 10);
    unsigned rem = 0;
    for (char *q = num; *q; q++)
        rem = (rem * 10 + (unsigned)(*q - '0')) % 97;
    char iban[48];
    snprintf(iban, sizeof(iban), "%s%02u%s", c[k].cc, 98 - rem, bban);
    bool lower = rnd(2), spaced = rnd(2);
    for (int i = 0; iban[i]; i++) {
        if (spaced && i && i % 4 == 0)
            *(*p)++ = ' ';
        *(*p)++ = lower && iban[i] >= 'A' && iban[i] <= 'Z' ? (char)(iban[i] + 32) : iban[i];
    }
}

static void put_email(char **p)
{
    static const char *const at[] = {"@", " @ ", " [at] ", "(at)", "＠"};
    static const char *const dot[] = {".", " [dot] ", "(dot)", "．", "."};
    static const char *const tld[] = {"com", "de", "co.uk", "рф"};
    int f = (int)rnd(5);
    *p += sprintf(*p, "zq%ux%s%s%s", rnd(100000), at[f], rnd(2) ? "exämple" : "mailhost", dot[f]);
    *p += sprintf(*p, "%s", tld[rnd(4)]);
}

/* True when the UTF-8 text holds a digit of any script the generator writes. */
static bool has_digit(const char *s)
{
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        if (*u >= '0' && *u <= '9')
            return true;
        if ((u[0] == 0xEF && u[1] == 0xBC && u[2] >= 0x90 && u[2] <= 0x99) || /* ０-９ */
            (u[0] == 0xD9 && u[1] >= 0xA0 && u[1] <= 0xA9) ||                 /* ٠-٩ */
            (u[0] == 0xDB && u[1] >= 0xB0 && u[1] <= 0xB9) ||                 /* ۰-۹ */
            (u[0] == 0xE0 && u[1] == 0xA5 && u[2] >= 0xA6 && u[2] <= 0xAF))   /* ०-९ */
            return true;
    }
    return false;
}

/* Digits (of any script the generator writes) in the UTF-8 text. */
static size_t count_digits(const char *s)
{
    size_t n = 0;
    while (*s) {
        unsigned char b = (unsigned char)*s;
        size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        char one[5] = {0};
        memcpy(one, s, len);
        n += has_digit(one);
        s += len;
    }
    return n;
}

/* 400 texts of digit-free words with 1-3 cards, phones, IBANs or e-mails in them: no digit
 * and no part of an address may survive, in either mode. */
static void test_generated(void **state)
{
    (void)state;
    for (int t = 0; t < 400; t++) {
        char in[2048], *p = in;
        int items = 1 + (int)rnd(3);
        put_words(&p, (int)rnd(4));
        for (int i = 0; i < items; i++) {
            switch (rnd(4)) {
            case 0:
                put_card(&p);
                break;
            case 1:
                put_phone(&p);
                break;
            case 2:
                put_iban(&p);
                break;
            default:
                put_email(&p);
                break;
            }
            *p++ = ' ';
            put_words(&p, (int)rnd(4));
        }
        *p = '\0';
        for (int mode = TEXT; mode <= MESSAGE; mode++) {
            char *got = mode == MESSAGE ? gx_pii_mask_message(in, strlen(in), NULL)
                                        : gx_pii_mask(in, strlen(in), NULL);
            if (has_digit(got) || strstr(got, "zq") || strchr(got, '@') || strstr(got, "＠"))
                fail_msg("case %d mode %d:\n  in  \"%s\"\n  got \"%s\"", t, mode, in, got);
            free(got);
        }
    }
}

/* 200 cards split at a random digit into two chat messages: each side shows at most 5
 * digits (a side that reads as a price, "411.11"), both together at most 8. */
static void test_generated_split(void **state)
{
    (void)state;
    for (int t = 0; t < 200; t++) {
        char card[256], *p = card;
        put_card(&p);
        *p = '\0';
        size_t cut = 1 + rnd((unsigned)(p - card - 1));
        while (((unsigned char)card[cut] & 0xC0) == 0x80)
            cut++; /* not inside a character */
        char a[512], b[512];
        snprintf(a, sizeof(a), "%s%.*s", rnd(2) ? "my card is " : "", (int)cut, card);
        snprintf(b, sizeof(b), "%s%s", card + cut, rnd(2) ? " thanks" : "");
        char *ma = gx_pii_mask_message(a, strlen(a), NULL);
        char *mb = gx_pii_mask_message(b, strlen(b), NULL);
        size_t da = count_digits(ma), db = count_digits(mb);
        if (da > 5 || db > 5 || da + db > 8)
            fail_msg("split card \"%s\" | \"%s\" shows \"%s\" | \"%s\"", a, b, ma, mb);
        free(ma);
        free(mb);
    }
}

/* 300 ordinary texts with order numbers (not Luhn-valid), dates, prices, times, short
 * numbers: nothing is masked in the middle of a text. */
static void test_generated_negative(void **state)
{
    (void)state;
    for (int t = 0; t < 300; t++) {
        char in[512], *p = in;
        p += sprintf(p, "hello ");
        switch (rnd(6)) {
        case 0: { /* an order number of 5-8 or 12-19 digits, not Luhn-valid */
            size_t n = rnd(2) ? 5 + rnd(4) : 12 + rnd(8);
            char d[24], pre[2] = {(char)('1' + rnd(9)), 0};
            luhn_number(d, pre, n); /* Luhn-valid with its check digit: one off is not */
            d[n - 1] = (char)('0' + (d[n - 1] - '0' + 1) % 10);
            p += sprintf(p, "order %s", d);
            break;
        }
        case 1:
            p += sprintf(p, "on %04u-%02u-%02u at %02u:%02u", 1990 + rnd(40), 1 + rnd(12),
                         1 + rnd(28), rnd(24), rnd(60));
            break;
        case 2:
            p += sprintf(p, "on %02u.%02u.%04u %02u:%02u", 1 + rnd(28), 1 + rnd(12), 1990 + rnd(40),
                         rnd(24), rnd(60));
            break;
        case 3:
            p += sprintf(p, "%u items at %u.%02u EUR", 1 + rnd(9), rnd(2000), rnd(100));
            break;
        case 4:
            p += sprintf(p, "room %u, floor %u, %u kg", rnd(1000), rnd(40), rnd(100));
            break;
        default:
            p += sprintf(p, "since %u, %u/%u", 1950 + rnd(75), 1 + rnd(12), 1 + rnd(28));
            break;
        }
        sprintf(p, " thanks");
        char *got = gx_pii_mask_message(in, strlen(in), NULL);
        if (strcmp(got, in) != 0)
            fail_msg("ordinary text masked:\n  in  \"%s\"\n  got \"%s\"", in, got);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),           cmocka_unit_test(test_left_alone),
        cmocka_unit_test(test_no_span_limit),   cmocka_unit_test(test_first_name),
        cmocka_unit_test(test_preview_cut),     cmocka_unit_test(test_generated),
        cmocka_unit_test(test_generated_split), cmocka_unit_test(test_generated_negative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
