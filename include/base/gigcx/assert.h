/* Two tiers of assertion, as Redis has serverAssert and debugServerAssert: gx_assert is
 * always on and aborts with the file and line (a broken invariant left running would
 * corrupt memory or data instead); gx_debug_assert is for checks too costly for a release
 * build and compiles to nothing unless CMake's GX_DEBUG_ASSERT is on. */
#ifndef GIGCX_ASSERT_H
#define GIGCX_ASSERT_H

/* Prints "assertion failed: <expr> at <file>:<line>" to stderr and aborts. */
_Noreturn void gx_assert_fail(const char *expr, const char *file, int line);

#define gx_assert(e) ((e) ? (void)0 : gx_assert_fail(#e, __FILE__, __LINE__))
#ifdef GX_DEBUG_ASSERT
#define gx_debug_assert(e) gx_assert(e)
#else
#define gx_debug_assert(e) ((void)0)
#endif

#endif
