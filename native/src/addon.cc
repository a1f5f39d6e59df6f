// Copyright Frameloom contributors.
// Registers the exported functions; nothing else lives here.
#include <napi.h>

#include "bridge.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("createCompositor", Napi::Function::New(env, flm::CreateCompositor, "createCompositor"));
  exports.Set("compose", Napi::Function::New(env, flm::ComposeFrame, "compose"));
  exports.Set("close", Napi::Function::New(env, flm::CloseCompositor, "close"));
  exports.Set("info", Napi::Function::New(env, flm::NativeInfo, "info"));
  return exports;
}

}  // namespace

NODE_API_MODULE(frameloom_hdr, Init)
