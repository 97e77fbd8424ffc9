// SPDX-License-Identifier: MIT
#pragma once

/// \file line_writer.hpp
/// The human-readable line format that `yaz-marcdump` prints by default:
///
///     00714cam a2200205 a 4500
///     001 12883376
///     245 10 $a Summerland / $c Michael Chabon.
///     (blank line)
///
/// The leader, then one line per field: the tag, a blank, and either the
/// control data or the indicators followed by ` $` code ` ` value for each
/// subfield. Bytes are written as they are, in whatever encoding the record
/// uses. Unlabelled data before the first delimiter is written after the
/// indicators, preceded by a blank; a delimiter without a code is written
/// as ` $ ` and its value, and left out when it holds nothing (as yaz does).

#include <marcpp/config.hpp>
#include <marcpp/iso2709_writer.hpp>

#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

MARCPP_NAMESPACE_BEGIN

namespace detail {
// The bytes a subfield takes in the line format.
template <class Subfield>
[[nodiscard]] inline std::size_t line_size(const Subfield& s, std::size_t extra) noexcept {
  const std::size_t v = s.value().size();
  switch (s.shape()) {
    case subfield_shape::normal: return 4 + v;  // " $a " value
    case subfield_shape::unlabelled: return v > extra ? 1 + v : v;
    case subfield_shape::no_code: return v ? 3 + v : 0;
  }
  return 0;
}
inline char* put(char* w, std::string_view s) noexcept {
  if (!s.empty()) std::memcpy(w, s.data(), s.size());
  return w + s.size();
}
}  // namespace detail

/// Appends the line form of `rec` to `out` (one allocation at most: the
/// size, or for a view a bound on it, is computed first).
template <class Record>
void write_line(const Record& rec, std::string& out) {
  const unsigned ind = detail::effective_indicator_count(rec.leader());
  // A leader declaring more than two indicators (danMARC has three): the
  // reader keeps the extra indicator bytes as unlabelled data, and they are
  // printed as indicators again here.
  auto declared = rec.leader().indicator_count();
  const std::size_t extra = declared && *declared > 2 && *declared <= 9 ? *declared - 2 : 0;
  const auto fields = rec.fields();

  std::size_t size = 24 + 1 + 1;
  for (const auto& f : fields) {
    size += 4 + 1;  // tag, blank, newline
    if (f.is_control()) {
      size += f.data().size();
    } else if constexpr (std::is_same_v<Record, record_view>) {
      // A bound, without a pass over the subfields: each subfield takes at
      // most twice the bytes it has in the record (" $a " for "\x1Fa").
      size += ind + 2 * f.raw().size();
    } else {
      size += ind;
      for (const auto& s : f.subfields()) size += detail::line_size(s, extra);
    }
  }
  const std::size_t old = out.size();
  out.resize(old + size);
  char* w = out.data() + old;
  w = detail::put(w, rec.leader().str());
  *w++ = '\n';
  for (const auto& f : fields) {
    auto t = f.tag().chars();
    w[0] = t[0];
    w[1] = t[1];
    w[2] = t[2];
    w[3] = ' ';
    w += 4;
    if (f.is_control()) {
      w = detail::put(w, f.data());
    } else {
      auto i = f.indicators();
      for (unsigned k = 0; k < ind; ++k) *w++ = i[k];
      for (const auto& s : f.subfields()) {
        std::string_view v = s.value();
        switch (s.shape()) {
          case subfield_shape::normal:
            w[0] = ' ';
            w[1] = '$';
            w[2] = s.code();
            w[3] = ' ';
            w = detail::put(w + 4, v);
            break;
          case subfield_shape::unlabelled: {
            std::string_view more = v.substr(0, extra);
            w = detail::put(w, more);
            v.remove_prefix(more.size());
            if (!v.empty()) {
              *w++ = ' ';
              w = detail::put(w, v);
            }
            break;
          }
          case subfield_shape::no_code:
            if (!v.empty()) {
              w = detail::put(w, " $ ");
              w = detail::put(w, v);
            }
            break;
        }
      }
    }
    *w++ = '\n';
  }
  *w++ = '\n';
  out.resize(static_cast<std::size_t>(w - out.data()));
}

/// The line form of `rec`.
template <class Record>
[[nodiscard]] std::string to_line(const Record& rec) {
  std::string s;
  write_line(rec, s);
  return s;
}

MARCPP_NAMESPACE_END
