// What the targets of the text formats (MARCXML, MARC-in-JSON, .mrk) check,
// given the format's reader and writer:
// - from memory and from a stream read in small chunks, the same records,
//   the same diagnostics (line and column included), the same end;
// - the policies agree: strict delivers what lenient delivers up to the
//   first fault and stops iff there is one; skip delivers exactly the
//   lenient records that carry no fault;
// - every record delivered is written in its own format, or refused with
//   nothing written; read back, it is the same record (`Format::same`
//   says when the format cannot hold a record exactly); and it is written
//   as ISO 2709, or refused, and reads back the same.
#pragma once

#include "fuzz.hpp"

#include <sstream>

namespace marcpp_fuzz {

template <template <class> class Reader, class Source>
transcript read_text(Source src, marcpp::error_policy policy) {
  transcript t;
  Reader<Source> r{std::move(src), with(policy)};
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) { t.add_diagnostic(d, raw); });
  marcpp::record rec;
  while (r.next(rec)) t.add_record(rec, r.raw());
  t.finish(r);
  return t;
}

// The lenient records a policy that refuses faults keeps: all of them up to
// the first fault (strict), or every one without a fault (skip).
inline void check_policies(const transcript& lenient, const transcript& strict, const transcript& skip) {
  FUZZ_CHECK(strict.failed == (lenient.stats.faults > 0),
             "strict " + std::string(strict.failed ? "stopped" : "did not stop") + "; lenient found " +
                 std::to_string(lenient.stats.faults) + " faults");
  // The first fault, record or not, by input offset.
  std::uint64_t first_fault = marcpp::npos;
  for (const auto& d : lenient.diags)
    if (d.level != marcpp::severity::warning)
      first_fault = std::min(first_fault, d.record_offset != marcpp::npos ? d.record_offset : d.offset);
  std::size_t before = 0;
  while (before < lenient.records.size() && lenient.records[before].offset() < first_fault) ++before;
  FUZZ_CHECK(strict.records.size() == before, "strict delivered " + std::to_string(strict.records.size()) +
                                                   " records; lenient delivered " + std::to_string(before) +
                                                   " before the first fault");
  for (std::size_t i = 0; i < before; ++i)
    FUZZ_SAME(marcpp::to_line(strict.records[i]), marcpp::to_line(lenient.records[i]), "strict and lenient differ");
  FUZZ_CHECK(!skip.failed, marcpp::to_string(skip.error));
  std::size_t k = 0;
  for (const auto& rec : lenient.records) {
    if (has_fault(rec)) continue;
    FUZZ_CHECK(k < skip.records.size(), "skip dropped a record lenient delivered without a fault");
    FUZZ_CHECK(skip.records[k].offset() == rec.offset(), "skip and lenient deliver different records");
    FUZZ_SAME(marcpp::to_line(skip.records[k]), marcpp::to_line(rec), "skip and lenient differ");
    ++k;
  }
  FUZZ_CHECK(k == skip.records.size(), "skip delivered a record that lenient repaired");
  if (lenient.stats.faults == 0) {
    FUZZ_SAME(strict.content, lenient.content, "strict and lenient differ on clean input");
    FUZZ_SAME(skip.content, lenient.content, "skip and lenient differ on clean input");
  }
}

// ISO 2709 has no mark for control fields: the reader takes a field for
// control data by its tag (00X) and, for a 00X, its shape (indicators and a
// delimiter make it a data field). A record the text formats allow, with a
// control field tagged 245 or a 00X data field without subfields, is written
// as ISO 2709 but reads back with that field in the other kind.
inline bool iso2709_holds_kinds(const marcpp::record& rec) {
  for (const auto& f : rec.fields()) {
    if (f.is_control() && !f.tag().is_control()) return false;
    if (!f.is_control() && f.tag().is_control() &&
        (f.subfields().empty() || f.subfields().front().shape() == marcpp::subfield_shape::unlabelled))
      return false;
  }
  return true;
}

