/* Personal data masking (see pii.h). The text is first folded to one byte per code point
 * (full-width forms and other digit scripts to ASCII, Unicode spaces and dashes to ' ' and
 * '-', any other letter to one placeholder byte), so every detector is plain ASCII logic;
 * the spans found (e-mails, IBANs, cards and phones, then message edges) map back to whole
 * code points of the original, which are replaced by a label. */
#include "gigcx/pii.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LETTER 0x80   /* folded: a letter outside ASCII (IDN addresses are made of these) */
#define SYMBOL 0x81   /* folded: other characters outside ASCII, and stray bytes */
#define DROP (-2)     /* folded to nothing: zero-width characters hide inside numbers */
#define GROUPS_MAX 48 /* digit groups read per run; longer runs are read in overlapping parts */
#define CARD_MIN 13
#define CARD_MAX 19
#define EDGE_DIGITS 4 /* message edges: runs of this many digits may be half a number */

typedef struct {
    size_t from, to; /* [from, to) in folded characters */
    const char *label;
} span;

typedef struct {
    const char *src; /* the original, len bytes */
    size_t len;
    const unsigned char *f; /* folded, n characters */
    size_t n;
    size_t *o;          /* o[i]: where folded character i starts in src; NULL when f is src */
    unsigned char *own; /* the folded copy, when f is not src */
    span *v;
    size_t count, cap;
    unsigned char *mark; /* 1 for folded characters inside a span; NULL until the first */
    bool oom;
} scan;

/* ---- character classes of the folded text ---- */

static bool is_digit(unsigned c)
{
    return c - '0' < 10u;
}

static bool is_alpha(unsigned c)
{
    return (c | 0x20u) - 'a' < 26u || c == LETTER;
}

static bool is_alnum(unsigned c)
{
    return is_digit(c) || is_alpha(c);
}

static unsigned char at(const scan *sc, size_t i)
{
    return i < sc->n ? sc->f[i] : 0;
}

static bool taken(const scan *sc, size_t i)
{
    return sc->mark && sc->mark[i];
}

/* Case-insensitive: does the lowercase ASCII word w start at folded position i? */
static bool word_at(const scan *sc, size_t i, const char *w)
{
    for (; *w; w++, i++)
        if ((at(sc, i) | 0x20) != (unsigned char)*w)
            return false;
    return true;
}

/* ---- folding ---- */

/* Zero of each decimal digit script beyond ASCII (Unicode Nd blocks of ten). */
static const uint32_t digit_zeros[] = {
    0x0660, 0x06F0, 0x07C0, 0x0966,  0x09E6,  0x0A66,  0x0AE6,  0x0B66,  0x0BE6,  0x0C66,  0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0,  0x0F20,  0x1040,  0x1090,  0x17E0,  0x1810,  0x1946,  0x19D0,
    0x1A80, 0x1A90, 0x1B50, 0x1BB0,  0x1C40,  0x1C50,  0xA620,  0xA8D0,  0xA900,  0xA9D0,  0xA9F0,
    0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E950, 0x1FBF0,
};

static int fold_digit(uint32_t cp)
{
    for (size_t k = 0; k < sizeof(digit_zeros) / sizeof(digit_zeros[0]); k++)
        if (cp >= digit_zeros[k] && cp < digit_zeros[k] + 10)
            return '0' + (int)(cp - digit_zeros[k]);
    if (cp == 0xB9)
        return '1';
    if (cp == 0xB2 || cp == 0xB3)
        return '0' + (int)(cp - 0xB0);
    if (cp == 0x2070 || (cp >= 0x2074 && cp <= 0x2079))
        return '0' + (int)(cp - 0x2070);
    if (cp >= 0x2080 && cp <= 0x2089)
        return '0' + (int)(cp - 0x2080);
    if (cp >= 0x2460 && cp <= 0x2468) /* circled digits */
        return '1' + (int)(cp - 0x2460);
    if (cp >= 0x2776 && cp <= 0x277E)
        return '1' + (int)(cp - 0x2776);
    if (cp >= 0x2780 && cp <= 0x2788)
        return '1' + (int)(cp - 0x2780);
    if (cp >= 0x278A && cp <= 0x2792)
        return '1' + (int)(cp - 0x278A);
    return -1;
}

/* Spaces, dashes, dots and at-signs that mean the ASCII one; -1 for anything else. */
static int fold_punct(uint32_t cp)
{
    if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
        cp == 0x205F || cp == 0x3000)
        return ' ';
    if (cp == 0xAD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF ||
        cp == 0x180E)
        return DROP;
    if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFE58 || cp == 0xFE63)
        return '-';
    if (cp == 0x3002 || cp == 0xFF61 || cp == 0xFE52 || cp == 0x2024 || cp == 0x066B)
        return '.';
    if (cp == 0x066C || cp == 0x060C)
        return ',';
    if (cp == 0xFE6B)
        return '@';
    return -1;
}

