// SPDX-License-Identifier: MIT
#pragma once

// The JSON parser adapter: the only header that includes simdjson. It parses
// one JSON text at a time into a document and lets the caller walk it
// through `json_value`; no simdjson type appears outside this file.

#include <marcpp/config.hpp>

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

MARCPP_NAMESPACE_BEGIN
namespace detail {

enum class json_kind : std::uint8_t { object, array, string, number, boolean, null };

/// A value of a parsed JSON document (valid until the parser parses again).
class json_value {
 public:
  json_value() = default;

  [[nodiscard]] json_kind kind() const noexcept {
    switch (e_.type()) {
      case simdjson::dom::element_type::OBJECT: return json_kind::object;
      case simdjson::dom::element_type::ARRAY: return json_kind::array;
      case simdjson::dom::element_type::STRING: return json_kind::string;
      case simdjson::dom::element_type::BOOL: return json_kind::boolean;
      case simdjson::dom::element_type::NULL_VALUE: return json_kind::null;
      default: return json_kind::number;
    }
  }
  /// The text of a string (unescaped, UTF-8); empty for other kinds.
  [[nodiscard]] std::string_view string() const noexcept {
    std::string_view s;
    if (e_.get_string().get(s)) return {};
    return s;
  }
  /// A number, boolean or null as JSON writes it (`12`, `true`).
  [[nodiscard]] std::string text() const { return simdjson::to_string(e_); }
  /// Calls `f(key, value)` for every member of an object, in order.
  template <class F>
  void for_each_member(F&& f) const {
    simdjson::dom::object o;
    if (e_.get_object().get(o)) return;
    for (auto kv : o) f(kv.key, json_value(kv.value));
  }
  /// Calls `f(value)` for every element of an array, in order.
  template <class F>
  void for_each_element(F&& f) const {
    simdjson::dom::array a;
    if (e_.get_array().get(a)) return;
    for (simdjson::dom::element v : a) f(json_value(v));
  }
  /// Members of an object or elements of an array (0 for other kinds).
  [[nodiscard]] std::size_t size() const noexcept {
    simdjson::dom::object o;
    if (!e_.get_object().get(o)) return o.size();
    simdjson::dom::array a;
    if (!e_.get_array().get(a)) return a.size();
    return 0;
  }

 private:
  friend class json_document_parser;
  explicit json_value(simdjson::dom::element e) noexcept : e_(e) {}
  simdjson::dom::element e_;
};

/// Parses JSON texts one at a time, reusing its memory.
class json_document_parser {
 public:
  /// Bytes that must be readable after a text parsed in place.
  static constexpr std::size_t padding = simdjson::SIMDJSON_PADDING;

  /// Parses [data, data + size). `padded`: `padding` more bytes are readable
  /// after it (otherwise the text is copied first). Returns an empty string
  /// on success, else what is wrong with the text.
  std::string parse(const char* data, std::size_t size, bool padded, json_value& root) {
    simdjson::dom::element e;
    auto err = parser_.parse(data, size, !padded).get(e);
    if (err) return simdjson::error_message(err);
    root = json_value(e);
    return {};
  }

 private:
  simdjson::dom::parser parser_;
};

}  // namespace detail
MARCPP_NAMESPACE_END
