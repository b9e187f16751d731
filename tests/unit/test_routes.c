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

/* Every operation says which keys it takes (security; [] when public), lists 405 (its path
 * with another method) and 503 (storage down, or shutting down), and every response is a
 * $ref to components/responses or has a typed schema (or no body, as 204). The bodies
 * themselves are checked against a live server by tests/browser/openapi.mjs. */
static void test_every_operation_typed(void **state)
{
    (void)state;
    json_error_t e;
    json_t *doc = json_load_file(GX_OPENAPI_FILE, 0, &e);
    assert_non_null(doc);
    json_t *shared = json_object_get(json_object_get(doc, "components"), "responses");
    json_t *bare = json_pack("{s:s}", "type", "object");
    const char *path, *method, *status, *ctype;
    json_t *item, *op, *resp, *media;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        json_object_foreach(item, method, op)
        {
            if (strcmp(method, "parameters") == 0)
                continue;
            json_t *responses = json_object_get(op, "responses");
            if (!json_is_array(json_object_get(op, "security")))
                fail_msg("%s %s: no security", method, path);
            if (!json_object_get(responses, "405") || !json_object_get(responses, "503"))
                fail_msg("%s %s: 405 or 503 not listed", method, path);
            json_object_foreach(responses, status, resp)
            {
                const char *ref = json_string_value(json_object_get(resp, "$ref"));
                if (ref) {
                    const char *pre = "#/components/responses/";
                    if (strncmp(ref, pre, strlen(pre)) != 0 ||
                        !json_object_get(shared, ref + strlen(pre)))
                        fail_msg("%s %s %s: no such response %s", method, path, status, ref);
                    continue;
                }
                json_t *content = json_object_get(resp, "content");
                if (!content && strcmp(status, "204") != 0)
                    fail_msg("%s %s %s: no body described", method, path, status);
                json_object_foreach(content, ctype, media)
                {
                    json_t *schema = json_object_get(media, "schema");
                    if (!json_object_get(schema, "$ref") && !json_object_get(schema, "type"))
                        fail_msg("%s %s %s: untyped %s", method, path, status, ctype);
                    if (json_equal(schema, bare))
                        fail_msg("%s %s %s: a bare object", method, path, status);
                }
            }
        }
    }
    json_decref(bare);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_matches_routes),
        cmocka_unit_test(test_every_operation_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
