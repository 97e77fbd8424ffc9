// ISO 2709 under each error policy, into both record flavours. What is
// checked is what docs/reading.md promises:
// - no byte is silently lost: delivered records, skipped records and
//   filler, by offset, rebuild the input (a prefix of it when strict stops);
// - every delivered record can be written, or is refused cleanly by the
//   writer (nothing appended); what is written reads back to the same
//   record, from a record_view and from an owning record alike;
// - the policies agree: strict delivers what lenient delivers before the
//   first fault and stops there (it stops iff lenient found a fault), skip
//   delivers exactly the lenient records that carry no fault;
// - a stream read in small chunks gives what memory gives, diagnostic for
//   diagnostic; reading into `record` gives what reading into
//   `record_view` gives.
#include "fuzz.hpp"

#include <sstream>

namespace {

using marcpp::error_policy;
using marcpp_fuzz::transcript;

struct run {
  transcript t;
  std::map<std::uint64_t, std::string> pieces;  // every byte reported, by offset
  std::vector<bool> faulty;                     // per delivered record
};

// The bytes of a record as read: a view's own; an owning record has none.
std::string_view raw_of(const marcpp::record_view& v) { return v.raw(); }
std::string_view raw_of(const marcpp::record&) { return {}; }

template <class Record, class Source>
run read_all(Source src, error_policy policy) {
  run out;
  marcpp::reader r{std::move(src), marcpp_fuzz::with(policy)};
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    out.t.add_diagnostic(d, raw);
    std::uint64_t at = marcpp::npos;
    if (d.code == marcpp::errc::bytes_between_records) at = d.offset;
    else if (d.level == marcpp::severity::error && d.record_offset != marcpp::npos) at = d.record_offset;
    if (at == marcpp::npos) return;
    // A record skipped for several faults is reported with its bytes once
    // for each.
    auto [it, added] = out.pieces.emplace(at, raw);
    FUZZ_CHECK(added || it->second == raw, "two different pieces of input reported at offset " + std::to_string(at));
  });
  Record rec;
  while (r.next(rec)) {
    out.t.add_record(rec, raw_of(rec));
    out.faulty.push_back(marcpp_fuzz::has_fault(rec));
    FUZZ_CHECK(out.pieces.find(rec.offset()) == out.pieces.end(), "a record at an offset already reported");
    out.pieces[rec.offset()] = std::string(raw_of(rec));
  }
  out.t.finish(r);
  return out;
}

// The pieces, in order, must be `input` (or, `prefix`, its beginning).
void check_pieces(const run& r, std::string_view input, bool prefix) {
  std::string joined;
  for (const auto& [off, s] : r.pieces) {
    FUZZ_CHECK(off == joined.size(), "input bytes lost or reported twice before offset " + std::to_string(off) +
                                         " (reported up to " + std::to_string(joined.size()) + ")");
    joined += s;
  }
  if (prefix) FUZZ_CHECK(input.substr(0, joined.size()) == joined, "the reported pieces are not the input's");
  else FUZZ_CHECK(joined == input, "the reported pieces do not rebuild the input");
}

// A delivered record: written from either flavour to the same bytes, or
// refused by both with nothing written; read back, the same record.
void check_writes(const marcpp::record_view& v) {
  const marcpp::record rec{v};
  std::string a = "x", b = "x";
  const marcpp::diagnostic wa = marcpp::write_iso2709(v, a);
  const marcpp::diagnostic wb = marcpp::write_iso2709(rec, b);
  FUZZ_CHECK(static_cast<bool>(wa) == static_cast<bool>(wb), marcpp::to_string(wa) + " / " + marcpp::to_string(wb));
  FUZZ_CHECK(a == b, "a view and its record are written differently");
  if (wa) {
    FUZZ_CHECK(a == "x", "a refused record left bytes behind: " + marcpp::to_string(wa));
    FUZZ_CHECK(wa.code == wb.code, marcpp::to_string(wa) + " / " + marcpp::to_string(wb));
    return;
  }
  a.erase(0, 1);
  marcpp::reader back{marcpp::memory_source{a}, marcpp_fuzz::with(error_policy::lenient)};
  std::string faults;
  back.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) {
    // A value that is not UTF-8 in a UTF-8 record is kept, flagged: it is
    // flagged again when read back.
    if (d.level != marcpp::severity::warning && d.code != marcpp::errc::invalid_utf8) faults += marcpp::to_string(d) + "\n";
  });
  marcpp::record_view w;
  FUZZ_CHECK(back.next(w), "a record written is not read back: " + marcpp::detail::printable(a));
  FUZZ_CHECK(faults.empty(), "a record written reads back with faults: " + faults);
  FUZZ_SAME(marcpp::to_line(w).substr(25), marcpp::to_line(v).substr(25), "a record written reads back different");
  FUZZ_CHECK(marcpp::record{w} == rec, "a record written reads back different (leader or fields)");
  FUZZ_CHECK(!back.next(w), "a record written reads back as two");
}

