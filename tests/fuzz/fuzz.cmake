# Fuzz targets for the firmware-table parsers (libFuzzer, clang-14 from
# Debian's clang-14 and libfuzzer-14-dev), with AddressSanitizer and
# UndefinedBehaviorSanitizer: no input may crash a parser or make it read
# outside the memory its resolver gave it.
#
#   fuzz_acpi   RSDP, RSDT/XSDT, MADT (tests/fuzz/fuzz_acpi.cpp)
#   fuzz_mp     MP floating pointer and configuration table (tests/fuzz/fuzz_mp.cpp)
#
# CMake's compiler is g++, so clang++-14 is invoked directly. Each target is
# the CTest test fuzz.<name> (label "fuzz"): 20 seconds, seeded from the
# recorded tables in tests/data/tables (converted by tests/fuzz/make-seeds),
# failing on any crash or sanitizer report.
#
# The longer run, before changing a parser (an hour each; new inputs that
# reach new code are kept in the corpus directory, crashes as crash-* files):
#
#   cmake --build build --target fuzz_acpi fuzz_mp
#   build/fuzz/fuzz_acpi -max_total_time=3600 -jobs=2 build/fuzz/corpus/acpi build/fuzz/seeds/acpi
#   build/fuzz/fuzz_mp   -max_total_time=3600 -jobs=2 build/fuzz/corpus/mp   build/fuzz/seeds/mp
#
# Reproduce a crash with: build/fuzz/fuzz_acpi crash-<hash>
#
# The fuzzers are built with COHORT_MAX_CPUS=16 so that the capacity limits
# (CPUs, IOAPICs, overrides) are reached by small inputs.

find_program(COHORT_FUZZ_CXX clang++-14)
if(NOT COHORT_FUZZ_CXX)
  message(STATUS "clang++-14 not found: fuzz targets skipped (tools/install-deps installs it)")
  return()
endif()
execute_process(COMMAND ${COHORT_FUZZ_CXX} -print-file-name=libclang_rt.fuzzer-x86_64.a
  OUTPUT_VARIABLE _cohort_fuzzer_lib OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT EXISTS "${_cohort_fuzzer_lib}")
  message(STATUS "libFuzzer for clang-14 not found: fuzz targets skipped (package libfuzzer-14-dev)")
  return()
endif()

set(_fz ${CMAKE_BINARY_DIR}/fuzz)
set(_fuzz_sources ${CMAKE_SOURCE_DIR}/src/acpi.cpp ${CMAKE_SOURCE_DIR}/src/mp.cpp
  ${CMAKE_SOURCE_DIR}/src/cputable.cpp ${CMAKE_SOURCE_DIR}/src/format.cpp)
set(_fuzz_headers ${CMAKE_SOURCE_DIR}/src/acpi.h ${CMAKE_SOURCE_DIR}/src/mp.h
  ${CMAKE_SOURCE_DIR}/src/cputable.h ${CMAKE_SOURCE_DIR}/src/physmem.h
  ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_log.h)
file(GLOB _fuzz_snaps CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/data/tables/*.snap)

add_custom_command(OUTPUT ${_fz}/seeds.stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${_fz}/seeds
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/fuzz/make-seeds ${_fz}/seeds
  COMMAND ${CMAKE_COMMAND} -E touch ${_fz}/seeds.stamp
  DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/make-seeds ${_fuzz_snaps} VERBATIM)
add_custom_target(fuzz_seeds ALL DEPENDS ${_fz}/seeds.stamp)

foreach(_name acpi mp)
  add_custom_command(OUTPUT ${_fz}/fuzz_${_name}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_fz}/corpus/${_name}
    COMMAND ${COHORT_FUZZ_CXX} -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined
            -fno-sanitize-recover=all -DCOHORT_HOST=1 -DCOHORT_MAX_CPUS=16
            -I${CMAKE_SOURCE_DIR}/src -I${CMAKE_SOURCE_DIR}/tests/fuzz
            -o ${_fz}/fuzz_${_name} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${_name}.cpp ${_fuzz_sources}
    DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${_name}.cpp ${_fuzz_sources} ${_fuzz_headers}
    COMMENT "Building libFuzzer target fuzz_${_name}" VERBATIM)
  add_custom_target(fuzz_${_name} ALL DEPENDS ${_fz}/fuzz_${_name})
  add_dependencies(fuzz_${_name} fuzz_seeds)
  add_test(NAME fuzz.${_name}
    COMMAND ${_fz}/fuzz_${_name} -max_total_time=20 -timeout=10 -rss_limit_mb=2048
            -print_final_stats=1 ${_fz}/corpus/${_name} ${_fz}/seeds/${_name})
  set_tests_properties(fuzz.${_name} PROPERTIES LABELS "fuzz" TIMEOUT 120)
endforeach()
