// Linux (glibc) declarations that Swift's Glibc module leaves out. Declarations and constants only: nothing to
// compile or link (the functions are in libc).
#ifndef TANGENT_CLINUX_H
#define TANGENT_CLINUX_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <malloc.h>   // mallopt and its M_* parameters

/// open(2)'s O_DIRECT (a GNU extension, so not in Swift's Glibc module): writes that bypass the page cache.
static inline int tangent_open_direct_flag(void) { return O_DIRECT; }
#endif
