#pragma once
// Typed reads of the list fields of a diffusers config.json (block_out_channels,
// down_block_types ...) with errors that name the file and the field. Scalars go through
// JsonFields (core/model/json_fields.h). Every reader bounds what it accepts, so a hostile
// config cannot make a caller allocate or loop by its numbers.

#include <climits>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/model/json_fields.h"
#include "core/util/result.h"

namespace ns::sd {

constexpr size_t kMaxDiffusersLevels = 8;  // SD has 4; anything past 8 is not a UNet/VAE we run

// A non-empty list of at most kMaxDiffusersLevels integers in [lo, hi].
inline Result<std::vector<int>> diffusersIntList(const JsonFields& f, const std::string& field, int lo, int hi) {
  const nlohmann::json* v = f.find(field);
  if (!v) return f.error(field, "is missing");
  if (!v->is_array() || v->empty() || v->size() > kMaxDiffusersLevels)
    return f.error(field, "must be a list of 1 to " + std::to_string(kMaxDiffusersLevels) + " integers");
  std::vector<int> out;
  for (const auto& e : *v) {
    if (!e.is_number_integer()) return f.error(field, "must hold integers only");
    const int64_t x = e.is_number_unsigned() ? int64_t(std::min<uint64_t>(e.get<uint64_t>(), uint64_t(INT64_MAX)))
                                             : e.get<int64_t>();
    if (x < lo || x > hi)
      return f.error(field, "holds " + std::to_string(x) + ", outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    out.push_back(int(x));
  }
  return out;
}

// A list of exactly `count` strings.
inline Result<std::vector<std::string>> diffusersStringList(const JsonFields& f, const std::string& field, size_t count) {
  const nlohmann::json* v = f.find(field);
  if (!v) return f.error(field, "is missing");
  if (!v->is_array() || v->size() != count)
    return f.error(field, "must be a list of " + std::to_string(count) + " block names (one per block_out_channels entry)");
  std::vector<std::string> out;
  for (const auto& e : *v) {
    if (!e.is_string()) return f.error(field, "must hold strings only");
    out.push_back(e.get<std::string>());
  }
  return out;
}

// layers_per_block: an integer in [1, 16], or (newer diffusers) a list of equal ones.
inline Result<int> diffusersLayersPerBlock(const JsonFields& f, size_t levels) {
  const nlohmann::json* v = f.find("layers_per_block");
  if (v && v->is_array()) {
    auto list = diffusersIntList(f, "layers_per_block", 1, 16);
    if (!list.ok()) return list.error();
    for (int x : *list)
      if (x != list->front() || list->size() != levels)
        return f.error("layers_per_block", "differs between blocks, which the LDM layout cannot express");
    return list->front();
  }
  auto n = f.integer("layers_per_block");
  if (!n.ok()) return n.error();
  if (*n < 1 || *n > 16) return f.error("layers_per_block", "must be in [1, 16] (got " + std::to_string(*n) + ")");
  return *n;
}

}  // namespace ns::sd
