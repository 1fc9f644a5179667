// The default model's weights, inside the executable: one copied `kinecolor` binary is a
// working install. `#embed` (C23; clang 19 and later) takes the file at compile time, found
// next to this source whatever the working directory, and clang's dependency output lists it,
// so replacing the .safetensors file rebuilds this object.
#include "kinecolor_weights.h"

#define KINECOLOR_DEFAULT_MODEL_FILE "kinecolor-default-v3.safetensors"

#if !defined(__has_embed)
#error "the default model is embedded with #embed: build with clang 19 or later (the Swift 6 toolchain's clang)"
#endif

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wc23-extensions"
// Read-only data (.rodata / __TEXT,__const), aligned for any tensor read.
_Alignas(64) static const unsigned char default_model[] = {
#embed KINECOLOR_DEFAULT_MODEL_FILE
};
#pragma clang diagnostic pop

const unsigned char *kinecolor_default_model_bytes(size_t *count) {
    *count = sizeof default_model;
    return default_model;
}

const char *kinecolor_default_model_file_name(void) {
    return KINECOLOR_DEFAULT_MODEL_FILE;
}
