# Documentation and debugging aids (CTest label `docs`):
#
#   cmake --build <build> --target docs   the walkthrough and API reference in
#                                         <build>/docs/html; lists every Doxygen
#                                         warning and fails if there was one
#   docs.doxygen       Doxygen with WARN_AS_ERROR=YES: the first warning fails the
#                      test (an undocumented public symbol, a \snippet marker that
#                      moved, a \ref to a name that is gone), and so does a
#                      lab marker line (// LAB nn BEGIN) left in a page
#   docs.gdb_helpers   tools/gdb/cohort.py loads in a batch-mode gdb against both
#                      kernel ELFs, no QEMU, and its commands read struct Cpu and
#                      cpus[] from the debug information
#
# Two Doxygen passes: the reference shows the amd64 headers of src/arch (both
# arch folders declare the same names, which one reference cannot hold twice);
# a second pass with no pages checks that the i686 headers are documented too.
#
# This file is also the script those commands run: cmake -DACTION=doxygen|gdb
# ... -P cmake/docs.cmake.

if(CMAKE_SCRIPT_MODE_FILE)
  # ---- script mode ----------------------------------------------------------
  function(cohort_fail_if_warned what out rc)
    if(NOT rc EQUAL 0 OR out MATCHES "(warning|error):")
      message(FATAL_ERROR "${what} failed (exit status ${rc}):\n${out}")
    endif()
  endfunction()

  if(ACTION STREQUAL "doxygen")
    if(NOT DOXYGEN)
      message(FATAL_ERROR "doxygen is not installed: run tools/install-deps")
    endif()
    file(MAKE_DIRECTORY ${OUT} ${OUT}/i686-check)
    # Relative paths in the Doxyfile (docs, src) are resolved against the
    # working directory, the top of the tree; only the output moves.
    file(WRITE ${OUT}/Doxyfile.reference
      "@INCLUDE = ${SRC}/Doxyfile\n"
      "OUTPUT_DIRECTORY = ${OUT}\n"
      "WARN_AS_ERROR = ${WARN}\n")
    file(WRITE ${OUT}/Doxyfile.i686
      "@INCLUDE = ${SRC}/Doxyfile\n"
      "OUTPUT_DIRECTORY = ${OUT}/i686-check\n"
      "INPUT = src/arch/i686\n"
      "EXCLUDE_PATTERNS =\n"
      "USE_MDFILE_AS_MAINPAGE =\n"
      "SOURCE_BROWSER = NO\n"
      "SEARCHENGINE = NO\n"
      "GENERATE_TREEVIEW = NO\n"
      "HAVE_DOT = NO\n"
      "WARN_AS_ERROR = ${WARN}\n")
    foreach(pass reference i686)
      execute_process(COMMAND ${DOXYGEN} ${OUT}/Doxyfile.${pass}
        WORKING_DIRECTORY ${SRC} OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE rc)
      cohort_fail_if_warned("doxygen (${pass} pass)" "${out}" "${rc}")
    endforeach()
    # The lab markers are filtered out of what Doxygen reads
    # (tools/doxygen-lab-filter): no published page may show one.
    file(GLOB pages ${OUT}/html/*.html)
    foreach(page ${pages})
      file(STRINGS ${page} hits REGEX "LAB [0-9][0-9] (BEGIN|STUB|LATER|END)")
      if(hits)
        list(GET hits 0 first)
        message(FATAL_ERROR "doxygen: ${page} shows a lab marker (is tools/doxygen-lab-filter in FILTER_PATTERNS?):\n${first}")
      endif()
    endforeach()
    message(STATUS "docs: ${OUT}/html/index.html")

  elseif(ACTION STREQUAL "gdb")
    if(NOT GDB)
      message(FATAL_ERROR "gdb is not installed: run tools/install-deps")
    endif()
    foreach(arch amd64 i686)
      set(elf ${BUILD}/kernel-${arch}.elf)
      if(NOT EXISTS ${elf})
        message(FATAL_ERROR "${elf} is missing: build it first (cmake --build ${BUILD} --target kernel-${arch})")
      endif()
      # -nx: no ~/.gdbinit, so only the helpers are judged.
      execute_process(COMMAND ${GDB} -nx -batch
        -ex "source ${SRC}/tools/gdb/cohort.py"
        -ex "ptype struct Cpu"
        -ex "help cohort-cpus"
        -ex "help cohort-cpu"
        -ex "help cohort-disas"
        -ex "cohort-cpus --static"
        -ex "cohort-cpu 0 --static"
        ${elf}
        OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE rc)
      message("---- gdb on kernel-${arch}.elf ----\n${out}")
      foreach(expect
          "type = struct Cpu {"                  # the DWARF has the per-CPU block
          "volatile uint32_t boot_stage;"
          "Print the CPU table"                  # the three commands are registered
          "Print one CPU's block"
          "Disassemble target memory"
          "static: cpus[] as the ELF image holds it"
          "boot_stage@28"                        # the header the trampoline reads
          "kid  apic_id  mode    online boot_stage"
          "0    0        none    0      0 NotStarted"
          "apic_mode                  none")
        string(FIND "${out}" "${expect}" at)
        if(at EQUAL -1)
          message(FATAL_ERROR "gdb helpers on kernel-${arch}.elf: missing \"${expect}\" in the output above")
        endif()
      endforeach()
      if(NOT rc EQUAL 0 OR out MATCHES "Python Exception|Error occurred|Undefined command|No symbol")
        message(FATAL_ERROR "gdb helpers on kernel-${arch}.elf: an error in the output above (exit status ${rc})")
      endif()
    endforeach()
  else()
    message(FATAL_ERROR "cmake/docs.cmake: ACTION must be doxygen or gdb")
  endif()
  return()
endif()

# ---- project mode: the target and the tests ---------------------------------
find_program(COHORT_DOXYGEN doxygen)
find_program(COHORT_GDB gdb)

add_custom_target(docs
  COMMAND ${CMAKE_COMMAND} -DACTION=doxygen -DSRC=${CMAKE_SOURCE_DIR} -DOUT=${CMAKE_BINARY_DIR}/docs
          -DWARN=FAIL_ON_WARNINGS -DDOXYGEN=${COHORT_DOXYGEN} -P ${CMAKE_CURRENT_LIST_FILE}
  COMMENT "Doxygen: the walkthrough and API reference in ${CMAKE_BINARY_DIR}/docs/html"
  VERBATIM)

add_test(NAME docs.doxygen
  COMMAND ${CMAKE_COMMAND} -DACTION=doxygen -DSRC=${CMAKE_SOURCE_DIR} -DOUT=${CMAKE_BINARY_DIR}/docs-check
          -DWARN=YES -DDOXYGEN=${COHORT_DOXYGEN} -P ${CMAKE_CURRENT_LIST_FILE})
set_tests_properties(docs.doxygen PROPERTIES LABELS "docs" TIMEOUT 600)

add_test(NAME docs.gdb_helpers
  COMMAND ${CMAKE_COMMAND} -DACTION=gdb -DSRC=${CMAKE_SOURCE_DIR} -DBUILD=${CMAKE_BINARY_DIR}
          -DGDB=${COHORT_GDB} -P ${CMAKE_CURRENT_LIST_FILE})
# The kernels come from the boot tests' build fixture (tests/boot/boot_tests.cmake).
set_tests_properties(docs.gdb_helpers PROPERTIES LABELS "docs" TIMEOUT 120
  FIXTURES_REQUIRED cohort_kernels)
