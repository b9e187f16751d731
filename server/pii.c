/* Personal data masking (see pii.h). Two passes: find the spans to mask (e-mails around
 * each '@', then IBANs and digit runs at word boundaries, each validated: Luhn for cards,
 * mod 97 for IBANs, shape for phones), then copy the text with each span replaced. */
#include "gigcx/pii.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define SPANS_MAX 64

typedef struct {
    size_t from, to; /* [from, to) */
    const char *label;
} span;

typedef struct {
    const char *s;
    size_t n;
    span v[SPANS_MAX];
    int count;
} scan;

static bool is_alnum(char c)
{
    return isalnum((unsigned char)c) != 0;
}

static bool taken(const scan *sc, size_t at)
{
    for (int i = 0; i < sc->count; i++)
        if (at >= sc->v[i].from && at < sc->v[i].to)
            return true;
    return false;
}

static void add(scan *sc, size_t from, size_t to, const char *label)
{
    if (sc->count < SPANS_MAX)
        sc->v[sc->count++] = (span){from, to, label};
}

/* ---- e-mail: local@domain.tld ---- */

static bool local_char(char c)
{
    return is_alnum(c) || strchr("._%+-", c);
}

static void find_emails(scan *sc)
{
    for (size_t at = 0; at < sc->n; at++) {
        if (sc->s[at] != '@')
            continue;
        size_t from = at, to = at + 1, dot = 0;
        while (from > 0 && local_char(sc->s[from - 1]))
            from--;
        while (to < sc->n && (is_alnum(sc->s[to]) || sc->s[to] == '.' || sc->s[to] == '-'))
            to++;
        while (to > at + 1 && sc->s[to - 1] == '.') /* a full stop after the address */
            to--;
        for (size_t i = at + 1; i < to; i++)
            if (sc->s[i] == '.')
                dot = i;
        size_t tld = dot && dot < to ? to - dot - 1 : 0;
        bool alpha_tld = tld >= 2;
        for (size_t i = dot + 1; alpha_tld && i < to; i++)
            alpha_tld = isalpha((unsigned char)sc->s[i]) != 0;
        if (from < at && dot > at + 1 && alpha_tld)
            add(sc, from, to, "[email]");
    }
}

/* ---- IBAN: CCkk + 11..30 alphanumerics, optionally in groups of four ---- */

static bool iban_valid(const char *c, size_t n)
{
    if (n < 15 || n > 34)
        return false;
    unsigned rem = 0;
    for (size_t k = 0; k < n; k++) {
        char ch = c[(k + 4) % n]; /* the first four characters move to the end */
        unsigned v = isdigit((unsigned char)ch) ? (unsigned)(ch - '0')
                                                : (unsigned)(toupper((unsigned char)ch) - 'A' + 10);
        rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
    }
    return rem == 1;
}

static void find_ibans(scan *sc)
{
    for (size_t at = 0; at + 4 <= sc->n; at++) {
        const char *s = sc->s;
        if ((at && is_alnum(s[at - 1])) || !isupper((unsigned char)s[at]) ||
            !isupper((unsigned char)s[at + 1]) || !isdigit((unsigned char)s[at + 2]) ||
            !isdigit((unsigned char)s[at + 3]) || taken(sc, at))
            continue;
        char c[40];
        size_t n = 0, to = at, best = 0, best_to = 0;
        while (to < sc->n && n < sizeof(c)) {
            if (is_alnum(s[to])) {
                c[n++] = s[to++];
                if (iban_valid(c, n)) { /* the longest valid run wins */
                    best = n;
                    best_to = to;
                }
            } else if (s[to] == ' ' && to + 1 < sc->n && is_alnum(s[to + 1]) && n % 4 == 0) {
                to++;
            } else {
                break;
            }
        }
        if (best && (best_to >= sc->n || !is_alnum(s[best_to]))) {
            add(sc, at, best_to, "[iban]");
            at = best_to;
        }
    }
}

/* ---- digit runs: cards and phones ---- */

