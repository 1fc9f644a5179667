import Foundation
import KinecolorEngine

// OpenBLAS chooses its kernels when it loads, before any of our code runs. If the chosen set is
// slower than what this CPU supports, run ourselves again with OPENBLAS_CORETYPE set.
BLASBootstrap.reexecIfNeeded()
Kinecolor.main()
