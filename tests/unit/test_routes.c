/* The OpenAPI document stays true: every route the server answers is in it, and every
 * operation it lists is a route the server answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "gigcx/http_api.h"

static void add_route(const char *method, const char *path, void *arg)
{
    char key[200];
    snprintf(key, sizeof(key), "%s %s", method, path);
    json_object_set_new(arg, key, json_true());
}

/* "/api/v1/tasks/{task}/transcript" -> "/api/v1/tasks/{}/transcript" */
static void normalise(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 3 < cap; p++) {
        out[o++] = *p;
        if (*p == '{') {
            p = strchr(p, '}');
            out[o++] = '}';
            if (!p)
                break;
        }
    }
    out[o] = '\0';
}

static void test_document_matches_routes(void **state)
{
    (void)state;
    json_error_t e;
    json_t *doc = json_load_file(GX_OPENAPI_FILE, 0, &e);
    if (!doc)
        fail_msg("openapi.json: %s (line %d)", e.text, e.line);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
    json_t *served = json_object(), *documented = json_object();
    gx_http_api_each_route(add_route, served);
    const char *path, *method;
    json_t *item, *op;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        char norm[160];
        normalise(path, norm, sizeof(norm));
        json_object_foreach(item, method, op)
        {
            if (strcmp(method, "parameters") == 0)
                continue;
            assert_non_null(json_object_get(op, "responses"));
            add_route(method, norm, documented);
        }
    }
    const char *k;
    json_t *v;
    json_object_foreach(served, k, v) if (!json_object_get(documented, k))
        fail_msg("served but not in openapi.json: %s", k);
    json_object_foreach(documented, k, v) if (!json_object_get(served, k))
        fail_msg("in openapi.json but not served: %s", k);
    json_decref(served);
    json_decref(documented);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_matches_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
