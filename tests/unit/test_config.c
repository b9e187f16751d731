/* Config: defaults, flags in both forms, environment twins, the --config file, precedence
 * (flag > environment > file > default), clear errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "gigcx/config.h"

static int parse(gx_config *c, char **argv, char **envp, char *err)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    return gx_config_parse(c, argc, argv, envp, err, 256);
}

static void test_defaults(void **state)
{
    (void)state;
    gx_config c;
    char err[256];
    char *argv[] = {"gigcxd", NULL};
    assert_int_equal(parse(&c, argv, NULL, err), 0);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8080);
    assert_null(c.redis_url);
    assert_string_equal(c.data_dir, "./gigcx-data");
    assert_int_equal(c.heartbeat_s, 20);
    assert_int_equal(c.hello_timeout_ms, 10000);
    assert_int_equal(c.queue_timeout_s, 900);
    assert_int_equal(c.log_level, 2);
    assert_int_equal(c.max_sockets, 32768);
    assert_int_equal(c.coalesce_us, 2000);
    assert_int_equal(c.send_threads, 1);
    assert_int_equal(c.ws_rate, 50);
    assert_string_equal(c.static_dir, "static");
    assert_string_equal(c.redis_server, "redis-server");
    assert_null(c.tls_cert);
    assert_null(c.admin_key);
    assert_false(c.plain_send);
    assert_false(c.dev);
    assert_int_equal(gx_config_finish(&c, err, sizeof(err)), -1); /* no secret outside dev */
    assert_non_null(strstr(err, "--secret"));
    assert_non_null(strstr(err, "GIGCX_SECRET"));
    gx_config_free(&c);
}

static void test_flags_both_forms(void **state)
{
    (void)state;
    gx_config c;
    char err[256];
    char *argv[] = {"gigcxd",
                    "--listen",
                    "[::1]:9000",
                    "--redis=redis://h:7000",
                    "--secret",
                    "0123456789abcdef",
                    "--admin-key=k",
                    "--node-id",
                    "n-1",
                    "--log-level=debug",
                    "--heartbeat",
                    "5",
                    "--queue-timeout=60",
                    "--hello-timeout",
                    "1500",
                    "--max-sockets=20000",
                    "--coalesce-us=0",
                    "--send-threads=0",
                    "--dev",
                    NULL};
    assert_int_equal(parse(&c, argv, NULL, err), 0);
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(c.listen_port, 9000);
    assert_string_equal(c.redis_url, "redis://h:7000");
    assert_string_equal(c.admin_key, "k");
    assert_string_equal(c.node_id, "n-1");
    assert_int_equal(c.log_level, 3);
    assert_int_equal(c.heartbeat_s, 5);
    assert_int_equal(c.queue_timeout_s, 60);
    assert_int_equal(c.hello_timeout_ms, 1500);
    assert_int_equal(c.max_sockets, 20000);
    assert_int_equal(c.coalesce_us, 0);
    assert_int_equal(c.send_threads, 0);
    assert_true(c.dev);
    assert_int_equal(gx_config_finish(&c, err, sizeof(err)), 0);
    gx_config_free(&c);
}

static void test_env_twins_and_precedence(void **state)
{
    (void)state;
    gx_config c;
    char err[256];
    char *argv[] = {"gigcxd", "--listen", "127.0.0.1:7001", NULL};
    char *envp[] = {"GIGCX_LISTEN=0.0.0.0:7002",
                    "GIGCX_SECRET=0123456789abcdefgh",
                    "GIGCX_ADMIN_KEY=adm",
                    "GIGCX_DEV=yes",
                    "OTHER=1",
                    NULL};
    assert_int_equal(parse(&c, argv, envp, err), 0);
    assert_int_equal(c.listen_port, 7001); /* the flag beats its twin */
    assert_string_equal(c.secret, "0123456789abcdefgh");
    assert_string_equal(c.admin_key, "adm");
    assert_true(c.dev);
    gx_config_free(&c);
}

