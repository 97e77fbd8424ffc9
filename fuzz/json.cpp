// The MARC-in-JSON reader (docs/formats.md, "MARC-in-JSON"): JSON Lines,
// arrays and records in any layout, with the checks of text.hpp.
#include "text.hpp"

namespace {

struct json_format {
  static constexpr bool unicode = true;
  template <class Source>
  using reader = marcpp::json_reader<Source>;
  static marcpp::diagnostic write(const marcpp::record& r, std::string& out, std::vector<marcpp::diagnostic>* w) {
    return marcpp::write_json(r, out, {}, w);
  }
  static std::string wrap(const std::string& rec) { return rec + "\n"; }
  static bool same(const marcpp::record&, const std::vector<marcpp::diagnostic>&) { return true; }
};

int one_input(const std::uint8_t* data, std::size_t size) { return marcpp_fuzz::check_text_input<json_format>(data, size); }

}  // namespace

MARCPP_FUZZ_TARGET(json, one_input)
