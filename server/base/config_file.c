/* The config file's syntax: reading lines and splitting them into key and value. It knows
 * no key: config.c checks each pair against its option table. Errors name file and line,
 * since an operator reads them in a journal far from the editor. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/config_file.h"

static char *skip_blanks(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Unquotes s (at its opening quote) in place; the value is then s. */
static int unquote(char *s, const char **why)
{
    char *r = s + 1, *w = s;
    for (; *r != '"'; *w++ = *r++) {
        if (*r == '\0') {
            *why = "no closing double quote";
            return -1;
        }
        if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
            r++;
    }
    r = skip_blanks(r + 1);
    if (*r != '\0' && *r != '#') {
        *why = "text after the closing double quote";
        return -1;
    }
    *w = '\0';
    return 0;
}

/* An unquoted value ends at a # after a blank, so `heartbeat = 20  # seconds` works while
 * a secret like abc#1 stays whole; trailing blanks are cut. */
static void cut_comment(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '#' && p > s && (p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            break;
        }
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

int gx_config_file_split(char *line, char **key, char **value, const char **why)
{
    char *s = skip_blanks(line);
    if (*s == '\0' || *s == '#')
        return 0;
    *key = s;
    while (is_key_char(*s))
        s++;
    char *key_end = s;
    s = skip_blanks(s);
    if (key_end == *key || *s != '=') {
        *why = "expected key = value";
        return -1;
    }
    *key_end = '\0';
    s = skip_blanks(s + 1);
    if (*s == '"') {
        if (unquote(s, why))
            return -1;
    } else if (*s == '#') { /* `key = # note`: an empty value, which the option refuses */
        *s = '\0';
    } else {
        cut_comment(s);
    }
    *value = s;
    return 1;
}

/* One line: split, then handed to fn. Returns 0 or -1 with why (static or in fnerr). */
static int read_line(char *line, gx_config_file_fn fn, void *arg, char *fnerr, size_t fnlen,
                     const char **why)
{
    char *key, *value;
    int r = gx_config_file_split(line, &key, &value, why);
    if (r <= 0)
        return r;
    if (fn(arg, key, value, fnerr, fnlen)) {
        *why = fnerr;
        return -1;
    }
    return 0;
}

int gx_config_file_read(const char *path, gx_config_file_fn fn, void *arg, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL, fnerr[256];
    size_t cap = 0;
    ssize_t n;
    unsigned lineno = 0;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        const char *why = "a NUL byte in the line";
        if (strlen(line) != (size_t)n || read_line(line, fn, arg, fnerr, sizeof(fnerr), &why)) {
            snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
            rc = -1;
        }
    }
    if (rc == 0 && ferror(f)) { /* a directory opens, then fails to read (EISDIR) */
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}
