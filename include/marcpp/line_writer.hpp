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
#include <marcpp/detail/simd.hpp>
#include <marcpp/iso2709_writer.hpp>
#include <marcpp/record_view.hpp>

#include <cstdint>
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

/// Writes the subfields of a field of the usual shape, [p, end) (from its
/// first delimiter to its end), in the line form: each delimiter and code
/// becomes " $a ". When 16 bytes past `end` are still the record's
/// (`readable`), each value is found and copied in one pass, 16 bytes at a
/// time; this writes up to 16 bytes past the output's end.
inline char* put_line_subfields(char* w, const char* p, const char* end, bool readable) noexcept {
#if MARCPP_HAS_SSE2
  if (readable) {
    const __m128i delim = _mm_set1_epi8('\x1F');
    while (p < end) {
      w[0] = ' ';
      w[1] = '$';
      w[2] = p[1];
      w[3] = ' ';
      w += 4;
      const char* v = p + 2;
      for (;;) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(v));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(w), x);
        auto m = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, delim)));
        const auto left = static_cast<std::size_t>(end - v);
        if (left < 16) m |= 1u << left;  // the field's end stops the value too
        if (m) {
          const std::size_t k = count_trailing_zeros(m);
          w += k;
          v += k;
          break;
        }
        w += 16;
        v += 16;
      }
      p = v;
    }
    return w;
  }
#else
  static_cast<void>(readable);
#endif
  while (p < end) {
    const char* q = find_delimiter(p + 2, end);
    w[0] = ' ';
    w[1] = '$';
    w[2] = p[1];
    w[3] = ' ';
    w = copy_bytes(w + 4, p + 2, static_cast<std::size_t>(q - p - 2));
    p = q;
  }
  return w;
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
  // The record's bytes, which a field of the usual shape may be read in
  // blocks from (see put_line_subfields).
  std::uintptr_t record_from = 0, record_to = 0;
  if constexpr (std::is_same_v<Record, record_view>) {
    record_from = reinterpret_cast<std::uintptr_t>(rec.raw().data());
    record_to = record_from + rec.raw().size();
    size += 16;  // room for the block stores past the end
  }
  const std::size_t old = out.size();
  out.resize(old + size);
  char* w = out.data() + old;
  w = detail::put(w, rec.leader().str());
  *w++ = '\n';
  for (const auto& f : fields) {
    auto t = f.tag_chars();  // a tag kept by its bytes is printed as it is, as yaz-marcdump does
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
      if constexpr (std::is_same_v<Record, record_view>) {
        if (ind == 2 && extra == 0 && detail::record_view_access::usual_shape(f)) {
          // Straight from the bytes: each delimiter and code becomes " $a ".
          const std::string_view raw = f.raw();
          const auto from = reinterpret_cast<std::uintptr_t>(raw.data()),
                     to = reinterpret_cast<std::uintptr_t>(raw.data() + raw.size());
          const bool readable = from >= record_from && to + 16 <= record_to;
          w = detail::put_line_subfields(w, raw.data() + 2, raw.data() + raw.size(), readable);
          *w++ = '\n';
          continue;
        }
      }
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
