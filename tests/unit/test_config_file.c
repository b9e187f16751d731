/* Config file syntax: splitting lines (comments, blanks, quotes, escapes), malformed lines,
 * and the reader's FILE:LINE errors. The keys' meaning is test_config.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "gigcx/config_file.h"

static void write_file(char *path, const char *text)
{
    strcpy(path, "/tmp/gx-config-file-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void test_split_pairs(void **state)
{
    (void)state;
    struct {
        const char *line, *key, *value;
    } cases[] = {
        {"a=b", "a", "b"},
        {"  key-x   =   value with spaces   ", "key-x", "value with spaces"},
        {"heartbeat = 20  # seconds", "heartbeat", "20"},
        {"secret = abc#1", "secret", "abc#1"},
        {"k = \"  spaced # not a comment \"", "k", "  spaced # not a comment "},
        {"k = \"q\\\"uote b\\\\ck \\n\"", "k", "q\"uote b\\ck \\n"},
        {"k = \"x\"   # after", "k", "x"},
        {"k = \"\"", "k", ""},
        {"k =", "k", ""},
        {"k = # only a comment", "k", ""},
        {"k\t=\tv\t", "k", "v"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[128], *key, *value;
        const char *why = NULL;
        strcpy(line, cases[i].line);
        assert_int_equal(gx_config_file_split(line, &key, &value, &why), 1);
        assert_string_equal(key, cases[i].key);
        assert_string_equal(value, cases[i].value);
    }
}

static void test_split_skips_and_refuses(void **state)
{
    (void)state;
    const char *skipped[] = {"", "   ", "\t", "# comment", "   # indented = comment"};
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
        char line[64], *key, *value;
        const char *why = NULL;
        strcpy(line, skipped[i]);
        assert_int_equal(gx_config_file_split(line, &key, &value, &why), 0);
    }
    const char *bad[] = {"listen 127.0.0.1:1", "= v", "key", "k! = v", "k = \"abc", "k = \"a\" b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char line[64], *key, *value;
        const char *why = NULL;
        strcpy(line, bad[i]);
        assert_int_equal(gx_config_file_split(line, &key, &value, &why), -1);
        assert_non_null(why);
    }
}

typedef struct {
    int calls;
    char keys[4][16], values[4][32];
} seen;

static int collect(void *arg, const char *key, const char *value, char *err, size_t errlen)
{
    seen *s = arg;
    if (strcmp(key, "refuse") == 0) {
        snprintf(err, errlen, "refused '%s'", value);
        return -1;
    }
    snprintf(s->keys[s->calls], sizeof(s->keys[0]), "%s", key);
    snprintf(s->values[s->calls], sizeof(s->values[0]), "%s", value);
    s->calls++;
    return 0;
}

static void test_read_in_order_crlf(void **state)
{
    (void)state;
    char path[64], err[256];
    write_file(path, "# head\r\na = 1\r\n\r\nb = \"two\"\r\nc=3");
    seen s = {0};
    assert_int_equal(gx_config_file_read(path, collect, &s, err, sizeof(err)), 0);
    assert_int_equal(s.calls, 3);
    assert_string_equal(s.keys[0], "a");
    assert_string_equal(s.values[1], "two");
    assert_string_equal(s.values[2], "3"); /* no newline at the end */
    unlink(path);
}

static void test_read_errors_name_file_and_line(void **state)
{
    (void)state;
    char path[64], err[256], want[96];
    seen s = {0};
    write_file(path, "a = 1\n\n# c\nrefuse = x\nb = 2\n");
    assert_int_equal(gx_config_file_read(path, collect, &s, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:4: refused 'x'", path);
    assert_string_equal(err, want);
    assert_int_equal(s.calls, 1); /* stops at the first error */
    unlink(path);

    write_file(path, "a = 1\nthis is not a pair\n");
    assert_int_equal(gx_config_file_read(path, collect, &s, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:2: ", path);
    assert_memory_equal(err, want, strlen(want));
    unlink(path);

    assert_int_equal(gx_config_file_read(path, collect, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, path)); /* gone: an error, never an empty config */
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(gx_config_file_read("/", collect, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_pairs),
        cmocka_unit_test(test_split_skips_and_refuses),
        cmocka_unit_test(test_read_in_order_crlf),
        cmocka_unit_test(test_read_errors_name_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
