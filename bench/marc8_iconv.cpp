// A MARC-8 <-> UTF-8 stream converter for bench/charset-compare, which times
// it against yaz-iconv on the same bytes.
//
//   marcpp_marc8_iconv extract OUT FILE...   the values of the MARC-8 records of FILEs, separated by 0x1E
//   marcpp_marc8_iconv decode FILE           MARC-8 to UTF-8 on standard output (yaz-iconv -f MARC8 -t UTF8)
//   marcpp_marc8_iconv encode FILE           UTF-8 to MARC-8 on standard output (yaz-iconv -f UTF8 -t MARC8)
//
// `extract` keeps the values both converters read the same way: no MARC-8
// fault, no control character, no numeric character reference, no lone
// second half of a double diacritic, and the default sets at the end.
#include <marcpp/marcpp.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

namespace {

int usage() {
  std::cerr << "usage: marcpp_marc8_iconv extract OUT FILE... | decode FILE | encode FILE\n";
  return 2;
}

bool plain_enough(std::string_view v) {
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != 0x1B) || c == 0x7F) return false;
  }
  if (v.find("&#x") != std::string_view::npos) return false;
  marcpp::detail::marc8_decoder dec;
  std::string out;
  bool fault = false;
  if (!dec.convert(v, out, true, false, [&](marcpp::detail::charset_fault&&) { fault = true; }) || fault) return false;
  if (!dec.at_default()) return false;
  return out.find("\xEF\xB8\xA1") == std::string::npos && out.find("\xEF\xB8\xA3") == std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string mode = argv[1];
  if (mode == "extract") {
    if (argc < 4) return usage();
    std::ofstream out(argv[2], std::ios::binary);
    std::size_t n = 0;
    for (int i = 3; i < argc; ++i) {
      marcpp::reader r{marcpp::mmap_source{argv[i]}};
      marcpp::record_view v;
      while (r.next(v)) {
        if (v.leader().is_unicode() || !marcpp::check_encoding(v).agrees()) continue;
        for (const auto& f : v) {
          auto add = [&](std::string_view s) {
            if (!plain_enough(s)) return;
            out.write(s.data(), static_cast<std::streamsize>(s.size()));
            out.put('\x1E');
            ++n;
          };
          if (f.is_control()) add(f.data());
          else
            for (const auto& s : f.subfields()) add(s.value());
        }
      }
    }
    std::cerr << "marcpp_marc8_iconv: " << n << " values\n";
    return out ? 0 : 1;
  }
  if (mode != "decode" && mode != "encode") return usage();
  marcpp::mmap_source src{argv[2]};
  std::string out;
  marcpp::diagnostic err = mode == "decode" ? marcpp::marc8::decode(src.bytes(), out)
                                            : marcpp::marc8::encode(src.bytes(), out);
  if (err) {
    std::cerr << "marcpp_marc8_iconv: " << marcpp::to_string(err) << '\n';
    return 1;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