/* Characters outside ASCII that are not letters: they end words, addresses and numbers. */
static bool symbol_cp(uint32_t cp)
{
    return (cp < 0xC0 && cp != 0xAA && cp != 0xB5 && cp != 0xBA) || cp == 0xD7 || cp == 0xF7 ||
           (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
           (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xFE30 && cp <= 0xFE6F) ||
           (cp >= 0xFF5F && cp <= 0xFF65) || cp >= 0xFFF0;
}

static int fold_cp(uint32_t cp)
{
    if (cp < 0x80)
        return cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' ? ' ' : (int)cp;
    if (cp >= 0xFF01 && cp <= 0xFF5E) /* full-width ASCII, ＠ and ． included */
        return (int)(cp - 0xFEE0);
    int c = fold_digit(cp);
    if (c < 0)
        c = fold_punct(cp);
    if (c == -1)
        c = symbol_cp(cp) ? SYMBOL : LETTER;
    return c;
}

/* One code point at s[i] (n bytes in all): its length, *cp = -1 for a stray byte. */
static size_t utf8_next(const unsigned char *s, size_t n, size_t i, long *cp)
{
    unsigned char b = s[i];
    size_t len = b < 0x80                 ? 1
                 : b >= 0xC2 && b <= 0xDF ? 2
                 : b >= 0xE0 && b <= 0xEF ? 3
                 : b >= 0xF0 && b <= 0xF4 ? 4
                                          : 0;
    if (len == 0 || i + len > n) {
        *cp = -1;
        return 1;
    }
    uint32_t v = len == 1 ? b : b & (0x7Fu >> len);
    for (size_t k = 1; k < len; k++) {
        if ((s[i + k] & 0xC0) != 0x80) {
            *cp = -1;
            return 1;
        }
        v = v << 6 | (s[i + k] & 0x3Fu);
    }
    *cp = (long)v;
    return len;
}

static bool plain_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return false;
    return true;
}

/* Builds the folded text; printable ASCII is its own folding and is not copied. */
static bool fold(scan *sc)
{
    if (plain_ascii(sc->src, sc->len)) {
        sc->f = (const unsigned char *)sc->src;
        sc->n = sc->len;
        return true;
    }
    sc->own = malloc(sc->len + 1);
    sc->o = malloc((sc->len + 1) * sizeof(size_t));
    if (!sc->own || !sc->o)
        return false;
    const unsigned char *s = (const unsigned char *)sc->src;
    size_t n = 0;
    for (size_t i = 0; i < sc->len;) {
        long cp;
        size_t k = utf8_next(s, sc->len, i, &cp);
        int c = cp < 0 ? SYMBOL : fold_cp((uint32_t)cp);
        if (c != DROP) {
            sc->o[n] = i;
            sc->own[n++] = (unsigned char)c;
        }
        i += k;
    }
    sc->o[n] = sc->len;
    sc->f = sc->own;
    sc->n = n;
    return true;
}

/* ---- spans ---- */

static void add(scan *sc, size_t from, size_t to, const char *label)
{
    if (sc->count == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 8;
        span *v = realloc(sc->v, cap * sizeof(span));
        if (!v) {
            sc->oom = true;
            return;
        }
        sc->v = v;
        sc->cap = cap;
    }
    if (!sc->mark && !(sc->mark = calloc(sc->n + 1, 1))) {
        sc->oom = true;
        return;
    }
    memset(sc->mark + from, 1, to - from);
    sc->v[sc->count++] = (span){from, to, label};
}

/* Where folded position i starts in the original. */
static size_t orig(const scan *sc, size_t i)
{
    return sc->o ? sc->o[i] : i;
}

/* ---- e-mail: local@domain.tld, '@' also as [at], (at), a spaced '@' or, when clearly an
 * address, the word at; '.' also as [dot], (dot) or the word dot ---- */

