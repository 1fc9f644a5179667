#ifndef KINECOLOR_WEIGHTS_H
#define KINECOLOR_WEIGHTS_H

#include <stddef.h>

/// The default model's safetensors file, compiled into the executable (default_model.c).
/// Returns its first byte (64-byte aligned, read-only, valid for the whole process) and stores
/// its length in `*count`.
const unsigned char *kinecolor_default_model_bytes(size_t *count);

/// The name of the file the bytes were taken from, e.g. "kinecolor-default-v3.safetensors".
const char *kinecolor_default_model_file_name(void);

#endif