static bool luhn(const char *d, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int v = d[n - 1 - i] - '0';
        if (i % 2) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

typedef struct {
    char digits[40];
    size_t nd;
    int groups[20]; /* digits per group between separators */
    int ng;
    bool plus, paren, odd_sep; /* odd_sep: '.', '/', or separators doubled */
} run;

/* Reads a run of digits and single separators from at; returns where it ends. */
static size_t read_run(const char *s, size_t n, size_t at, run *r)
{
    size_t i = at;
    memset(r, 0, sizeof(*r));
    if (s[i] == '+') {
        r->plus = true;
        i++;
    }
    int group = 0;
    while (i < n && r->nd < sizeof(r->digits) - 1) {
        char c = s[i];
        if (isdigit((unsigned char)c)) {
            r->digits[r->nd++] = c;
            group++;
            i++;
            continue;
        }
        bool sep = c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/';
        bool next_ok =
            i + 1 < n && (isdigit((unsigned char)s[i + 1]) || (c == ')' && s[i + 1] == ' ') ||
                          (c == ' ' && s[i + 1] == '('));
        if (!sep || !next_ok)
            break;
        if (c == '(' || c == ')')
            r->paren = true;
        if (c == '.' || c == '/')
            r->odd_sep = true;
        if (group && r->ng < 20)
            r->groups[r->ng++] = group;
        group = 0;
        i++;
    }
    if (group && r->ng < 20)
        r->groups[r->ng++] = group;
    return i;
}

static bool card_like(const run *r, const char *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (s[i] != ' ' && s[i] != '-' && !isdigit((unsigned char)s[i]))
            return false;
    return r->nd >= 13 && r->nd <= 19 && luhn(r->digits, r->nd);
}

/* International (+ or 00), national trunk 0 with 9-11 digits, (area) code, or the
 * 3-3-4 shape. Dates (dots, 4-2-2), prices and plain order numbers do not qualify. */
static bool phone_like(const run *r)
{
    if (r->nd < 7 || r->nd > 15 || r->odd_sep)
        return false;
    if (r->plus)
        return r->nd >= 8;
    if (r->digits[0] == '0' && r->digits[1] == '0')
        return r->nd >= 10;
    if (r->paren)
        return r->nd >= 9;
    if (r->digits[0] == '0')
        return r->nd >= 9 && r->nd <= 11 && r->ng >= 2;
    return r->nd == 10 && r->ng == 3 && r->groups[0] == 3 && r->groups[1] == 3 && r->groups[2] == 4;
}

static void find_numbers(scan *sc)
{
    const char *s = sc->s;
    for (size_t at = 0; at < sc->n; at++) {
        bool start =
            isdigit((unsigned char)s[at]) ||
            ((s[at] == '+' || s[at] == '(') && at + 1 < sc->n && isdigit((unsigned char)s[at + 1]));
        if (!start || (at && (is_alnum(s[at - 1]) || s[at - 1] == '#')) || taken(sc, at))
            continue;
        run r;
        size_t to = read_run(s, sc->n, s[at] == '(' ? at : at, &r);
        if (s[at] == '(')
            r.paren = true;
        while (to > at && !isdigit((unsigned char)s[to - 1]) && s[to - 1] != ')')
            to--;
        bool bounded = to >= sc->n || !is_alnum(s[to]);
        if (bounded && card_like(&r, s, at, to))
            add(sc, at, to, "[card]");
        else if (bounded && phone_like(&r))
            add(sc, at, to, "[phone]");
        at = to > at ? to - 1 : at;
    }
}

static int by_start(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from;
}

char *gx_pii_mask(const char *text, size_t len, bool *changed)
{
    scan sc = {.s = text, .n = len};
    find_emails(&sc);
    find_ibans(&sc);
    find_numbers(&sc);
    qsort(sc.v, (size_t)sc.count, sizeof(span), by_start);
    char *out = malloc(len + 8 * (size_t)sc.count + 1), *o = out;
    if (!out)
        return NULL;
    size_t at = 0;
    for (int i = 0; i < sc.count; i++) {
        if (sc.v[i].from < at)
            continue; /* overlaps an earlier span */
        memcpy(o, text + at, sc.v[i].from - at);
        o += sc.v[i].from - at;
        size_t ln = strlen(sc.v[i].label);
        memcpy(o, sc.v[i].label, ln);
        o += ln;
        at = sc.v[i].to;
    }
    memcpy(o, text + at, len - at);
    o[len - at] = '\0';
    if (changed)
        *changed = sc.count > 0;
    return out;
}

char *gx_pii_first_name(const char *name)
{
    const char *s = name ? name : "";
    while (*s == ' ')
        s++;
    size_t n = strcspn(s, " \t");
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}
