# Finds xxHash's header, xxhash.h. marcpp inlines xxHash (XXH_INLINE_ALL), so
# only the header is needed: no library is linked. Defines the imported
# target xxHash::xxhash (the name xxHash's own CMake package gives it, used
# as it is when that package was loaded first) and xxHash_FOUND.
#
#   find_package(xxHash)    -DCMAKE_DISABLE_FIND_PACKAGE_xxHash=ON leaves it out
if(TARGET xxHash::xxhash)
  set(xxHash_FOUND TRUE)
  return()
endif()
find_path(xxHash_INCLUDE_DIR NAMES xxhash.h DOC "The directory that holds xxhash.h")
mark_as_advanced(xxHash_INCLUDE_DIR)
if(xxHash_INCLUDE_DIR AND EXISTS "${xxHash_INCLUDE_DIR}/xxhash.h")
  file(STRINGS "${xxHash_INCLUDE_DIR}/xxhash.h" xxHash_version_lines
       REGEX "^#define XXH_VERSION_(MAJOR|MINOR|RELEASE) +[0-9]+")
  set(xxHash_VERSION "")
  foreach(part MAJOR MINOR RELEASE)
    foreach(line IN LISTS xxHash_version_lines)
      if(line MATCHES "^#define XXH_VERSION_${part} +([0-9]+)")
        string(APPEND xxHash_VERSION "${CMAKE_MATCH_1}.")
      endif()
    endforeach()
  endforeach()
  string(REGEX REPLACE "\\.$" "" xxHash_VERSION "${xxHash_VERSION}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(xxHash REQUIRED_VARS xxHash_INCLUDE_DIR VERSION_VAR xxHash_VERSION)
if(xxHash_FOUND AND NOT TARGET xxHash::xxhash)
  add_library(xxHash::xxhash INTERFACE IMPORTED)
  set_target_properties(xxHash::xxhash PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${xxHash_INCLUDE_DIR}")
endif()
