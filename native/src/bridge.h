// Copyright Frameloom contributors.
// The JS-facing entry points. Each returns a status instead of throwing: create() returns the handle
// or an error string; compose() returns undefined when queued or an error string; the callback gets
// (status, message).
#ifndef NATIVE_SRC_BRIDGE_H_
#define NATIVE_SRC_BRIDGE_H_

#include <napi.h>

namespace flm {

Napi::Value CreateCompositor(const Napi::CallbackInfo& info);
Napi::Value ComposeFrame(const Napi::CallbackInfo& info);
Napi::Value CloseCompositor(const Napi::CallbackInfo& info);
Napi::Value NativeInfo(const Napi::CallbackInfo& info);

}  // namespace flm

#endif  // NATIVE_SRC_BRIDGE_H_
