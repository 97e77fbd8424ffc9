# Installs marcpp into a fresh prefix, then configures, builds and runs:
# - consumer/: a project that finds every component and links marcpp::marcpp
#   (and marcpp::icu for its normalising program);
# - components/: one project per component, found with COMPONENTS <it> alone,
#   configured with every other component's dependencies disabled
#   (CMAKE_DISABLE_FIND_PACKAGE_*), so that it proves the component needs
#   nothing else; the core program links none of those libraries, and a
#   compile of it with -H includes none of their headers, nor the other
#   components' headers, nor the MARC-8 tables.
cmake_policy(VERSION 3.24)
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
endfunction()
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_INSTALL_PREFIX=${prefix}
    -DMARCPP_BUILD_TESTS=OFF -DMARCPP_BUILD_EXAMPLES=OFF -DMARCPP_BUILD_BENCHMARKS=OFF -DMARCPP_INSTALL=ON)
run(${CMAKE_COMMAND} --install "${WORK_DIR}/build")
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/package/consumer" -B "${WORK_DIR}/consumer" -G "${GENERATOR}"
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build "${WORK_DIR}/consumer")
find_program(consumer NAMES consumer PATHS "${WORK_DIR}/consumer" NO_DEFAULT_PATH)
run("${consumer}")
# A program that does not normalise does not need ICU at link time.
find_program(readelf NAMES readelf)
if(readelf)
  execute_process(COMMAND "${readelf}" -d "${consumer}" OUTPUT_VARIABLE dynamic)
  if(dynamic MATCHES "libicu")
    message(FATAL_ERROR "the consumer that does not normalise links ICU:\n${dynamic}")
  endif()
endif()
find_program(consumer_icu NAMES consumer_icu PATHS "${WORK_DIR}/consumer" NO_DEFAULT_PATH)
if(consumer_icu)
  run("${consumer_icu}")
else()
  message(STATUS "marcpp::icu not installed (ICU not found): the normalising consumer is not built")
endif()

# The packages each component looks for, as CMAKE_DISABLE_FIND_PACKAGE_<name>
# spells them.
set(deps_parallel TBB)
set(deps_marcxml EXPAT)
set(deps_json simdjson)
set(deps_compression ZLIB zstd)
set(deps_index xxHash TBB)
set(deps_icu ICU)
set(all_deps TBB EXPAT simdjson ZLIB zstd xxHash ICU)
foreach(component core parallel marcxml json compression index icu)
  if(NOT component STREQUAL "core")
    # Installed only when its dependencies were found here.
    string(SUBSTRING "${component}" 0 1 first)
    string(SUBSTRING "${component}" 1 -1 rest)
    string(TOUPPER "${first}" first)
    if(NOT EXISTS "${prefix}/share/cmake/marcpp/marcpp${first}${rest}Targets.cmake")
      message(STATUS "marcpp::${component} not installed: its consumer is not built")
      continue()
    endif()
  endif()
  set(disable "")
  foreach(d IN LISTS all_deps)
    if(NOT d IN_LIST deps_${component})
      list(APPEND disable -DCMAKE_DISABLE_FIND_PACKAGE_${d}=ON)
    endif()
  endforeach()
  set(dir "${WORK_DIR}/component_${component}")
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/package/components" -B "${dir}" -G "${GENERATOR}"
      -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_PREFIX_PATH=${prefix} -DMARCPP_COMPONENT=${component} ${disable})
  run(${CMAKE_COMMAND} --build "${dir}")
  run("${dir}/consumer_${component}")
  if(component STREQUAL "core")
    run("${dir}/consumer_core_umbrella")
  endif()
endforeach()

# The core program links none of the other components' libraries...
if(readelf)
  execute_process(COMMAND "${readelf}" -d "${WORK_DIR}/component_core/consumer_core" OUTPUT_VARIABLE dynamic)
  if(dynamic MATCHES "libtbb|libexpat|libsimdjson|libz\\.|libzstd|libicu|libxxhash")
    message(FATAL_ERROR "the core consumer links another component's library:\n${dynamic}")
  endif()
endif()
# ... and includes none of their headers: the headers a compile of it opens
# (-H), with the include directories the core target gives.
execute_process(COMMAND ${CXX_COMPILER} -std=c++20 -I${prefix}/include -H -fsyntax-only
                        "${SOURCE_DIR}/tests/package/components/core.cpp"
                RESULT_VARIABLE rc ERROR_VARIABLE opened OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the core consumer does not compile with -H:\n${opened}")
endif()
if(NOT opened MATCHES "marcpp/reader\\.hpp" OR NOT opened MATCHES "marcpp/iso2709_writer\\.hpp")
  message(FATAL_ERROR "-H did not list marcpp's headers; the check below would prove nothing:\n${opened}")
endif()
string(REGEX MATCHALL "[^\n]*(oneapi/|tbb/|expat\\.h|simdjson|zlib\\.h|zstd\\.h|unicode/|xxhash\\.h|marc8_tables\\.hpp|marcpp/marc8\\.hpp|marcpp/charset\\.hpp|marcpp/(marcxml|json|parallel_reader|compressed_source|record_index|normalize)\\.hpp)[^\n]*"
       foreign "${opened}")
if(foreign)
  string(REPLACE ";" "\n" foreign "${foreign}")
  message(FATAL_ERROR "a program that reads and writes ISO 2709 with the core includes:\n${foreign}")
endif()
message(STATUS "find_package(marcpp) from ${prefix}, each component alone: ok")
