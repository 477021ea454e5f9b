# Lab tests (label "lab"), one pair per labs/NN-topic/ folder with a grade.py:
#   lab.NN.reference  the solved tree of lab NN (its reference, later labs as
#                     stand-ins) scores full marks; no hole prints an expected line
#   lab.NN.export     the student tree of lab NN (tools/lab-export) holds no solution
#                     of lab NN or later, builds, boots, and every test of lab NN
#                     fails as "not implemented"
#   lab.NN.mutants    every wrong solution of labs/NN-*/mutants.py loses points in
#                     the tests it names; every variant scores full marks
# In a student tree (labs/EXPORTED names its lab) there is one test instead,
# lab.NN.grade: the student's own score, passing at full marks.
file(GLOB cohort_lab_dirs LIST_DIRECTORIES true CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/labs/[0-9][0-9]-*)
set(cohort_lab_exported "")
if(EXISTS ${CMAKE_SOURCE_DIR}/labs/EXPORTED)
  file(STRINGS ${CMAKE_SOURCE_DIR}/labs/EXPORTED cohort_lab_exported REGEX "^lab=")
  string(REGEX REPLACE "^lab=" "" cohort_lab_exported "${cohort_lab_exported}")
endif()

foreach(dir ${cohort_lab_dirs})
  if(NOT EXISTS ${dir}/grade.py)
    continue()
  endif()
  get_filename_component(name ${dir} NAME)
  string(SUBSTRING ${name} 0 2 nn)
  if(cohort_lab_exported)
    if(nn STREQUAL cohort_lab_exported)
      add_test(NAME lab.${nn}.grade COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tools/grade --lab ${nn}
        --build ${CMAKE_BINARY_DIR} --no-build)
      set_tests_properties(lab.${nn}.grade PROPERTIES LABELS "lab" TIMEOUT 900 PROCESSORS 2
        FIXTURES_REQUIRED cohort_kernels)
    endif()
    continue()
  endif()
  # Most lab boots run under -icount, in one host thread; the others have
  # timeouts made for a loaded host. So two lab tests share the two cores
  # (PROCESSORS 1): with PROCESSORS 2 each ran alone and used one core.
  # lab.NN.reference builds the solved tree that lab.NN.mutants then reuses.
  add_test(NAME lab.${nn}.reference COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tools/lab-ci reference ${nn}
    --build ${CMAKE_BINARY_DIR})
  set_tests_properties(lab.${nn}.reference PROPERTIES LABELS "lab" TIMEOUT 900 PROCESSORS 1
    FIXTURES_SETUP lab_${nn}_solved)
  # The first tree compiles everything into the shared ccache; the others,
  # which differ in a few files, then mostly hit it. So every other lab tree
  # is built after lab 01's (DEPENDS orders, pass or fail; it skips nothing).
  if(NOT nn STREQUAL "01")
    set_tests_properties(lab.${nn}.reference PROPERTIES DEPENDS lab.01.reference)
  endif()
  # The Doxygen pages are searched for leaks in lab 01's tree only: it is the
  # one that holds no solution at all (lab 01 stubbed, labs 02-08 stand-ins),
  # so its pages are the strictest case; the other trees' sources and docs/
  # are searched line by line all the same.
  if(nn STREQUAL "01")
    set(_lab_docs "")
  else()
    set(_lab_docs "--no-docs")
  endif()
  add_test(NAME lab.${nn}.export COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tools/lab-ci export ${nn}
    --build ${CMAKE_BINARY_DIR} ${_lab_docs})
  # A student tree stops at its first stub: short boots that need no core to themselves.
  set_tests_properties(lab.${nn}.export PROPERTIES LABELS "lab" TIMEOUT 900 PROCESSORS 1
    DEPENDS lab.01.reference)
  if(EXISTS ${dir}/mutants.py)
    add_test(NAME lab.${nn}.mutants COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tools/lab-ci mutants ${nn}
      --build ${CMAKE_BINARY_DIR})
    set_tests_properties(lab.${nn}.mutants PROPERTIES LABELS "lab" TIMEOUT 1800 PROCESSORS 1
      FIXTURES_REQUIRED lab_${nn}_solved)
  endif()
endforeach()

# The instructor's workflow (make handin, tools/grade --submission) on lab 07.
if(NOT cohort_lab_exported AND EXISTS ${CMAKE_SOURCE_DIR}/labs/07-sched/grade.py)
  add_test(NAME lab.instructor COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/tools/lab-ci instructor 7
    --build ${CMAKE_BINARY_DIR})
  set_tests_properties(lab.instructor PROPERTIES LABELS "lab" TIMEOUT 900 PROCESSORS 1)
endif()
