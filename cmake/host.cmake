# Host side: the portable sources as a library, Boost.Test unit tests on top.
find_package(Boost 1.74 REQUIRED COMPONENTS unit_test_framework)

add_library(cohort_host STATIC ${COHORT_PORTABLE_SOURCES})
# -iquote, not -I: the kernel's headers are found by #include "x.h" only, so
# src/syscall.h or src/cpuid.h never stands in for the C library's <syscall.h>
# (which libstdc++'s <atomic> reaches) or the compiler's <cpuid.h>.
target_compile_options(cohort_host PUBLIC -iquote ${CMAKE_SOURCE_DIR}/src)
target_compile_definitions(cohort_host PUBLIC COHORT_HOST=1)
target_compile_options(cohort_host PRIVATE -Wall -Wextra -Werror)

# One binary; each tests/unit/test_<name>.cpp holds BOOST_AUTO_TEST_SUITE(<name>)
# and becomes the CTest test unit.<name>.
file(GLOB COHORT_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.cpp)
add_executable(unit_tests
  ${CMAKE_SOURCE_DIR}/tests/unit/main.cpp
  ${CMAKE_SOURCE_DIR}/tests/unit/host_log.cpp
  ${COHORT_UNIT_TESTS})
target_link_libraries(unit_tests PRIVATE cohort_host Boost::unit_test_framework pthread)
target_compile_definitions(unit_tests PRIVATE BOOST_TEST_DYN_LINK)
# The data path goes to main.cpp alone (test_data.h says why).
set_source_files_properties(${CMAKE_SOURCE_DIR}/tests/unit/main.cpp PROPERTIES
  COMPILE_DEFINITIONS COHORT_TEST_DATA="${CMAKE_SOURCE_DIR}/tests/data")
target_compile_options(unit_tests PRIVATE -Wall -Wextra)
foreach(f ${COHORT_UNIT_TESTS})
  get_filename_component(n ${f} NAME_WE)
  string(REGEX REPLACE "^test_" "" n ${n})
  add_test(NAME unit.${n} COMMAND unit_tests --run_test=${n} --log_level=message)
  # Threads stand in for CPUs: a lock that loses a ticket hangs its suite, which
  # must fail, not stall the run (the slowest suite takes about 6 s).
  set_tests_properties(unit.${n} PROPERTIES LABELS "unit" TIMEOUT 120)
endforeach()
include(${CMAKE_SOURCE_DIR}/tests/unit/lab04_fakehw/fakehw.cmake)