static bool is_local(unsigned c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static bool is_domain(unsigned c)
{
    return is_alnum(c) || c == '-';
}

static unsigned char closer(unsigned char c)
{
    return c == '[' ? ']' : c == '(' ? ')' : c == '{' ? '}' : c == '<' ? '>' : 0;
}

/* A bracketed word ("[at]", "(dot)") at i: its length, or 0. */
static size_t bracketed(const scan *sc, size_t i, const char *w)
{
    size_t k = strlen(w);
    unsigned char c = closer(at(sc, i));
    return c && word_at(sc, i + 1, w) && at(sc, i + 1 + k) == c ? k + 2 : 0;
}

/* The dot written at i (".", " dot ", "[dot]", " (dot) "...): its length, or 0. */
static size_t dot_fwd(const scan *sc, size_t i)
{
    if (at(sc, i) == '.')
        return 1;
    if (at(sc, i) == ' ' && word_at(sc, i + 1, "dot") && at(sc, i + 4) == ' ')
        return 5;
    size_t s = i + (at(sc, i) == ' '), b = bracketed(sc, s, "dot");
    if (!b)
        return 0;
    return s - i + b + (s > i && at(sc, s + b) == ' ');
}

/* The dot written just before end: its length, or 0. */
static size_t dot_back(const scan *sc, size_t end)
{
    if (end >= 5 && at(sc, end - 1) == ' ' && word_at(sc, end - 4, "dot") && at(sc, end - 5) == ' ')
        return 5;
    size_t e = end - (end && at(sc, end - 1) == ' ');
    if (e < 5 || !bracketed(sc, e - 5, "dot"))
        return 0;
    size_t s = e - 5;
    return end - s + (e < end && s && at(sc, s - 1) == ' ');
}

typedef struct {
    size_t from, to; /* the whole address */
    bool weak;       /* '@' written as the word "at": needs more proof */
    bool clear;      /* a written-out dot or an address-like local part: the proof */
    bool letter;     /* the local part has a letter ("5 at shop.com" is no address) */
} email;

/* The at-sign at i: '@', "[at]"-like, or the word at between spaces; sets [*cf, *ct). */
static bool at_sign(const scan *sc, size_t i, size_t *cf, size_t *ct, bool *weak)
{
    unsigned char c = at(sc, i);
    *weak = false;
    if (c == '@') {
        *cf = i;
        *ct = i + 1;
    } else if (bracketed(sc, i, "at")) {
        *cf = i;
        *ct = i + 4;
    } else if (c == ' ' && word_at(sc, i + 1, "at") && at(sc, i + 3) == ' ') {
        *cf = i; /* the spaces are part of the word */
        *ct = i + 4;
        *weak = true;
        return true;
    } else {
        return false;
    }
    for (int k = 0; k < 2 && *cf > 0 && at(sc, *cf - 1) == ' '; k++)
        (*cf)--;
    for (int k = 0; k < 2 && at(sc, *ct) == ' '; k++)
        (*ct)++;
    return true;
}

/* The local part ending at end: where it starts (end when there is none). */
static size_t local_start(const scan *sc, size_t end, email *e)
{
    size_t p = end;
    for (;;) {
        while (p > 0 && is_local(sc->f[p - 1]) && !taken(sc, p - 1))
            p--;
        size_t d = p ? dot_back(sc, p) : 0;
        if (!d || p == d || !is_alnum(sc->f[p - d - 1]) || taken(sc, p - d - 1))
            break;
        e->clear = true;
        p -= d;
    }
    while (p < end && (sc->f[p] == '.' || sc->f[p] == '-'))
        p++;
    bool letter = false, mark = false;
    for (size_t i = p; i < end; i++) {
        letter |= is_alpha(sc->f[i]);
        mark |= sc->f[i] == '.' || sc->f[i] == '_' || sc->f[i] == '+' || is_digit(sc->f[i]);
    }
    e->letter = letter;
    e->clear |= letter && mark; /* "ann.lee", "ann_1": not an ordinary word before "at" */
    return p;
}

/* Mail providers whose name after the word "at" makes it an address. */
static bool provider(const scan *sc, size_t i, size_t to)
{
    static const char *const names[] = {"gmail",    "googlemail", "yahoo", "hotmail",    "outlook",
                                        "icloud",   "gmx",        "aol",   "protonmail", "yandex",
                                        "t-online", "libero",     "qq",    "163",        "msn"};
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
        if (strlen(names[k]) == to - i && word_at(sc, i, names[k]))
            return true;
    return false;
}

/* The domain from i: labels joined by written dots, ending in an alphabetic (or IDN, or
 * xn--) top-level label. Its end, or i when there is no domain. */
static size_t domain_end(const scan *sc, size_t i, email *e)
{
    size_t p = i, end = i, tld = i, labels = 0, first_to = i;
    bool dotted_word = false;
    for (;;) {
        size_t q = p;
        while (q < sc->n && is_domain(sc->f[q]) && !taken(sc, q))
            q++;
        if (q == p || sc->f[p] == '-')
            break;
        if (labels++ == 0)
            first_to = q;
        tld = p;
        end = q;
        size_t d = dot_fwd(sc, q);
        if (!d || !is_alnum(at(sc, q + d)) || taken(sc, q + d))
            break;
        dotted_word |= d > 1;
        p = q + d;
    }
    bool alpha = end - tld >= 2;
    for (size_t k = tld; alpha && k < end; k++)
        alpha = is_alpha(sc->f[k]);
    if (labels < 2 || !(alpha || word_at(sc, tld, "xn--")))
        return i;
    if (dotted_word || provider(sc, i, first_to))
        e->clear = true;
    return end;
}

static bool email_at(const scan *sc, size_t i, email *e)
{
    size_t cf, ct;
    *e = (email){0};
    if (!at_sign(sc, i, &cf, &ct, &e->weak) || taken(sc, cf))
        return false;
    e->from = local_start(sc, cf, e);
    e->to = domain_end(sc, ct, e);
    if (e->from == cf || e->to == ct)
        return false;
    return !e->weak || (e->clear && e->letter);
}

static void find_emails(scan *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        unsigned char c = sc->f[i];
        if (c != '@' && ((c != ' ' && !closer(c)) || (at(sc, i + 1) | 0x20) != 'a'))
            continue; /* most characters: no at-sign can start here */
        email e;
        if (email_at(sc, i, &e)) {
            add(sc, e.from, e.to, "[email]");
            i = e.to - 1;
        }
    }
}

