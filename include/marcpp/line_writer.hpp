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

#include <string>
#include <string_view>

MARCPP_NAMESPACE_BEGIN

/// Appends the line form of `rec` to `out`.
template <class Record>
void write_line(const Record& rec, std::string& out) {
  const unsigned ind = detail::effective_indicator_count(rec.leader());
  // A leader declaring more than two indicators (danMARC has three): the
  // reader keeps the extra indicator bytes as unlabelled data, and they are
  // printed as indicators again here.
  auto declared = rec.leader().indicator_count();
  const unsigned extra = declared && *declared > 2 && *declared <= 9 ? *declared - 2 : 0;
  out.append(rec.leader().str());
  out += '\n';
  for (const auto& f : rec.fields()) {
    auto t = f.tag().chars();
    out.append(t.data(), 3);
    out += ' ';
    if (f.is_control()) {
      out.append(f.data());
    } else {
      auto i = f.indicators();
      for (unsigned k = 0; k < ind; ++k) out += i[k];
      for (const auto& s : f.subfields()) {
        std::string_view v = s.value();
        switch (s.shape()) {
          case subfield_shape::normal:
            out += " $";
            out += s.code();
            out += ' ';
            break;
          case subfield_shape::unlabelled: {
            std::string_view more = v.substr(0, extra);
            out.append(more);
            v.remove_prefix(more.size());
            if (v.empty()) continue;
            out += ' ';
            break;
          }
          case subfield_shape::no_code:
            if (v.empty()) continue;
            out += " $ ";
            break;
        }
        out.append(v);
      }
    }
    out += '\n';
  }
  out += '\n';
}

/// The line form of `rec`.
template <class Record>
[[nodiscard]] std::string to_line(const Record& rec) {
  std::string s;
  write_line(rec, s);
  return s;
}

MARCPP_NAMESPACE_END
