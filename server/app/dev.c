/* Demo data for --dev: brand "demo" (its api key rotated on every start so it can be
 * printed), experts alice (tier 2), bob and carol (tier 1), and printed tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/keys.h"
#include "gigcx/dev.h"
#include "gigcx/jwt.h"
#include "gigcx/util.h"

static const struct {
    const char *id, *name;
    int tier;
} experts[] = {{"alice", "Alice Martin", 2}, {"bob", "Bob Okafor", 1}, {"carol", "Carol Chen", 1}};

static char *token(gx_server *srv, const char *sub, gx_role role, const char *brand,
                   const char *name)
{
    gx_claims c = {.role = role, .iat = gx_now_ms() / 1000};
    c.exp = c.iat + 7 * 24 * 3600;
    snprintf(c.sub, sizeof(c.sub), "%s", sub);
    snprintf(c.brand, sizeof(c.brand), "%s", brand ? brand : "");
    snprintf(c.name, sizeof(c.name), "%s", name);
    return gx_jwt_sign(&c, srv->cfg->secret, strlen(srv->cfg->secret));
}

/* Kept for GET /api/v1/dev/experts, which only --dev answers: the console's demo picker. */
static void remember(gx_server *srv, const char *id, const char *name, const char *role,
                     const char *tok)
{
    if (!srv->dev_users)
        srv->dev_users = json_array();
    json_array_append_new(srv->dev_users, json_pack("{s:s, s:s, s:s, s:s}", "id", id, "name", name,
                                                    "role", role, "token", tok ? tok : ""));
}

void gx_dev_seed(gx_server *srv, int port)
{
    gx_redis *rd = srv->redis;
    char rnd[40], api_key[48], hash[65], wk[] = "gxw_demo", origins[160], now[24];
    gx_id_random(rnd, 24);
    snprintf(api_key, sizeof(api_key), "gxk_%s", rnd);
    gx_crypto_sha256_hex(api_key, strlen(api_key), hash);
    snprintf(origins, sizeof(origins), "[\"http://127.0.0.1:%d\",\"http://localhost:%d\"]", port,
             port);
    snprintf(now, sizeof(now), "%lld", (long long)gx_now_ms());
    char brand_key[32];
    snprintf(brand_key, sizeof(brand_key), GX_KEY_BRAND, "demo");
    const char *argv[] = {brand_key,
                          "Demo Shop",
                          "{\"amount\":4.5,\"currency\":\"EUR\"}",
                          origins,
                          "",
                          "1",
                          hash,
                          wk,
                          now,
                          "{\"topics\":{\"billing\":{\"tier\":1},\"refunds\":{\"tier\":2}}}",
                          "",
                          "demo",
                          "0"};
    gx_redis_script(rd, GX_SCRIPT_BRAND_PUT, NULL, NULL, 1, 13, argv, NULL);
    printf("\n== gigcx --dev ==\n");
    printf("admin key:        %s\n", srv->cfg->admin_key);
    printf("brand 'demo' key: %s\n", api_key);
    printf("widget key:       %s\n", wk);
    printf("expert console:   http://127.0.0.1:%d/expert/\n", port);
    printf("widget demo:      http://127.0.0.1:%d/demo/\n", port);
    printf("admin dashboard:  http://127.0.0.1:%d/admin/\n", port);
    for (size_t i = 0; i < sizeof(experts) / sizeof(experts[0]); i++) {
        char tier[4];
        snprintf(tier, sizeof(tier), "%d", experts[i].tier);
        const char *hs[] = {"HSET",      "" /* the key, below */,
                            "name",      experts[i].name,
                            "skills",    "[\"general\",\"billing\",\"shipping\",\"refunds\"]",
                            "languages", "[\"en\",\"de\"]",
                            "tier",      tier,
                            "brands",    "[\"demo\"]",
                            "capacity",  "3"};
        char key[80];
        snprintf(key, sizeof(key), GX_KEY_EXPERT, experts[i].id);
        hs[1] = key;
        gx_redis_argv(rd, NULL, NULL, 14, hs, NULL);
        gx_redis_cmd(rd, NULL, NULL, "SADD " GX_KEY_EXPERTS " %s", experts[i].id);
        char *t = token(srv, experts[i].id, GX_ROLE_EXPERT, NULL, experts[i].name);
        printf("expert %-6s tier %d token: %s\n", experts[i].id, experts[i].tier, t ? t : "?");
        remember(srv, experts[i].id, experts[i].name, "expert", t);
        free(t);
    }
    /* the demo brand's coverage, as PUT /api/v1/experts writes it (tasks need it) */
    gx_redis_cmd(rd, NULL, NULL, "SADD " GX_KEY_SKILLS " general billing shipping refunds", "demo");
    gx_redis_cmd(rd, NULL, NULL, "SADD " GX_KEY_LANGS " en de", "demo");
    char *st = token(srv, "sam", GX_ROLE_STAFF, "demo", "Sam (Demo staff)");
    char *ct = token(srv, "dana", GX_ROLE_CUSTOMER, "demo", "Dana Customer");
    printf("staff  sam   token: %s\ncustomer dana token: %s\n\n", st ? st : "?", ct ? ct : "?");
    remember(srv, "sam", "Sam (Demo staff)", "staff", st);
    fflush(stdout);
    free(st);
    free(ct);
}