int one_input(const std::uint8_t* data, std::size_t size) {
  const std::string input(marcpp_fuzz::as_text(data, size));

  const run lenient = read_all<marcpp::record_view>(marcpp::memory_source{input}, error_policy::lenient);
  FUZZ_CHECK(!lenient.t.failed, marcpp::to_string(lenient.t.error));
  check_pieces(lenient, input, false);
  {
    marcpp::reader r{marcpp::memory_source{input}};
    marcpp::record_view v;
    while (r.next(v)) check_writes(v);
  }

  // Both flavours, and a stream in small chunks, say the same.
  const run owning = read_all<marcpp::record>(marcpp::memory_source{input}, error_policy::lenient);
  FUZZ_SAME(owning.t.content, lenient.t.content, "reading into record differs from reading into record_view");
  {
    std::istringstream in(input);
    const run streamed = read_all<marcpp::record_view>(marcpp::stream_source{in, 64 + size % 193}, error_policy::lenient);
    FUZZ_SAME(streamed.t.text, lenient.t.text, "a stream differs from memory");
  }

  // The policies.
  std::uint64_t first_fault = marcpp::npos;
  for (const auto& d : lenient.t.diags)
    if (d.level != marcpp::severity::warning)
      first_fault = std::min(first_fault, d.record_offset != marcpp::npos ? d.record_offset : d.offset);
  const run strict = read_all<marcpp::record_view>(marcpp::memory_source{input}, error_policy::strict);
  FUZZ_CHECK(strict.t.failed == (lenient.t.stats.faults > 0),
             "strict " + std::string(strict.t.failed ? "stopped" : "did not stop") + ", lenient found " +
                 std::to_string(lenient.t.stats.faults) + " faults");
  check_pieces(strict, input, strict.t.failed);
  std::size_t before = 0;
  while (before < lenient.t.records.size() && lenient.t.records[before].offset() < first_fault) ++before;
  FUZZ_CHECK(strict.t.records.size() == before, "strict delivered " + std::to_string(strict.t.records.size()) +
                                                    " records, lenient " + std::to_string(before) +
                                                    " before the first fault");
  for (std::size_t i = 0; i < before; ++i) {
    FUZZ_CHECK(strict.t.raws[i] == lenient.t.raws[i], "strict and lenient deliver different records");
    FUZZ_SAME(marcpp::to_line(strict.t.records[i]), marcpp::to_line(lenient.t.records[i]), "strict and lenient differ");
  }
  if (strict.t.failed && first_fault != marcpp::npos)
    FUZZ_CHECK(strict.t.error.record_offset == first_fault || strict.t.error.offset == first_fault,
               "strict stopped elsewhere than lenient's first fault: " + marcpp::to_string(strict.t.error));

  const run skip = read_all<marcpp::record_view>(marcpp::memory_source{input}, error_policy::skip);
  FUZZ_CHECK(!skip.t.failed, marcpp::to_string(skip.t.error));
  check_pieces(skip, input, false);
  std::size_t k = 0;
  for (std::size_t i = 0; i < lenient.t.records.size(); ++i) {
    if (lenient.faulty[i]) continue;
    FUZZ_CHECK(k < skip.t.records.size(), "skip dropped a record lenient delivered without a fault");
    FUZZ_CHECK(skip.t.raws[k] == lenient.t.raws[i], "skip and lenient deliver different records");
    FUZZ_SAME(marcpp::to_line(skip.t.records[k]), marcpp::to_line(lenient.t.records[i]), "skip and lenient differ");
    ++k;
  }
  FUZZ_CHECK(k == skip.t.records.size(), "skip delivered a record lenient repaired or skipped");
  FUZZ_CHECK(skip.t.stats.skipped == lenient.t.stats.skipped + lenient.t.stats.repaired,
             "skip skipped " + std::to_string(skip.t.stats.skipped) + " records");
  if (lenient.t.stats.faults == 0) {
    FUZZ_SAME(strict.t.text, lenient.t.text, "strict and lenient differ on clean input");
    FUZZ_SAME(skip.t.text, lenient.t.text, "skip and lenient differ on clean input");
  }
  return 0;
}

}  // namespace

MARCPP_FUZZ_TARGET(iso2709, one_input)
