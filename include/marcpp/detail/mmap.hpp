// SPDX-License-Identifier: MIT
#pragma once

// The memory-mapping adapter. POSIX systems map with mmap(2), which needs
// no exceptions, so that a program built without them can map a file too;
// elsewhere Boost.Interprocess (this is the only header that includes it),
// which reports failures by throwing, so there a build without exceptions
// cannot map.

#include <marcpp/config.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <system_error>

#if defined(__unix__) || defined(__APPLE__)
#  include <cerrno>
#  include <cstring>
#  include <fcntl.h>
#  include <sys/mman.h>
#  include <sys/stat.h>
#  include <unistd.h>
#  define MARCPP_DETAIL_POSIX_MMAP 1
#else
#  define MARCPP_DETAIL_POSIX_MMAP 0
#  if MARCPP_HAS_EXCEPTIONS
#    include <boost/interprocess/file_mapping.hpp>
#    include <boost/interprocess/mapped_region.hpp>
#  endif
#endif

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// A read-only mapping of a whole file. An empty file maps to no bytes.
class mapped_file {
 public:
  mapped_file() = default;
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() { unmap(); }

  /// Maps `path`; returns an empty string on success, otherwise why not.
  std::string open(const std::filesystem::path& path) {
    unmap();
#if MARCPP_DETAIL_POSIX_MMAP
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return path.string() + ": " + std::strerror(errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      std::string why = path.string() + ": " + std::strerror(errno);
      ::close(fd);
      return why;
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return path.string() + ": not a regular file";
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size == 0) {
      ::close(fd);
      return {};
    }
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    const int mmap_errno = errno;
    ::close(fd);  // the mapping keeps the file
    if (p == MAP_FAILED) return path.string() + ": cannot map the file: " + std::strerror(mmap_errno);
#  if defined(MADV_SEQUENTIAL)
    ::madvise(p, size, MADV_SEQUENTIAL);
#  endif
    data_ = static_cast<const char*>(p);
    size_ = size;
    return {};
#else
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) return path.string() + ": " + ec.message();
    if (!std::filesystem::is_regular_file(path, ec)) return path.string() + ": not a regular file";
    if (size == 0) return {};
#  if MARCPP_HAS_EXCEPTIONS
    namespace bip = boost::interprocess;
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
#  else
    return path.string() + ": memory mapping needs exceptions on this system";
#  endif
#endif
  }

  [[nodiscard]] const char* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  void unmap() noexcept {
#if MARCPP_DETAIL_POSIX_MMAP
    if (data_) ::munmap(const_cast<char*>(data_), size_);
#endif
    data_ = nullptr;
    size_ = 0;
  }

#if !MARCPP_DETAIL_POSIX_MMAP && MARCPP_HAS_EXCEPTIONS
  boost::interprocess::file_mapping file_;
  boost::interprocess::mapped_region region_;
#endif
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace detail
MARCPP_NAMESPACE_END
