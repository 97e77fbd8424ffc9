// gzip input with marcpp::compression (zlib, zstd) alone: a record is
// compressed with zlib here and read back through gzip_source.
#include <marcpp/compressed_source.hpp>
#include <marcpp/iso2709_writer.hpp>
#include <marcpp/reader.hpp>

#include <zlib.h>

#include <iostream>
#include <sstream>
#include <string>

static std::string gzip(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // 16: gzip framing
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

int main() {
  marcpp::record r;
  r.add(marcpp::field::control("001", "gz-1"));
  std::istringstream in(gzip(marcpp::to_iso2709(r)));
  if (marcpp::detect_compression(in.str()) != marcpp::compression::gzip) return 1;
  marcpp::reader rd{marcpp::gzip_source{in}};
  marcpp::record_view v;
  if (!rd.next(v) || v.control_number() != "gz-1") {
    std::cerr << "consumer_compression: unexpected result\n";
    return 1;
  }
  std::cout << "consumer_compression: ok\n";
  return 0;
}
