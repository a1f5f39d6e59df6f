// Copyright Frameloom contributors.
#include "bridge.h"

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common.h"
#include "compositor.h"
#include "transfer.h"

namespace flm {

namespace {

Napi::Value Fail(Napi::Env env, const std::string& message) { return Napi::String::New(env, message); }

Compositor* Unwrap(const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  return v.As<Napi::External<Compositor>>().Data();
}

// Execute() runs on the libuv pool and touches no JS value; the JS buffers are held by references until
// the worker is destroyed on the main thread.
class ComposeWorker : public Napi::AsyncWorker {
 public:
  ComposeWorker(Napi::Function callback, Compositor* compositor, std::vector<LayerDesc> layers, uint8_t* out,
                size_t out_length)
      : Napi::AsyncWorker(callback, "frameloom:hdr-compose"),
        compositor_(compositor),
        layers_(std::move(layers)),
        out_(out),
        out_length_(out_length) {}

  void Hold(const Napi::Value& v) { refs_.push_back(Napi::Persistent(v)); }

  void Execute() override {
    try {
      message_ = compositor_->Compose(layers_, out_, out_length_);
    } catch (...) {
      message_ = "native compositor failed";
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Callback().Call({Napi::Number::New(env, message_.empty() ? 0 : 1), Napi::String::New(env, message_)});
  }

 private:
  Compositor* compositor_;
  std::vector<LayerDesc> layers_;
  uint8_t* out_;
  size_t out_length_;
  std::string message_;
  std::vector<Napi::Reference<Napi::Value>> refs_;
};

}  // namespace

// createCompositor({ width, height, transfer, format, threads }) -> External | error string
Napi::Value CreateCompositor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 1 || !info[0].IsObject()) return Fail(env, "expected an options object");
    Napi::Object o = info[0].As<Napi::Object>();
    int width, height, transfer, format, threads;
    if (!AttrAsInt(o, "width", &width) || !AttrAsInt(o, "height", &height) || width <= 0 || height <= 0 ||
        width > 32768 || height > 32768) {
      return Fail(env, "invalid width/height");
    }
    if (!AttrAsInt(o, "transfer", &transfer) || (transfer != kPq && transfer != kHlg && transfer != kSrgb)) {
      return Fail(env, "invalid transfer");
    }
    if (!AttrAsInt(o, "format", &format) || (format != kRgb48le && format != kYuv420p10le && format != kRgba64le)) {
      return Fail(env, "invalid format");
    }
    if (format == kYuv420p10le && ((width | height) & 1)) return Fail(env, "yuv420p10le needs even width/height");
    if (!AttrAsInt(o, "threads", &threads) || threads < 0 || threads > 64) return Fail(env, "invalid threads");
    if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    auto* c = new Compositor(width, height, transfer, format, threads);
    return Napi::External<Compositor>::New(env, c, [](Napi::Env, Compositor* p) { delete p; });
  } catch (const Napi::Error& e) {
    return Fail(env, e.Message());
  } catch (const std::exception& e) {
    return Fail(env, e.what());
  }
}

// compose(handle, layers, out, callback(status, message)) -> undefined when queued | error string
Napi::Value ComposeFrame(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 4) return Fail(env, "expected (handle, layers, out, callback)");
    Compositor* c = Unwrap(info[0]);
    if (c == nullptr) return Fail(env, "invalid compositor handle");
    if (!info[1].IsArray()) return Fail(env, "layers must be an array");
    uint8_t* out = nullptr;
    size_t out_length = 0;
    if (!AsBytes(info[2], &out, &out_length)) return Fail(env, "out must be a Uint8Array");
    if (out_length != c->OutputLength()) return Fail(env, "output buffer has the wrong length");
    if (reinterpret_cast<uintptr_t>(out) % 2 != 0) return Fail(env, "output buffer must be 2-byte aligned");
    if (!info[3].IsFunction()) return Fail(env, "callback must be a function");

    Napi::Array arr = info[1].As<Napi::Array>();
    std::vector<LayerDesc> layers(arr.Length());
    std::vector<Napi::Object> holders(arr.Length());
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value v = arr.Get(i);
      const std::string at = "layer " + std::to_string(i) + ": ";
      if (!v.IsObject()) return Fail(env, at + "not an object");
      Napi::Object o = v.As<Napi::Object>();
      LayerDesc& l = layers[i];
      if (!AttrAsInt(o, "kind", &l.kind)) return Fail(env, at + "invalid kind");
      if (!AttrAsBytes(o, "data", &l.data, &l.length, &holders[i])) return Fail(env, at + "data must be a Uint8Array");
      if (l.kind == kVideo) {
        if (!AttrAsInt(o, "srcWidth", &l.src_width) || !AttrAsInt(o, "srcHeight", &l.src_height) ||
            !AttrAsInt(o, "transfer", &l.transfer) || !AttrAsInt(o, "fit", &l.fit) || !AttrAsDouble(o, "x", &l.x) ||
            !AttrAsDouble(o, "y", &l.y) || !AttrAsDouble(o, "width", &l.width) ||
            !AttrAsDouble(o, "height", &l.height) || !AttrAsDouble(o, "opacity", &l.opacity)) {
          return Fail(env, at + "missing or non-numeric video field");
        }
        if (o.Has("affine")) {
          if (!AttrAsInt(o, "affine", &l.affine)) return Fail(env, at + "invalid affine flag");
          if (l.affine != 0) {
            const struct { const char* key; double* out; uint32_t n; } arrays[] = {
                {"m", l.m, 6}, {"inv", l.inv, 6}, {"radius", l.radius, 8}};
            for (const auto& a : arrays) {
              Napi::Value v = o.Get(a.key);
              if (!v.IsArray() || v.As<Napi::Array>().Length() != a.n) return Fail(env, at + "invalid " + a.key);
              Napi::Array arr2 = v.As<Napi::Array>();
              for (uint32_t k = 0; k < a.n; ++k) {
                Napi::Value e = arr2.Get(k);
                if (!e.IsNumber()) return Fail(env, at + "non-numeric " + a.key);
                a.out[k] = e.As<Napi::Number>().DoubleValue();
              }
            }
          }
        }
      }
    }
    // Compositor::Compose validates everything again (sizes, lengths, ranges) before touching memory.
    auto* worker = new ComposeWorker(info[3].As<Napi::Function>(), c, std::move(layers), out, out_length);
    worker->Hold(info[0]);
    worker->Hold(info[2]);
    for (auto& h : holders) worker->Hold(h);
    worker->Queue();
    return env.Undefined();
  } catch (const Napi::Error& e) {
    return Fail(env, e.Message());
  } catch (const std::exception& e) {
    return Fail(env, e.what());
  }
}

Napi::Value CloseCompositor(const Napi::CallbackInfo& info) {
  Compositor* c = info.Length() > 0 ? Unwrap(info[0]) : nullptr;
  if (c == nullptr) return Fail(info.Env(), "invalid compositor handle");
  c->Close();  // waits for a frame in flight, joins the pool, frees the buffers
  return info.Env().Undefined();
}

Napi::Value NativeInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  o.Set("hardwareConcurrency", Napi::Number::New(env, std::thread::hardware_concurrency()));
  return o;
}

}  // namespace flm