/* ---- IBAN: CCkk + the country's length of alphanumerics, any case, optionally in groups
 * of four ---- */

static const char iban_lengths[] =
    "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24DE22DJ27DK18DO28EE20"
    "EG29ES24FI18FK18FO18FR27GB22GE22GI23GL18GR27GT28HN28HR21HU28IE22IL23IQ23IS26IT27JO30"
    "KW30KZ20LB28LC32LI21LT20LU20LV21LY25MC27MD24ME22MK19MN20MR27MT31MU30NI28NL18NO15OM23"
    "PK24PL28PS29PT25QA29RO24RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25SV28TL23TN24TR26"
    "UA29VA22VG24XK20YE30";

static int upper(unsigned c)
{
    return (int)(c >= 'a' && c <= 'z' ? c - 32 : c);
}

/* The IBAN length of a country, 0 when unknown. */
static size_t iban_length(unsigned a, unsigned b)
{
    for (const char *p = iban_lengths; *p; p += 4)
        if (p[0] == upper(a) && p[1] == upper(b))
            return (size_t)((p[2] - '0') * 10 + p[3] - '0');
    return 0;
}

static bool iban_valid(const char *c, size_t n)
{
    unsigned rem = 0;
    for (size_t k = 0; k < n; k++) {
        int ch = upper((unsigned char)c[(k + 4) % n]); /* the first four move to the end */
        unsigned v = is_digit((unsigned)ch) ? (unsigned)(ch - '0') : (unsigned)(ch - 'A' + 10);
        rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
    }
    return rem == 1;
}

static bool ascii_alnum(unsigned c)
{
    return is_alnum(c) && c != LETTER;
}

/* The IBAN starting at i: its end, or i. Known countries must have their exact length;
 * an unknown (upper-case) code any length from 15 to 34, the longest valid one. */
static size_t iban_at(const scan *sc, size_t i)
{
    const unsigned char *s = sc->f;
    size_t want = iban_length(s[i], s[i + 1]);
    if (!want && !(s[i] >= 'A' && s[i] <= 'Z' && s[i + 1] >= 'A' && s[i + 1] <= 'Z'))
        return i;
    char c[40];
    size_t n = 0, p = i, best = i;
    while (p < sc->n && n < 34 && !taken(sc, p)) {
        if (ascii_alnum(s[p])) {
            c[n++] = (char)s[p++];
            bool done = want ? n == want : n >= 15;
            if (done && !ascii_alnum(at(sc, p)) && iban_valid(c, n))
                best = p;
            if (want && n == want)
                break;
            continue;
        }
        size_t q = p; /* a group of four ends: one or two spaces or dashes */
        while (q < p + 2 && (at(sc, q) == ' ' || at(sc, q) == '-'))
            q++;
        if (q == p || n % 4 || !ascii_alnum(at(sc, q)))
            break;
        p = q;
    }
    return best;
}

/* An IBAN starting at word start i: its end, or i. */
static size_t iban_start(const scan *sc, size_t i)
{
    const unsigned char *s = sc->f;
    if (i + 15 > sc->n || !is_digit(s[i + 2]) || !is_digit(s[i + 3]) || s[i] == LETTER ||
        !is_alpha(s[i + 1]) || s[i + 1] == LETTER || taken(sc, i))
        return i;
    return iban_at(sc, i);
}

/* ---- digit runs: cards and phones ---- */

static bool is_sep(unsigned c)
{
    return c == ' ' || c == '-' || c == '.' || c == '/' || c == '_' || c == '(' || c == ')';
}

/* Digit groups with up to three separator characters between them ("4111  1111",
 * "+49 (0)30", "4111.1111"). Runs longer than GROUPS_MAX groups are cut (trunc). Cards and
 * phones are looked for in windows of whole groups, as a run may join two numbers. */