// Written as ISO 2709, or refused with nothing written; read back the same.
inline void check_iso2709(const marcpp::record& rec) {
  std::string out = "x";
  const marcpp::diagnostic w = marcpp::write_iso2709(rec, out);
  if (w) {
    FUZZ_CHECK(out == "x", "a refused record left bytes behind: " + marcpp::to_string(w));
    return;
  }
  out.erase(0, 1);
  marcpp::reader back{marcpp::memory_source{out}};
  std::string faults;
  back.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) {
    if (d.level != marcpp::severity::warning && d.code != marcpp::errc::invalid_utf8) faults += marcpp::to_string(d) + "\n";
  });
  marcpp::record again;
  FUZZ_CHECK(back.next(again), "a record written as ISO 2709 is not read back: " + marcpp::detail::printable(out));
  FUZZ_CHECK(faults.empty(), "a record written as ISO 2709 reads back with faults: " + faults);
  if (!iso2709_holds_kinds(rec)) return;
  // The writer computes the record length and base address (leader/00-04, 12-16).
  FUZZ_SAME(marcpp::to_line(again).substr(25), marcpp::to_line(rec).substr(25),
            "a record written as ISO 2709 reads back different");
  // ... and writes a leader/22 of 1-9 as 0 (implementation-defined parts are
  // never written).
  marcpp::record expected = rec;
  if (expected.leader()[22] >= '1' && expected.leader()[22] <= '9') expected.leader().set(22, '0');
  FUZZ_CHECK(again == expected, "a record written as ISO 2709 reads back with another leader: \"" +
                                    marcpp::detail::printable(rec.leader().str()) + "\" then \"" +
                                    marcpp::detail::printable(again.leader().str()) + "\"");
}

// `Format` gives: `template <class S> using reader`, `write(rec, out,
// warnings)` (appends one record, returns the diagnostic), `wrap(text)` (a
// whole input holding that record), `same(rec, warnings)` (false when
// the format cannot hold this record exactly, as documented) and `unicode`
// (the format holds Unicode: records are written as `to_utf8` makes them).
template <class Format>
int check_text_input(const std::uint8_t* data, std::size_t size) {
  const std::string input(as_text(data, size));
  const transcript lenient = read_text<Format::template reader>(marcpp::memory_source{input}, marcpp::error_policy::lenient);
  {
    std::istringstream in(input);
    const transcript streamed =
        read_text<Format::template reader>(marcpp::stream_source{in, 64 + size % 193}, marcpp::error_policy::lenient);
    FUZZ_SAME(streamed.text, lenient.text, "a stream differs from memory");
  }
  check_policies(lenient,
                 read_text<Format::template reader>(marcpp::memory_source{input}, marcpp::error_policy::strict),
                 read_text<Format::template reader>(marcpp::memory_source{input}, marcpp::error_policy::skip));

  for (const auto& rec : lenient.records) {
    check_iso2709(rec);
    std::string out = "x";
    std::vector<marcpp::diagnostic> warnings;
    const marcpp::diagnostic w = Format::write(rec, out, &warnings);
    if (w) {
      FUZZ_CHECK(out == "x", "a refused record left bytes behind: " + marcpp::to_string(w));
      continue;
    }
    for (const auto& d : warnings) FUZZ_CHECK(d.level == marcpp::severity::warning, marcpp::to_string(d));
    const std::string text = Format::wrap(out.substr(1));
    const transcript back =
        read_text<Format::template reader>(marcpp::memory_source{text}, marcpp::error_policy::lenient);
    FUZZ_CHECK(back.records.size() == 1, "a record written reads back as " + std::to_string(back.records.size()) +
                                             " records: " + marcpp::detail::printable(text) + "\n" + back.text);
    if (!Format::same(rec, warnings)) continue;
    // Bytes that are not UTF-8 in a UTF-8 record are kept, flagged: they are
    // flagged again when read back.
    for (const auto& d : back.diags)
      FUZZ_CHECK(d.level == marcpp::severity::warning || d.code == marcpp::errc::invalid_utf8,
                 "a record written reads back with faults:\n" + back.text);
    // MARCXML and MARC-in-JSON hold Unicode: their writers write the record
    // as `to_utf8` makes it (docs/formats.md), whatever leader/09 says.
    marcpp::record expected = rec;
    if constexpr (Format::unicode) {
      marcpp::record converted;
      const marcpp::diagnostic c = marcpp::to_utf8(rec, converted);
      FUZZ_CHECK(!c, "a record the writer converted is refused by to_utf8: " + marcpp::to_string(c));
      expected = std::move(converted);
    }
    FUZZ_SAME(marcpp::to_line(back.records[0]), marcpp::to_line(expected),
              ("a record written reads back different: " + marcpp::detail::printable(text)).c_str());
    FUZZ_CHECK(back.records[0] == expected, "a record written reads back different (leader or fields)");
  }
  return 0;
}

}  // namespace marcpp_fuzz
