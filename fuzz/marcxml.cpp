// The MARCXML reader (docs/formats.md, "MARCXML"), with the checks of
// text.hpp. A record that holds Control Pictures of its own reads back
// with control characters (the writer warns: E709); it is not compared.
#include "text.hpp"

namespace {

struct marcxml_format {
  static constexpr bool unicode = true;
  template <class Source>
  using reader = marcpp::marcxml_reader<Source>;
  static marcpp::diagnostic write(const marcpp::record& r, std::string& out, std::vector<marcpp::diagnostic>* w) {
    return marcpp::write_marcxml(r, out, {}, w);
  }
  static std::string wrap(const std::string& rec) {
    return std::string(marcpp::marcxml_collection_open) + rec + std::string(marcpp::marcxml_collection_close);
  }
  static bool same(const marcpp::record&, const std::vector<marcpp::diagnostic>& warnings) {
    for (const auto& d : warnings)
      if (d.code == marcpp::errc::control_character_mapped) return false;
    return true;
  }
};

int one_input(const std::uint8_t* data, std::size_t size) {
  return marcpp_fuzz::check_text_input<marcxml_format>(data, size);
}

}  // namespace

MARCPP_FUZZ_TARGET(marcxml, one_input)
