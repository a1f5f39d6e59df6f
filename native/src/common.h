// Copyright Frameloom contributors.
// Attribute readers: read a field of a JS options object, report false instead of throwing.
#ifndef NATIVE_SRC_COMMON_H_
#define NATIVE_SRC_COMMON_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace flm {

bool AttrAsInt(const Napi::Object& obj, const char* key, int* out);
bool AttrAsDouble(const Napi::Object& obj, const char* key, double* out);
// A Uint8Array (Buffer) field: its bytes and length, and the object itself to keep it alive.
bool AttrAsBytes(const Napi::Object& obj, const char* key, const uint8_t** data, size_t* length,
                 Napi::Object* holder);
bool AsBytes(const Napi::Value& value, uint8_t** data, size_t* length);

}  // namespace flm

#endif  // NATIVE_SRC_COMMON_H_
