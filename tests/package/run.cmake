# Installs marcpp into a fresh prefix, then configures, builds and runs a
# consumer project that finds it with find_package(marcpp CONFIG REQUIRED).
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
message(STATUS "find_package(marcpp) from ${prefix}: ok")
