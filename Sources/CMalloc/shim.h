// glibc's <malloc.h> (mallopt and its M_* parameters), which Swift's Glibc module does not include.
// Declarations only: nothing to compile or link (the functions are in libc).
#include <malloc.h>
