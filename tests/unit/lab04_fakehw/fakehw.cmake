# Lab 04's host tests: the kernel's own src/lapic.cpp and i686 runlevel backend,
# compiled against a fake CPU (fake_device.h: IA32_APIC_BASE, the x2APIC MSRs,
# the xAPIC page, the TSC) so that the tests see what QEMU hides: the order of
# the ICR writes, the delivery-status poll and its timeout, the fence before
# the x2APIC ICR write, and the IA32_APIC_BASE steps. The sources are copied
# next to the fake headers so that their #include "x86.h" etc. find the fakes.
set(lab04_dir ${CMAKE_BINARY_DIR}/lab04_fakehw)
foreach(f lapic.cpp lapic.h)
  configure_file(${CMAKE_SOURCE_DIR}/src/${f} ${lab04_dir}/${f} COPYONLY)
endforeach()
configure_file(${CMAKE_SOURCE_DIR}/src/arch/i686/runlevel_arch.cpp ${lab04_dir}/runlevel_arch_i686.cpp COPYONLY)
file(GLOB lab04_fakes CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.h ${CMAKE_CURRENT_LIST_DIR}/*.cpp)
foreach(f ${lab04_fakes})
  get_filename_component(n ${f} NAME)
  configure_file(${f} ${lab04_dir}/${n} COPYONLY)
endforeach()
add_library(lab04_fakehw OBJECT ${lab04_dir}/lapic.cpp ${lab04_dir}/runlevel_arch_i686.cpp
  ${lab04_dir}/fake_device.cpp ${lab04_dir}/test_lab04_lapic.cpp)
target_include_directories(lab04_fakehw BEFORE PRIVATE ${lab04_dir})
target_include_directories(lab04_fakehw PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_compile_definitions(lab04_fakehw PRIVATE COHORT_HOST=1 BOOST_TEST_DYN_LINK)
target_compile_options(lab04_fakehw PRIVATE -Wall -Wextra)
target_link_libraries(unit_tests PRIVATE lab04_fakehw)
add_test(NAME unit.lab04_lapic COMMAND unit_tests --run_test=lab04_lapic --log_level=message)
set_tests_properties(unit.lab04_lapic PROPERTIES LABELS "unit")