static void test_bad_values(void **state)
{
    (void)state;
    char err[256];
    struct {
        char *a, *b, *names;
    } cases[] = {
        {"--listen", "nohost", "--listen"},           {"--listen", "h:99999", "--listen"},
        {"--redis", "http://x", "--redis"},           {"--node-id", "a b", "--node-id"},
        {"--log-level", "loud", "--log-level"},       {"--heartbeat", "0", "--heartbeat"},
        {"--hello-timeout", "10", "--hello-timeout"}, {"--coalesce-us", "-1", "--coalesce-us"},
        {"--queue-timeout", "x", "--queue-timeout"},  {"--bogus", "1", "--bogus"},
        {"--max-sockets", "10", "--max-sockets"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gx_config c;
        char *argv[] = {"gigcxd", cases[i].a, cases[i].b, NULL};
        assert_int_equal(parse(&c, argv, NULL, err), -1);
        assert_non_null(strstr(err, cases[i].names));
        gx_config_free(&c);
    }
    gx_config c;
    char *argv[] = {"gigcxd", "--secret", NULL};
    assert_int_equal(parse(&c, argv, NULL, err), -1);
    gx_config_free(&c);
    char *envp[] = {"GIGCX_HEARTBEAT=lots", NULL};
    char *argv2[] = {"gigcxd", NULL};
    assert_int_equal(parse(&c, argv2, envp, err), -1);
    assert_non_null(strstr(err, "GIGCX_HEARTBEAT"));
    gx_config_free(&c);
}

static void test_finish_rules(void **state)
{
    (void)state;
    gx_config c;
    char err[256];
    char *dev[] = {"gigcxd", "--dev", NULL};
    assert_int_equal(parse(&c, dev, NULL, err), 0);
    assert_int_equal(gx_config_finish(&c, err, sizeof(err)), 0);
    assert_true(strlen(c.secret) >= 16 && strlen(c.admin_key) >= 16);
    assert_non_null(c.node_id);
    gx_config_free(&c);
    char *shortsecret[] = {"gigcxd", "--secret", "short", "--admin-key", "k", NULL};
    parse(&c, shortsecret, NULL, err);
    assert_int_equal(gx_config_finish(&c, err, sizeof(err)), -1);
    gx_config_free(&c);
    char *halftls[] = {"gigcxd", "--secret", "0123456789abcdef", "--admin-key", "k", "--tls-cert",
                       "c.pem",  NULL};
    parse(&c, halftls, NULL, err);
    assert_int_equal(gx_config_finish(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--tls-key"));
    gx_config_free(&c);
}

static void write_file(char *path, const char *text)
{
    strcpy(path, "/tmp/gx-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void test_file_good(void **state)
{
    (void)state;
    gx_config c;
    char err[256], path[64];
    write_file(path, "# gigcxd\n"
                     "\n"
                     "listen = 127.0.0.1:9100\n"
                     "redis = \"redis://127.0.0.1:6390\"\n"
                     "  static = /usr/share/gigcx/static   # served at /\n"
                     "admin-key = \"adm #1 \\\"q\\\"\"\n"
                     "secret=0123456789abcdef0\n"
                     "webhook-allow-private = on\n"
                     "plain-send = off\n"
                     "heartbeat = 7\n"
                     "log-level = debug\n"
                     "max-sockets = 20000\n");
    char *argv[] = {"gigcxd", "--config", path, NULL};
    assert_int_equal(parse(&c, argv, NULL, err), 0);
    assert_string_equal(c.config_file, path);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 9100);
    assert_string_equal(c.redis_url, "redis://127.0.0.1:6390");
    assert_string_equal(c.static_dir, "/usr/share/gigcx/static");
    assert_string_equal(c.admin_key, "adm #1 \"q\"");
    assert_string_equal(c.secret, "0123456789abcdef0");
    assert_true(c.webhook_allow_private);
    assert_false(c.plain_send);
    assert_int_equal(c.heartbeat_s, 7);
    assert_int_equal(c.log_level, 3);
    assert_int_equal(c.max_sockets, 20000);
    assert_true(c.max_sockets_given);
    assert_int_equal(c.queue_timeout_s, 900); /* what the file leaves is the default */
    assert_int_equal(gx_config_finish(&c, err, sizeof(err)), 0);
    gx_config_free(&c);

    char *env[] = {"GIGCX_CONFIG=", NULL}, named[80];
    snprintf(named, sizeof(named), "GIGCX_CONFIG=%s", path);
    env[0] = named;
    char *bare[] = {"gigcxd", NULL};
    assert_int_equal(parse(&c, bare, env, err), 0); /* named by the environment twin */
    assert_int_equal(c.listen_port, 9100);
    gx_config_free(&c);
    unlink(path);
}

static void test_file_precedence(void **state)
{
    (void)state;
    gx_config c;
    char err[256], path[64];
    write_file(path, "listen = 127.0.0.1:9001\nheartbeat = 7\nws-rate = 9\ndev = yes\n");
    char *argv[] = {"gigcxd", "--config", path, "--listen=127.0.0.1:9003", "--dev=no", NULL};
    char *envp[] = {"GIGCX_LISTEN=127.0.0.1:9002", "GIGCX_HEARTBEAT=8", NULL};
    assert_int_equal(parse(&c, argv, envp, err), 0);
    assert_int_equal(c.listen_port, 9003); /* flag > environment > file */
    assert_int_equal(c.heartbeat_s, 8);    /* environment > file */
    assert_int_equal(c.ws_rate, 9);        /* file > default */
    assert_false(c.dev);                   /* a flag turns off what the file turned on */
    assert_int_equal(c.queue_timeout_s, 900);
    assert_false(c.max_sockets_given);
    gx_config_free(&c);
    unlink(path);
}

static void test_file_errors(void **state)
{
    (void)state;
    struct {
        const char *text;
        int line;
        const char *names;
    } cases[] = {
        {"listen = 127.0.0.1:1\nbogus = 1\n", 2, "unknown key 'bogus'"},
        {"--listen = 127.0.0.1:1\n", 1, "unknown key '--listen'"},
        {"config = other.conf\n", 1, "unknown key 'config'"},
        {"help = on\n", 1, "unknown key 'help'"},
        {"# c\n\nheartbeat = 0\n", 3, "heartbeat: expected"},
        {"log-level = loud\n", 1, "log-level"},
        {"dev = maybe\n", 1, "dev: expected on or off"},
        {"static =\n", 1, "static"},
        {"a\nlisten 127.0.0.1:1\n", 1, "expected key = value"},
        {"secret = \"unclosed\n", 1, "quote"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gx_config c;
        char err[256], path[64], where[80];
        write_file(path, cases[i].text);
        char *argv[] = {"gigcxd", "--config", path, NULL};
        assert_int_equal(parse(&c, argv, NULL, err), -1);
        snprintf(where, sizeof(where), "%s:%d: ", path, cases[i].line);
        assert_memory_equal(err, where, strlen(where));
        assert_non_null(strstr(err, cases[i].names));
        gx_config_free(&c);
        unlink(path);
    }
    gx_config c;
    char err[256], path[64];
    write_file(path, "heartbeat = 0\n"); /* a flag over a bad line leaves the file broken */
    char *over[] = {"gigcxd", "--heartbeat", "5", "--config", path, NULL};
    assert_int_equal(parse(&c, over, NULL, err), -1);
    gx_config_free(&c);
    unlink(path);
    char *gone[] = {"gigcxd", "--config", path, NULL};
    assert_int_equal(parse(&c, gone, NULL, err), -1);
    assert_non_null(strstr(err, path));
    gx_config_free(&c);
}

static void test_usage_lists_everything(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    gx_config_usage(f, "gigcxd");
    fclose(f);
    const char *want[] = {"--listen",    "GIGCX_LISTEN",    "--redis",     "GIGCX_REDIS",
                          "--data",      "GIGCX_DATA",      "--static",    "GIGCX_STATIC",
                          "--admin-key", "GIGCX_ADMIN_KEY", "--secret",    "GIGCX_SECRET",
                          "--tls-cert",  "GIGCX_TLS_CERT",  "--tls-key",   "GIGCX_TLS_KEY",
                          "--node-id",   "GIGCX_NODE_ID",   "--log-level", "GIGCX_LOG_LEVEL",
                          "--heartbeat", "--queue-timeout", "--dev",       "GIGCX_DEV",
                          "--help",      "--config",        "GIGCX_CONFIG"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_non_null(strstr(text, want[i]));
    free(text);
}

/* The default --static finds the installed clients from a directory without its own; a
 * --static given, or a static/ in the working directory, stays. */
static void test_static_fallback(void **state)
{
    (void)state;
    char tmp[] = "/tmp/gxt-static-XXXXXX", inst[64], here[4096], err[256];
    assert_non_null(mkdtemp(tmp));
    assert_non_null(getcwd(here, sizeof(here)));
    snprintf(inst, sizeof(inst), "%s/share", tmp);
    assert_int_equal(mkdir(inst, 0700), 0);
    assert_int_equal(chdir(tmp), 0); /* no static/ here */
    gx_config c;
    char *argv[] = {"gigcxd", NULL};
    assert_int_equal(parse(&c, argv, NULL, err), 0);
    gx_config_static_default(&c, inst);
    assert_string_equal(c.static_dir, inst);
    gx_config_free(&c);
    char *given[] = {"gigcxd", "--static", "mine", NULL};
    assert_int_equal(parse(&c, given, NULL, err), 0);
    gx_config_static_default(&c, inst);
    assert_string_equal(c.static_dir, "mine");
    gx_config_free(&c);
    assert_int_equal(mkdir("static", 0700), 0); /* a checkout: its own clients win */
    assert_int_equal(parse(&c, argv, NULL, err), 0);
    gx_config_static_default(&c, inst);
    assert_string_equal(c.static_dir, "static");
    gx_config_free(&c);
    assert_int_equal(chdir(here), 0);
    char rm[128];
    snprintf(rm, sizeof(rm), "rm -rf %s", tmp);
    assert_int_equal(system(rm), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_flags_both_forms),
        cmocka_unit_test(test_env_twins_and_precedence),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_finish_rules),
        cmocka_unit_test(test_file_good),
        cmocka_unit_test(test_file_precedence),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_usage_lists_everything),
        cmocka_unit_test(test_static_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
