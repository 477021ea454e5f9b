# Boot tests: every case registered in tests/boot/cases/*.py becomes the CTest
# test boot.<case>, which runs tests/boot/boot.py --case <case>.
#
# boot.py --list prints one line per case: name, labels (comma-separated),
# timeout in seconds, host CPUs it keeps busy. Configure reruns when boot.py or
# any cases file changes, so a new case is registered by the next build.
set(COHORT_BOOT_DIR ${CMAKE_SOURCE_DIR}/tests/boot)
file(GLOB COHORT_BOOT_SOURCES CONFIGURE_DEPENDS ${COHORT_BOOT_DIR}/*.py ${COHORT_BOOT_DIR}/cases/*.py)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${COHORT_BOOT_SOURCES})

execute_process(COMMAND ${PYTHON3} ${COHORT_BOOT_DIR}/boot.py --list
  OUTPUT_VARIABLE cohort_boot_list RESULT_VARIABLE cohort_boot_rc)
if(NOT cohort_boot_rc EQUAL 0)
  message(FATAL_ERROR "tests/boot/boot.py --list failed:\n${cohort_boot_list}")
endif()

# The kernels and ISOs must be current before any boot: a fixture that runs the
# build, so `ctest -R boot.x` alone also boots what the sources say.
add_test(NAME boot.build COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} -j2
  --target iso-i686 iso-amd64)
set_tests_properties(boot.build PROPERTIES FIXTURES_SETUP cohort_kernels
  LABELS "boot" TIMEOUT 900)

string(REPLACE "\n" ";" cohort_boot_lines "${cohort_boot_list}")
foreach(line IN LISTS cohort_boot_lines)
  if(line STREQUAL "")
    continue()
  endif()
  string(REPLACE "\t" ";" fields "${line}")
  list(GET fields 0 name)
  list(GET fields 1 labels)
  list(GET fields 2 timeout)
  list(GET fields 3 cpus)
  string(REPLACE "," ";" labels "${labels}")
  math(EXPR ctest_timeout "${timeout} + 60")  # the ISO build and QEMU's start are not in the case's timeout
  add_test(NAME boot.${name}
    COMMAND ${PYTHON3} ${COHORT_BOOT_DIR}/boot.py --build-dir ${CMAKE_BINARY_DIR} --case ${name})
  # PROCESSORS: the host threads a boot keeps busy (boot.py host_cpus()): 2
  # for a multi-CPU boot without -icount (TCG runs a thread per vCPU), else 1
  # (a single CPU, Bochs, or -icount, whose vCPUs take turns on one thread).
  set_tests_properties(boot.${name} PROPERTIES LABELS "${labels}" TIMEOUT ${ctest_timeout}
    PROCESSORS ${cpus} FIXTURES_REQUIRED cohort_kernels)
endforeach()

# tools/bench in its short mode: one run of 1, 2 and 4 CPUs per arch and mode.
# It fails when a figure the kernel's sources print did not come out or a
# picture is not well-formed XML, never on a time. Its results go to
# bench-short/, apart from those of make bench.
add_test(NAME bench.short COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tools/bench --short
  --build-dir ${CMAKE_BINARY_DIR} --out ${CMAKE_BINARY_DIR}/bench-short)
set_tests_properties(bench.short PROPERTIES LABELS "bench" TIMEOUT 900 PROCESSORS 2
  FIXTURES_REQUIRED cohort_kernels)
