// The .mrk reader (docs/formats.md, "MARCMaker / MarcEdit text"), with the
// checks of text.hpp.
#include "text.hpp"

namespace {

struct mrk_format {
  static constexpr bool unicode = false;
  template <class Source>
  using reader = marcpp::mrk_reader<Source>;
  static marcpp::diagnostic write(const marcpp::record& r, std::string& out, std::vector<marcpp::diagnostic>*) {
    return marcpp::write_mrk(r, out);
  }
  static std::string wrap(const std::string& rec) { return rec; }
  static bool same(const marcpp::record&, const std::vector<marcpp::diagnostic>&) { return true; }
};

int one_input(const std::uint8_t* data, std::size_t size) { return marcpp_fuzz::check_text_input<mrk_format>(data, size); }

}  // namespace

MARCPP_FUZZ_TARGET(mrk, one_input)
