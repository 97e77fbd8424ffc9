// SPDX-License-Identifier: MIT
#pragma once

// What a program built without a component is told when its input or output
// needs that component: a diagnostic (errc::component_missing) that names
// the component, its CMake target, its macro and its dependency, rather than
// a compile or link error (docs/components.md).

#include <marcpp/config.hpp>
#include <marcpp/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// The components a program can be built without, as the diagnostic names them.
enum class component : std::uint8_t { parallel, marcxml, json, compression, index, icu };

[[nodiscard]] constexpr std::string_view component_name(component c) noexcept {
  switch (c) {
    case component::parallel: return "parallel";
    case component::marcxml: return "marcxml";
    case component::json: return "json";
    case component::compression: return "compression";
    case component::index: return "index";
    case component::icu: return "icu";
  }
  return "unknown";
}

[[nodiscard]] constexpr std::string_view component_macro(component c) noexcept {
  switch (c) {
    case component::parallel: return "MARCPP_WITH_PARALLEL";
    case component::marcxml: return "MARCPP_WITH_MARCXML";
    case component::json: return "MARCPP_WITH_JSON";
    case component::compression: return "MARCPP_WITH_COMPRESSION";
    case component::index: return "MARCPP_WITH_INDEX";
    case component::icu: return "MARCPP_WITH_ICU";
  }
  return "unknown";
}

[[nodiscard]] constexpr std::string_view component_dependency(component c) noexcept {
  switch (c) {
    case component::parallel: return "oneTBB";
    case component::marcxml: return "Expat";
    case component::json: return "simdjson";
    case component::compression: return "zlib and zstd";
    case component::index: return "oneTBB (the index needs the parallel component too)";
    case component::icu: return "ICU's icu-uc";
  }
  return "unknown";
}

/// "`what` needs the marcxml component (CMake target marcpp::marcxml, or
/// define MARCPP_WITH_MARCXML and link Expat)", an error.
[[nodiscard]] inline diagnostic component_missing(std::string_view what, component c) {
  diagnostic d;
  d.code = errc::component_missing;
  d.level = severity::error;
  d.message = std::string(what) + " needs the " + std::string(component_name(c)) +
              " component (CMake target marcpp::" + std::string(component_name(c)) + ", or define " +
              std::string(component_macro(c)) + " and link " + std::string(component_dependency(c)) + ")";
  return d;
}

/// Calls a program's sink; a sink that returns nothing asks to go on, one
/// that returns `bool` says whether to (parallel_reader's and open's).
template <class Sink, class... A>
bool call_sink(Sink& sink, A&&... a) {
  if constexpr (std::is_same_v<std::invoke_result_t<Sink&, A...>, bool>) {
    return sink(std::forward<A>(a)...);
  } else {
    sink(std::forward<A>(a)...);
    return true;
  }
}

}  // namespace detail
MARCPP_NAMESPACE_END
