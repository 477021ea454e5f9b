# Fuzz targets for the parsers of what the kernel is handed (libFuzzer,
# clang-14 from Debian's clang-14 and libfuzzer-14-dev), with AddressSanitizer
# and UndefinedBehaviorSanitizer: no input may crash a parser or make it read
# outside the memory it was given, and the oracles of tests/fuzz/fuzz_oracles.h
# must hold (counts against an independent walk, a consistent CPU table).
#
#   fuzz_acpi     RSDP, RSDT/XSDT, MADT and the CPU table; SRAT, SLIT and the NUMA
#                 nodes; also past the checksums
#   fuzz_mp       MP floating pointer, configuration table and the CPU table; likewise
#   fuzz_mb2      the Multiboot2 information (tests/fuzz/fuzz_mb2.cpp)
#   fuzz_cmdline  the kernel command line (tests/fuzz/fuzz_cmdline.cpp)
#
# CMake's compiler is g++, so clang++-14 is invoked directly. Each target is
# the CTest test fuzz.<name> (label "fuzz"): 10 seconds, seeded from
# tests/data (converted by tests/fuzz/make-seeds), failing on any crash,
# sanitizer report or broken oracle.
#
# The long run, before changing a parser: `make fuzz` (tools/fuzz) runs each
# target for 10^7 inputs and prints executions and coverage; new inputs that
# reach new code stay in build/fuzz/corpus/<name>, crashes as crash-* files.
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
set(_fuzz_flags -std=c++20 -g -O1 -fno-sanitize-recover=all -DCOHORT_HOST=1 -DCOHORT_MAX_CPUS=16
  -iquote ${CMAKE_SOURCE_DIR}/src -iquote ${CMAKE_SOURCE_DIR}/tests/fuzz)
# The formatter (every log line, format_options) is not a parser under test:
# it is built with the sanitizers, so a bad argument (a %s without its NUL)
# is still caught, but without the fuzzer's coverage tracing, which made
# formatting the log lines half of every input's time.
set(_fuzz_common ${_fz}/format.o)
add_custom_command(OUTPUT ${_fz}/format.o
  COMMAND ${COHORT_FUZZ_CXX} ${_fuzz_flags} -fsanitize=address,undefined
          -c -o ${_fz}/format.o ${CMAKE_SOURCE_DIR}/src/format.cpp
  DEPENDS ${CMAKE_SOURCE_DIR}/src/format.cpp ${CMAKE_SOURCE_DIR}/src/format.h
  COMMENT "Building the fuzz targets' formatter" VERBATIM)
set(_fuzz_sources_acpi ${CMAKE_SOURCE_DIR}/src/acpi.cpp ${CMAKE_SOURCE_DIR}/src/cputable.cpp
  ${CMAKE_SOURCE_DIR}/src/srat.cpp ${CMAKE_SOURCE_DIR}/src/numa.cpp ${CMAKE_SOURCE_DIR}/src/fadt.cpp
  ${_fuzz_common})
set(_fuzz_sources_mp ${CMAKE_SOURCE_DIR}/src/mp.cpp ${CMAKE_SOURCE_DIR}/src/cputable.cpp ${_fuzz_common})
set(_fuzz_sources_mb2 ${CMAKE_SOURCE_DIR}/src/multiboot2.cpp ${_fuzz_common})
set(_fuzz_sources_cmdline ${CMAKE_SOURCE_DIR}/src/cmdline.cpp ${_fuzz_common})
file(GLOB _fuzz_headers CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/*.h ${CMAKE_SOURCE_DIR}/tests/fuzz/*.h)
file(GLOB _fuzz_snaps CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/data/tables/*.snap)

add_custom_command(OUTPUT ${_fz}/seeds.stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${_fz}/seeds
  COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tests/fuzz/make-seeds ${_fz}/seeds
  COMMAND ${CMAKE_COMMAND} -E touch ${_fz}/seeds.stamp
  DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/make-seeds ${_fuzz_snaps} VERBATIM)
add_custom_target(fuzz_seeds ALL DEPENDS ${_fz}/seeds.stamp)

foreach(_name acpi mp mb2 cmdline)
  add_custom_command(OUTPUT ${_fz}/fuzz_${_name}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_fz}/corpus/${_name}
    COMMAND ${COHORT_FUZZ_CXX} ${_fuzz_flags} -fsanitize=fuzzer,address,undefined
            -o ${_fz}/fuzz_${_name} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${_name}.cpp ${_fuzz_sources_${_name}}
    DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${_name}.cpp ${_fuzz_sources_${_name}} ${_fuzz_headers}
    COMMENT "Building libFuzzer target fuzz_${_name}" VERBATIM)
  add_custom_target(fuzz_${_name} ALL DEPENDS ${_fz}/fuzz_${_name})
  add_dependencies(fuzz_${_name} fuzz_seeds)
  add_test(NAME fuzz.${_name}
    COMMAND ${_fz}/fuzz_${_name} -max_total_time=10 -timeout=10 -rss_limit_mb=2048
            -print_final_stats=1 ${_fz}/corpus/${_name} ${_fz}/seeds/${_name})
  set_tests_properties(fuzz.${_name} PROPERTIES LABELS "fuzz" TIMEOUT 120)
endforeach()