typedef struct {
    size_t from, to; /* from the '+' or '(' if any to after the last digit */
    size_t gfrom[GROUPS_MAX], gto[GROUPS_MAX];
    unsigned char sep[GROUPS_MAX]; /* the first non-space separator before each group */
    bool paren[GROUPS_MAX];        /* a '(' before the group: an area code */
    int ng;
    bool plus, trunc;
} run;

static unsigned char sep_kind(const scan *sc, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++)
        if (sc->f[k] != ' ')
            return sc->f[k];
    return ' ';
}

static void read_run(const scan *sc, size_t i, run *r)
{
    r->from = i;
    r->ng = 0;
    r->plus = r->trunc = false;
    size_t p = i;
    if (at(sc, p) == '+') {
        r->plus = true;
        p++;
    }
    bool paren = at(sc, p) == '(';
    p += paren;
    unsigned char kind = 0;
    for (;;) {
        size_t g = p;
        while (p < sc->n && is_digit(sc->f[p]) && !taken(sc, p))
            p++;
        r->gfrom[r->ng] = g;
        r->gto[r->ng] = p;
        r->paren[r->ng] = paren;
        r->sep[r->ng++] = kind;
        r->to = p;
        size_t q = p;
        while (q < sc->n && q < p + 3 && is_sep(sc->f[q]))
            q++;
        if (q == p || !is_digit(at(sc, q)) || taken(sc, q))
            break;
        if (r->ng == GROUPS_MAX) {
            r->trunc = true;
            break;
        }
        paren = memchr(sc->f + p, '(', q - p) != NULL;
        kind = sep_kind(sc, p, q);
        p = q;
    }
}

static size_t gsize(const run *r, int g)
{
    return r->gto[g] - r->gfrom[g];
}

/* Luhn over the digits of groups g..h. */
static bool luhn(const scan *sc, const run *r, int g, int h)
{
    int sum = 0, k = 0;
    for (int x = h; x >= g; x--)
        for (size_t i = r->gto[x]; i > r->gfrom[x]; i--, k++) {
            int v = sc->f[i - 1] - '0';
            if (k % 2 && (v *= 2) > 9)
                v -= 9;
            sum += v;
        }
    return sum % 10 == 0;
}

static bool date_sep(unsigned char c)
{
    return c == '.' || c == '/' || c == '-';
}

/* d.m.yyyy, yyyy-mm-dd and the like in groups g..: three groups joined by '.', '/' or '-',
 * alone or before a spaced hour ("01.02.2024 10:00"); "06.12.34.56.78" is a phone. */
static bool date_like(const run *r, int g, int h)
{
    if (h - g < 2 || !date_sep(r->sep[g + 1]) || !date_sep(r->sep[g + 2]) ||
        (h > g + 2 && r->sep[g + 3] != ' '))
        return false;
    size_t a = gsize(r, g), b = gsize(r, g + 1), c = gsize(r, g + 2);
    return (a <= 2 && b <= 2 && (c == 4 || c == 2)) || (a == 4 && b <= 2 && c <= 2);
}

/* The k-th digit of groups g.. */
static char digit_n(const scan *sc, const run *r, int g, size_t k)
{
    for (; g < r->ng; g++) {
        if (k < gsize(r, g))
            return (char)sc->f[r->gfrom[g] + k];
        k -= gsize(r, g);
    }
    return 0;
}

/* International (+ or 00), national trunk 0 with 9-11 digits, an (area) code, 1 and ten
 * digits, or ten digits not starting with 0 or 1 (timestamps do) in groups of 3+. */
static bool phone_like(const scan *sc, const run *r, int g, int h, size_t nd)
{
    if (nd < 7 || nd > 15 || date_like(r, g, h))
        return false;
    char d0 = digit_n(sc, r, g, 0), d1 = digit_n(sc, r, g, 1);
    bool paren = false, grouped = true;
    for (int x = g; x <= h; x++) {
        paren |= r->paren[x];
        grouped &= gsize(r, x) >= 3;
    }
    if (g == 0 && r->plus)
        return nd >= 8;
    if (d0 == '0' && d1 == '0')
        return nd >= 10;
    if (paren)
        return nd >= 9;
    if (d0 == '0')
        return nd >= 9 && nd <= 11 && (h > g || nd >= 10);
    if (d0 == '1')
        return nd == 11 && d1 >= '2' && (h == g || gsize(r, g) == 1);
    return nd == 10 && grouped;
}

/* Luhn-valid, 13-19 digits; in part of a run only in groups of two or more digits, so that
 * lists of small numbers do not make cards. */
