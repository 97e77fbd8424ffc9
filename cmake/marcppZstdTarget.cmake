# zstd's CMake package names its targets differently across distributions:
# zstd::libzstd_shared / zstd::libzstd_static (upstream, Debian) or
# zstd::libzstd (vcpkg, Conan). Sets MARCPP_ZSTD_TARGET to the one present.
if(TARGET zstd::libzstd_shared)
  set(MARCPP_ZSTD_TARGET zstd::libzstd_shared)
elseif(TARGET zstd::libzstd)
  set(MARCPP_ZSTD_TARGET zstd::libzstd)
elseif(TARGET zstd::libzstd_static)
  set(MARCPP_ZSTD_TARGET zstd::libzstd_static)
else()
  message(FATAL_ERROR "marcpp: zstd's CMake package defines no known target")
endif()
