/* The Lua scripts, compiled in from server/scripts/ (one .lua file each) by the build. */
#ifndef GIGCX_SCRIPTS_H
#define GIGCX_SCRIPTS_H

extern const char *const gx_script_src[];   /* indexed by gx_script */
extern const char *const gx_script_names[]; /* file names without .lua */

#endif