static bool card_like(const scan *sc, const run *r, int g, int h, size_t nd)
{
    if (nd < CARD_MIN || nd > CARD_MAX)
        return false;
    for (int x = g; x <= h && !(g == 0 && h == r->ng - 1); x++)
        if (gsize(r, x) < 2)
            return false;
    return luhn(sc, r, g, h);
}

static bool bounded(const scan *sc, size_t i)
{
    return !is_alnum(at(sc, i));
}

/* Can a phone start at group g of the run? At its start, where the separators change
 * ("765.143.4408 4111..."), at a '(', or at a national trunk 0 ("080 710 4151 0171 97317"):
 * not just anywhere in evenly spaced groups, as "DE89 3704 0044 0532 0130 02" would give
 * "0044...". */
static bool starts_number(const scan *sc, const run *r, int g, int h)
{
    const unsigned char *d = sc->f + r->gfrom[g];
    return g == 0 || r->paren[g] || h == g || r->sep[g] != r->sep[g + 1] ||
           (d[0] == '0' && d[1] != '0');
}

/* Where to go on after a cut run: windows starting there may reach past the cut. */
static size_t resume_at(const run *r)
{
    size_t sum = 0;
    int g = r->ng;
    while (g > 1 && sum + gsize(r, g - 1) < CARD_MAX)
        sum += gsize(r, --g);
    return g < r->ng ? r->gfrom[g] : r->to;
}

typedef struct {
    size_t cover[GROUPS_MAX + 1]; /* the most digits windows from group g on can cover */
    int end[GROUPS_MAX];          /* the last group of the window chosen at g, or -1 */
    bool card[GROUPS_MAX];
} plan;

/* The windows from group g: a card or a phone ending at h, whichever covers most. */
static void plan_at(const scan *sc, const run *r, int g, bool no_phone, plan *p)
{
    size_t nd = 0;
    p->cover[g] = p->cover[g + 1];
    p->end[g] = -1;
    for (int h = g; h < r->ng && (nd += gsize(r, h)) <= CARD_MAX; h++) {
        if (h == r->ng - 1 && (r->trunc || !bounded(sc, r->to)))
            break; /* glued to a word, or the run goes on */
        bool card = card_like(sc, r, g, h, nd);
        if (!card && (no_phone || !starts_number(sc, r, g, h) || !phone_like(sc, r, g, h, nd)))
            continue;
        if (nd + p->cover[h + 1] > p->cover[g]) {
            p->cover[g] = nd + p->cover[h + 1];
            p->end[g] = h;
            p->card[g] = card;
        }
    }
}

/* The cards and phones of a run: the windows of whole groups that together cover the most
 * digits, as a run may join a phone and a card ("+1.904.793.6562 2221 2604 6192 3863") and
 * a window across both could pass Luhn by chance. No phone right after '#': "order #98". */
static void judge_run(scan *sc, const run *r, bool after_hash)
{
    plan p;
    p.cover[r->ng] = 0;
    for (int g = r->ng - 1; g >= 0; g--)
        plan_at(sc, r, g, after_hash && g == 0, &p);
    for (int g = 0; g < r->ng; g++) {
        int h = p.end[g];
        if (h < 0)
            continue;
        size_t from = g == 0 ? r->from : r->gfrom[g];
        if (g > 0 && r->paren[g] && sc->f[from - 1] == '(')
            from--;
        add(sc, from, r->gto[h], p.card[g] ? "[card]" : "[phone]");
        g = h;
    }
}

/* A card or phone run starting at i (not inside a word): where scanning goes on. */
static size_t number_start(scan *sc, size_t i, run *r)
{
    const unsigned char *s = sc->f;
    bool start = is_digit(s[i]) || ((s[i] == '+' || s[i] == '(') && is_digit(at(sc, i + 1))) ||
                 (s[i] == '+' && at(sc, i + 1) == '(' && is_digit(at(sc, i + 2)));
    if (!start || taken(sc, i))
        return i + 1;
    read_run(sc, i, r);
    judge_run(sc, r, i && s[i - 1] == '#');
    size_t next = r->trunc ? resume_at(r) : r->to;
    return next > i ? next : i + 1;
}

/* IBANs and digit runs in one pass: both start only where a word starts, so the rest of
 * each word is skipped. */
static void find_numbers(scan *sc)
{
    run r;
    for (size_t i = 0; i < sc->n;) {
        unsigned char c = sc->f[i];
        if (is_alpha(c)) {
            size_t end = iban_start(sc, i);
            if (end > i) {
                add(sc, i, end, "[iban]");
                i = end;
                continue;
            }
        } else {
            i = number_start(sc, i, &r);
            if (i < sc->n && !is_alnum(sc->f[i - 1]))
                continue; /* not at a word's end: maybe another start */
        }
        while (i < sc->n && is_alnum(sc->f[i]))
            i++;
    }
}

