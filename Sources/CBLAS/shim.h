// Thin system-library target: OpenBLAS's CBLAS interface, plus the two
// OpenBLAS extensions the engine uses to size its thread pool and report the kernel set.
#include <cblas.h>
