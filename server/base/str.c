/* String helpers: a bounded copy, ",a,b," lists, and URLs with their password hidden. */
#include <stdio.h>
#include <string.h>
#include "gigcx/util.h"

void gx_str_copy(char *dst, const char *src, size_t cap)
{
    if (!cap)
        return;
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

bool gx_str_csv_has(const char *csv, const char *v)
{
    char needle[80];
    int n = snprintf(needle, sizeof(needle), ",%s,", v);
    return csv && n > 0 && (size_t)n < sizeof(needle) && strstr(csv, needle);
}

const char *gx_str_url_redacted(const char *url, char *out, size_t n)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *at = strrchr(host, '@');
    if (!scheme || !at)
        snprintf(out, n, "%s", url);
    else
        snprintf(out, n, "%.*s***%s", (int)(host - url), url, at);
    return out;
}