/* ---- message edges ----
 * A chat message can end in the first part of a number whose rest comes in the next one
 * ("my card is 4111 1111" / "1111 1111"). Each message is masked on its own (per delivered
 * frame, and the same way in history), so no state joins them: instead a run of 4+ digits
 * (separators allowed) at the very end of a message, or at its very start, is masked as a
 * possible part. What is clearly whole stays: a year (1900-2099) in a sentence, a price up
 * to 999.99, a date, a number after '#'. A number split anywhere then shows at most three
 * digits on either side of the split (five when one side looks like a price). */

static bool edge_exempt(const scan *sc, const run *r, int ng, bool with_words)
{
    size_t nd = 0;
    for (int g = 0; g < ng; g++)
        nd += gsize(r, g);
    if (nd < EDGE_DIGITS)
        return true;
    if (ng == 1 && nd == 4 && with_words) {
        const unsigned char *d = sc->f + r->gfrom[0];
        if ((d[0] == '1' && d[1] == '9') || (d[0] == '2' && d[1] == '0'))
            return true; /* a year, in a sentence ("since 2019"), not on its own */
    }
    if (ng == 2 && (r->sep[1] == '.' || r->sep[1] == ',') && gsize(r, 0) <= 3 && gsize(r, 1) == 2)
        return true; /* a price up to 999.99; "4111.11" may start a card */
    return date_like(r, 0, ng - 1);
}

static bool has_alpha(const scan *sc, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (is_alpha(sc->f[i]))
            return true;
    return false;
}

static bool tail_punct(unsigned c)
{
    return c == ' ' || (c && strchr(".,;:!?-_/)", (int)c) != NULL);
}

/* Where the digit run ending at end starts: at a group whose left is not a letter. */
static size_t run_start_back(const scan *sc, size_t end)
{
    size_t s = end, first_sep = end;
    for (;;) {
        while (s > 0 && is_digit(sc->f[s - 1]) && !taken(sc, s - 1))
            s--;
        size_t q = s;
        while (q > 0 && q + 3 > s && is_sep(sc->f[q - 1]))
            q--;
        if (q == s || q == 0 || !is_digit(sc->f[q - 1]) || taken(sc, q - 1))
            break;
        first_sep = s;
        s = q;
    }
    if (s > 0 && is_alnum(sc->f[s - 1])) /* "DE89 3704": the first group is not a number */
        s = first_sep < end ? first_sep : end;
    while (s < end && !is_digit(sc->f[s]))
        s++;
    if (s > 0 && (sc->f[s - 1] == '+' || sc->f[s - 1] == '('))
        s--;
    return s;
}

/* Masks the digits of [from, to) not masked yet: an edge run may hold a phone or card
 * already masked, and the digits around it must not show. */
static void add_rest(scan *sc, size_t from, size_t to)
{
    for (size_t i = from; i < to;) {
        while (i < to && (taken(sc, i) || !is_digit(sc->f[i])))
            i++;
        size_t j = i;
        while (j < to && !taken(sc, j))
            j++;
        while (j > i && !is_digit(sc->f[j - 1]))
            j--;
        if (j > i)
            add(sc, i > from && (sc->f[i - 1] == '+' || sc->f[i - 1] == '(') ? i - 1 : i, j,
                "[number]");
        while (j < to && !taken(sc, j))
            j++;
        i = j;
    }
}

static void mask_tail(scan *sc)
{
    size_t end = sc->n, s;
    while (end > 0 && tail_punct(sc->f[end - 1]))
        end--;
    if (end == 0 || !is_digit(sc->f[end - 1]))
        return;
    unsigned char *marks = sc->mark;
    sc->mark = NULL; /* the run as written, with what is masked already */
    bool mask = false;
    run r;
    s = run_start_back(sc, end);
    if (s < end && !(s > 0 && sc->f[s - 1] == '#')) {
        read_run(sc, s, &r);
        mask = r.trunc || r.to != end || !edge_exempt(sc, &r, r.ng, has_alpha(sc, 0, s));
    }
    sc->mark = marks;
    if (mask)
        add_rest(sc, s, end);
}

static void mask_head(scan *sc)
{
    size_t s = 0;
    while (s < sc->n && tail_punct(sc->f[s]) && sc->f[s] != ')')
        s++;
    bool start =
        is_digit(at(sc, s)) || ((at(sc, s) == '+' || at(sc, s) == '(') && is_digit(at(sc, s + 1)));
    if (!start)
        return;
    unsigned char *marks = sc->mark;
    sc->mark = NULL;
    run r;
    read_run(sc, s, &r);
    int ng = r.ng - !bounded(sc, r.to); /* "1234abc": the last group is part of a word */
    bool mask =
        ng > 0 && (r.trunc || !edge_exempt(sc, &r, ng, has_alpha(sc, r.gto[ng - 1], sc->n)));
    sc->mark = marks;
    if (mask)
        add_rest(sc, s, r.gto[ng - 1]);
}

