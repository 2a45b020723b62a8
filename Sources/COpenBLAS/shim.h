// OpenBLAS (CBLAS) and netlib LAPACKE over OpenBLAS's LAPACK (Debian: libopenblas-dev, liblapacke-dev).
#include <cblas.h>
#include <lapacke.h>
// OpenBLAS extensions used to control the BLAS thread pool.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
