// The MARC-8 codec (docs/charsets.md), with the input taken both as MARC-8
// to decode and as UTF-8 to encode:
// - decoding never fails under lenient, always gives valid UTF-8 and at most
//   three bytes per input byte; strict fails exactly when lenient repaired
//   something, and otherwise gives the same text;
// - encoding never fails under lenient (with or without numeric character
//   references); strict fails exactly when lenient reported a fault (not a
//   warning); what the encoder writes is MARC-8 that decodes without a
//   fault;
// - UTF-8 -> MARC-8 -> UTF-8 gives back every code point, precomposed
//   letters MARC-8 holds decomposed coming back decomposed; and MARC-8
//   written by the encoder encodes back to the same bytes;
// - a diagnostic that counts the faults not listed has their level.
#include "fuzz.hpp"

#include <map>

namespace {

using marcpp::severity;
namespace m8 = marcpp::marc8;

bool valid_utf8(std::string_view s) { return marcpp::detail::find_invalid_utf8(s.data(), s.size()) == s.size(); }

bool any_fault(const std::vector<marcpp::diagnostic>& report) {
  for (const auto& d : report)
    if (d.level != severity::warning) return true;
  return false;
}

// Each kind's diagnostics have one level in one conversion; so has the one
// that counts those not listed.
void check_levels(const std::vector<marcpp::diagnostic>& report, const std::string& what) {
  std::map<marcpp::errc, severity> level;
  for (const auto& d : report) {
    FUZZ_CHECK(d.level != severity::error, what + ": an error in a lenient report: " + marcpp::to_string(d));
    auto [it, added] = level.emplace(d.code, d.level);
    FUZZ_CHECK(added || it->second == d.level, what + ": levels differ within a kind: " + marcpp::to_string(d));
  }
}

std::string expected_back(std::string_view s) {
  // Every code point as it was, but the precomposed letters MARC-8 holds as
  // a base and combining marks, which come back decomposed.
  std::string out;
  std::size_t j = 0;
  while (j < s.size()) {
    std::size_t len;
    const std::uint32_t cp = marcpp::detail::read_utf8(s.data() + j, s.size() - j, len);
    auto parts = marcpp::detail::decomposition_find(cp);
    if (parts.first)
      for (auto p = parts.first; p != parts.second; ++p) marcpp::detail::append_utf8(out, *p);
    else
      marcpp::detail::append_utf8(out, cp);
    j += len;
  }
  return out;
}

int one_input(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = marcpp_fuzz::as_text(data, size);
  const m8::decode_options lenient_d{}, strict_d{.policy = marcpp::error_policy::strict};
  const m8::encode_options lenient_e{}, strict_e{.policy = marcpp::error_policy::strict};

  // Decoding.
  std::string utf8;
  std::vector<marcpp::diagnostic> report;
  marcpp::diagnostic err = m8::decode(in, utf8, lenient_d, &report);
  FUZZ_CHECK(!err, "lenient decoding failed: " + marcpp::to_string(err));
  FUZZ_CHECK(valid_utf8(utf8), "decoding gave bytes that are not UTF-8: " + marcpp::detail::printable(utf8));
  FUZZ_CHECK(utf8.size() <= 3 * size, "decoding gave more than three bytes per input byte");
  check_levels(report, "decoding");
  {
    std::string s = "x";
    err = m8::decode(in, s, strict_d);
    FUZZ_CHECK(static_cast<bool>(err) == any_fault(report),
               "strict decoding " + std::string(err ? "failed" : "succeeded") + "; lenient reported " +
                   std::to_string(report.size()) + " diagnostics");
    FUZZ_CHECK(s == (err ? std::string("x") : "x" + utf8), "strict decoding gave other text than lenient");
  }

  // Encoding, with and without numeric character references.
  for (bool ncr : {true, false}) {
    const std::string how = ncr ? "encoding" : "encoding without references";
    m8::encode_options lo = lenient_e, so = strict_e;
    lo.numeric_references = so.numeric_references = ncr;
    std::string marc8;
    report.clear();
    err = m8::encode(in, marc8, lo, &report);
    FUZZ_CHECK(!err, how + ": lenient failed: " + marcpp::to_string(err));
    check_levels(report, how);
    std::string s = "x";
    err = m8::encode(in, s, so);
    FUZZ_CHECK(static_cast<bool>(err) == any_fault(report), how + ": strict " + (err ? "failed" : "succeeded") +
                                                                 " against lenient's report");
    FUZZ_CHECK(s == (err ? std::string("x") : "x" + marc8), how + ": strict gave other bytes than lenient");
    std::string back;
    err = m8::decode(marc8, back, strict_d);
    FUZZ_CHECK(!err, how + ": what the encoder wrote does not decode: " + marcpp::detail::printable(marc8) + ": " +
                         marcpp::to_string(err));
    if (!ncr) continue;
    if (valid_utf8(in))
      FUZZ_SAME(back, expected_back(in), "UTF-8 -> MARC-8 -> UTF-8 does not give back the text");
    // MARC-8 written the canonical way encodes back to the same bytes.
    std::string again;
    err = m8::encode(back, again, strict_e);
    FUZZ_CHECK(!err, "the decoded text of canonical MARC-8 does not encode: " + marcpp::to_string(err));
    FUZZ_SAME(again, marc8, "MARC-8 written by the encoder does not encode back to the same bytes");
  }
  return 0;
}

}  // namespace

MARCPP_FUZZ_TARGET(marc8, one_input)
