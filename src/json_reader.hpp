// src/json_reader.hpp — reading a model file (nlohmann/json) while keeping the JSON path of the element
// being read, so that every error says where (`saas_health_v1.json: $.groups[1].weight: must be > 0`).
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string>
#include <string_view>

#include "custhealth/error.hpp"

namespace custhealth::detail {

/// The checks every model format shares; a format's reader adds its own (scorecard, logistic).
class json_reader {
 public:
  using json = nlohmann::json;

  explicit json_reader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw model_spec_error(std::string(source_) + ": " + path + ": " + what);
  }
  void only_keys(const json& object, const std::string& path, std::initializer_list<std::string_view> keys) const {
    if (!object.is_object()) fail(path, "must be an object");
    for (const auto& [key, value] : object.items())
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        std::string allowed;
        for (auto k : keys) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
        fail(path, "unknown key \"" + key + "\" (expected " + allowed + ")");
      }
  }
  const json& required(const json& object, const std::string& path, const char* key) const {
    if (!object.contains(key)) fail(path, std::string("missing \"") + key + "\"");
    return object.at(key);
  }
  std::string text(const json& v, const std::string& path) const {
    if (!v.is_string()) fail(path, "must be a string");
    return v.get<std::string>();
  }
  double number(const json& v, const std::string& path) const {
    if (!v.is_number() || !std::isfinite(v.get<double>())) fail(path, "must be a finite number");
    return v.get<double>();
  }
  const json& array(const json& v, const std::string& path, bool non_empty = true) const {
    if (!v.is_array()) fail(path, "must be an array");
    if (non_empty && v.empty()) fail(path, "must not be empty");
    return v;
  }

 private:
  std::string_view source_;
};

}  // namespace custhealth::detail
