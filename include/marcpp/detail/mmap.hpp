// SPDX-License-Identifier: MIT
#pragma once

// The memory-mapping adapter: the only header that includes
// Boost.Interprocess.

#include <marcpp/config.hpp>

#include <boost/interprocess/file_mapping.hpp>
#include <boost/interprocess/mapped_region.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <system_error>

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// A read-only mapping of a whole file. An empty file maps to no bytes.
class mapped_file {
 public:
  mapped_file() = default;

  /// Maps `path`; returns an empty string on success, otherwise why not.
  std::string open(const std::filesystem::path& path) {
    namespace bip = boost::interprocess;
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) return path.string() + ": " + ec.message();
    if (!std::filesystem::is_regular_file(path, ec)) return path.string() + ": not a regular file";
    if (size == 0) {
      data_ = nullptr;
      size_ = 0;
      return {};
    }
#if MARCPP_HAS_EXCEPTIONS
    try {
      file_ = bip::file_mapping(path.c_str(), bip::read_only);
      region_ = bip::mapped_region(file_, bip::read_only);
      region_.advise(bip::mapped_region::advice_sequential);
    } catch (const std::exception& e) {
      return path.string() + ": cannot map the file: " + e.what();
    }
    data_ = static_cast<const char*>(region_.get_address());
    size_ = region_.get_size();
    return {};
#else
    return path.string() + ": memory mapping needs exceptions enabled";
#endif
  }

  [[nodiscard]] const char* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  boost::interprocess::file_mapping file_;
  boost::interprocess::mapped_region region_;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace detail
MARCPP_NAMESPACE_END
