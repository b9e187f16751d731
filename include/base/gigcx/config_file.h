/* gigcxd's config file (--config): `key = value` lines, # comments, blank lines, values
 * optionally in double quotes. This module only reads and splits lines; which keys exist
 * and what a good value is belong to config.c's option table, reached through a callback. */
#ifndef GIGCX_CONFIG_FILE_H
#define GIGCX_CONFIG_FILE_H

#include <stddef.h>

/* Called for each `key = value` line, in file order. Returns 0 to go on, or -1 after
 * writing why to err (the reader prefixes the file name and line number). */
typedef int (*gx_config_file_fn)(void *arg, const char *key, const char *value, char *err,
                                 size_t errlen);

/* Splits one line (newline already cut) in place. Returns 1 with *key and *value pointing
 * into line, 0 for a blank or comment line, or -1 with *why set to a static message.
 * Unquoted values end at a # that follows a space or tab and lose trailing blanks; inside
 * double quotes \" and \\ are the only escapes and # is plain text. */
int gx_config_file_split(char *line, char **key, char **value, const char **why);

/* Reads path and calls fn for each pair. Returns 0, or -1 with err set to "PATH:LINE: why"
 * (or "PATH: why" when the file cannot be opened or read); stops at the first error. */
int gx_config_file_read(const char *path, gx_config_file_fn fn, void *arg, char *err,
                        size_t errlen);

#endif
