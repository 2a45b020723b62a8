// Linux (glibc) declarations that Swift's Glibc module leaves out. Declarations and constants only: nothing to
// compile or link (the functions are in libc).
#ifndef TANGENT_CLINUX_H
#define TANGENT_CLINUX_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <malloc.h>   // mallopt and its M_* parameters
#include <signal.h>
#include <sys/prctl.h>

/// open(2)'s O_DIRECT (a GNU extension, so not in Swift's Glibc module): writes that bypass the page cache.
static inline int tangent_open_direct_flag(void) { return O_DIRECT; }

/// prctl(PR_SET_PDEATHSIG, SIGTERM): the process gets SIGTERM when its parent exits, however it exits (prctl is
/// variadic, so Swift cannot call it directly). A sweep's points use it so that killing the sweep stops them.
static inline int tangent_terminate_with_parent(void) { return prctl(PR_SET_PDEATHSIG, SIGTERM); }
#endif