/* ---- putting it together ---- */

static int by_start(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from;
}

static void scan_free(scan *sc)
{
    free(sc->own);
    free(sc->o);
    free(sc->v);
    free(sc->mark);
}

static bool scan_run(scan *sc, const char *text, size_t len, bool edges)
{
    *sc = (scan){.src = text, .len = len};
    if (!fold(sc))
        return false;
    find_emails(sc);
    find_numbers(sc);
    if (edges) {
        mask_tail(sc);
        mask_head(sc);
    }
    if (sc->count > 1)
        qsort(sc->v, sc->count, sizeof(span), by_start);
    return !sc->oom;
}

/* The original with each span replaced by its label. */
static char *render(const scan *sc)
{
    size_t size = sc->len + 1;
    for (size_t k = 0; k < sc->count; k++)
        size += strlen(sc->v[k].label);
    char *out = malloc(size), *o = out;
    if (!out)
        return NULL;
    size_t done = 0;
    for (size_t k = 0; k < sc->count; k++) {
        size_t from = orig(sc, sc->v[k].from), to = orig(sc, sc->v[k].to);
        size_t ln = strlen(sc->v[k].label);
        if (from < done)
            continue; /* overlaps the one before: cannot happen, spans skip what is taken */
        memcpy(o, sc->src + done, from - done);
        o += from - done;
        memcpy(o, sc->v[k].label, ln);
        o += ln;
        done = to;
    }
    memcpy(o, sc->src + done, sc->len - done);
    o[sc->len - done] = '\0';
    return out;
}

static char *mask(const char *text, size_t len, bool edges, bool *changed)
{
    scan sc;
    char *out = scan_run(&sc, text, len, edges) ? render(&sc) : NULL;
    if (changed)
        *changed = sc.count > 0;
    scan_free(&sc);
    return out;
}

char *gx_pii_mask(const char *text, size_t len, bool *changed)
{
    return mask(text, len, false, changed);
}

char *gx_pii_mask_message(const char *text, size_t len, bool *changed)
{
    return mask(text, len, true, changed);
}

/* Bytes of the first n code points of s (len bytes), at most cap - 1, never mid-character. */
static size_t utf8_prefix_len(const char *s, size_t len, size_t n, size_t cap)
{
    size_t i = 0, chars = 0;
    for (; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == n)
            break;
    if (i >= cap) {
        i = cap - 1;
        while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
            i--;
    }
    return i;
}

void gx_pii_prefix(const char *s, size_t max_chars, char *out, size_t cap)
{
    size_t len = strlen(s), cut = utf8_prefix_len(s, len, max_chars, cap);
    scan sc;
    if (cut < len) {
        if (!scan_run(&sc, s, len, false))
            cut = 0; /* out of memory: an empty preview rather than a risky one */
        for (size_t k = 0; k < sc.count; k++) {
            size_t from = orig(&sc, sc.v[k].from), to = orig(&sc, sc.v[k].to);
            if (from < cut && cut < to)
                cut = from;
        }
        scan_free(&sc);
    }
    memcpy(out, s, cut);
    out[cut] = '\0';
}

/* Bytes of the whitespace (ASCII, no-break, ideographic...) at s, 0 if none. */
static size_t space_len(const unsigned char *s)
{
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        return 1;
    long cp;
    size_t k = *s ? utf8_next(s, strlen((const char *)s), 0, &cp) : 0;
    return k > 1 && fold_cp((uint32_t)cp) == ' ' ? k : 0;
}

/* A first name that still looks like contact data: an at-sign or 4+ digits, folded. */
static bool suspicious(const char *s, size_t n)
{
    size_t digits = 0;
    for (size_t i = 0; i < n;) {
        long cp;
        size_t k = utf8_next((const unsigned char *)s, n, i, &cp);
        int c = cp < 0 ? SYMBOL : fold_cp((uint32_t)cp);
        if (c == '@')
            return true;
        digits += is_digit((unsigned)c);
        i += k;
    }
    return digits >= 4;
}

char *gx_pii_first_name(const char *name)
{
    const char *in = name ? name : "";
    char *m = gx_pii_mask_message(in, strlen(in), NULL);
    if (!m)
        return NULL;
    const unsigned char *s = (const unsigned char *)m;
    for (size_t k; (k = space_len(s)) > 0;)
        s += k;
    size_t n = 0;
    while (s[n] && !space_len(s + n))
        n++;
    char *out = suspicious((const char *)s, n) ? strdup("[name]") : strndup((const char *)s, n);
    free(m);
    return out;
}
