// Copyright Frameloom contributors.
#include "common.h"

#include <cmath>

namespace flm {

bool AttrAsDouble(const Napi::Object& obj, const char* key, double* out) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber()) return false;
  *out = v.As<Napi::Number>().DoubleValue();
  return true;
}

bool AttrAsInt(const Napi::Object& obj, const char* key, int* out) {
  double d;
  if (!AttrAsDouble(obj, key, &d) || !std::isfinite(d) || d != std::floor(d) || d < -2147483648.0 ||
      d > 2147483647.0) {
    return false;
  }
  *out = static_cast<int>(d);
  return true;
}

bool AsBytes(const Napi::Value& value, uint8_t** data, size_t* length) {
  if (!value.IsTypedArray()) return false;
  Napi::TypedArray ta = value.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) return false;
  Napi::Uint8Array u8 = value.As<Napi::Uint8Array>();
  *data = u8.Data();
  *length = u8.ByteLength();
  return true;
}

bool AttrAsBytes(const Napi::Object& obj, const char* key, const uint8_t** data, size_t* length,
                 Napi::Object* holder) {
  Napi::Value v = obj.Get(key);
  uint8_t* d = nullptr;
  if (!AsBytes(v, &d, length)) return false;
  *data = d;
  *holder = v.As<Napi::Object>();
  return true;
}

}  // namespace flm
