#pragma once
// JsonFields: typed, path-addressed reads of a model.json ("schedule.beta_start") whose errors name
// the file and the field. Shared by the built-in model's and the model packs' loaders (both are
// fuzzed: tests/fuzz/fuzz_model_json.cpp). Integers are range-checked: nlohmann's get<int>() would
// silently wrap out-of-range values.

#include <climits>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/util/result.h"

namespace ns {

class JsonFields {
 public:
  JsonFields(const nlohmann::json& root, std::string file) : m_root(root), m_file(std::move(file)) {}
  Error error(const std::string& field, const std::string& what) const {
    return makeError(ErrorKind::Model, m_file + ": field '" + field + "' " + what);
  }
  // Looks up a dotted path ("schedule.beta_start"); null if absent.
  const nlohmann::json* find(const std::string& path) const {
    const nlohmann::json* cur = &m_root;
    size_t start = 0;
    for (;;) {
      const size_t dot = path.find('.', start);
      const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!cur->is_object()) return nullptr;
      auto it = cur->find(key);
      if (it == cur->end()) return nullptr;
      cur = &*it;
      if (dot == std::string::npos) return cur;
      start = dot + 1;
    }
  }
  Result<std::string> str(const std::string& path) const {
    const nlohmann::json* v = find(path);
    if (!v) return error(path, "is missing");
    if (!v->is_string()) return error(path, "must be a string");
    return v->get<std::string>();
  }
  Result<std::string> optStr(const std::string& path, const std::string& fallback) const {
    if (!find(path)) return fallback;
    return str(path);
  }
  Result<double> num(const std::string& path) const {
    const nlohmann::json* v = find(path);
    if (!v) return error(path, "is missing");
    if (!v->is_number()) return error(path, "must be a number");
    return v->get<double>();
  }
  Result<int> integer(const std::string& path) const {
    const nlohmann::json* v = find(path);
    if (!v) return error(path, "is missing");
    if (!v->is_number_integer()) return error(path, "must be an integer");
    // get<int>() would silently wrap 2^32 + 16 to 16.
    const bool fits = v->is_number_unsigned() ? v->get<uint64_t>() <= uint64_t(INT_MAX)
                                              : v->get<int64_t>() >= INT_MIN && v->get<int64_t>() <= INT_MAX;
    if (!fits) return error(path, "is out of range (" + v->dump() + ")");
    return v->get<int>();
  }
  Result<int> optInteger(const std::string& path, int fallback) const {
    if (!find(path)) return fallback;
    return integer(path);
  }
  Result<const nlohmann::json*> object(const std::string& path) const {
    const nlohmann::json* v = find(path);
    if (!v) return error(path, "is missing");
    if (!v->is_object()) return error(path, "must be a JSON object");
    return v;
  }
  Result<bool> boolean(const std::string& path, bool fallback) const {
    const nlohmann::json* v = find(path);
    if (!v) return fallback;
    if (!v->is_boolean()) return error(path, "must be true or false");
    return v->get<bool>();
  }

 private:
  const nlohmann::json& m_root;
  std::string m_file;
};

}  // namespace ns
