#pragma once
// Result<T>: a value, or an error written for a person. Jobs and loaders return it instead of
// throwing across module boundaries (exceptions stay inside the module that raised them).

#include <string>
#include <utility>
#include <variant>

namespace ns {

// What went wrong, in the terms a caller reacts to (the CLI maps these to exit codes).
enum class ErrorKind {
  None = 0,   // invalid / unset
  BadInput,   // a file or parameter given by the user is wrong (CLI exit 2)
  Model,      // a model file or model call failed (CLI exit 3)
  Cancelled,  // the job was cancelled through its JobContext (CLI exit 130)
  Io,         // reading or writing a file failed for a reason outside the input (CLI exit 2)
  Internal,   // a bug: an invariant did not hold
};

struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;  // one sentence for a person; names the file/field when there is one
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : m_v(std::move(error)) {}  // NOLINT

  bool ok() const { return m_v.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  T&& value() && { return std::get<0>(std::move(m_v)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(m_v); }

 private:
  std::variant<T, Error> m_v;
};

// Result<void>: success or an error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)), m_ok(false) {}  // NOLINT
  bool ok() const { return m_ok; }
  explicit operator bool() const { return m_ok; }
  const Error& error() const { return m_error; }

 private:
  Error m_error;
  bool m_ok = true;
};

inline Error makeError(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

}  // namespace ns
