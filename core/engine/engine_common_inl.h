#pragma once
#include <exception>
#include <string>

namespace ns::engine {

template <class F>
auto guarded(const char* what, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {  // c10::Error derives from std::exception
    std::string msg = e.what();
    if (const auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);  // drop C++ stack traces
    return makeError(ErrorKind::Model, std::string(what) + " failed: " + msg);
  }
}

}  // namespace ns::engine
