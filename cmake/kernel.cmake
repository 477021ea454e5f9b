# Kernel side: cohort_kernel(<arch>) builds build/kernel-<arch>.elf from the
# portable sources, the x86 sources in src/ and the arch folder, and the ISO
# build/cohort-<arch>.iso from it with the user programs (cmake/user.cmake).
#
# The same system g++ builds both: -m32 for i686 (g++-multilib), -m64 for
# amd64. NASM assembles each .asm file of the arch folder into an ELF object;
# files named *.bin.asm are flat binaries (the AP trampoline) that another
# .asm file includes with incbin.

set(COHORT_KERNEL_CXXFLAGS
  -std=gnu++20 -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics
  -fno-stack-protector -fno-pic -fno-pie -fno-asynchronous-unwind-tables
  -fno-omit-frame-pointer -mno-red-zone -mgeneral-regs-only -nostdlib
  -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter)

function(cohort_kernel arch)
  if(arch STREQUAL "i686")
    set(mflags -m32 -march=i686)
    set(nasmfmt elf32)
  else()
    set(mflags -m64 -mcmodel=small -mno-sse -mno-mmx)
    set(nasmfmt elf64)
  endif()
  set(archdir ${CMAKE_SOURCE_DIR}/src/arch/${arch})
  set(objdir ${CMAKE_BINARY_DIR}/kernel-${arch}.obj)

  file(GLOB common CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/*.cpp ${CMAKE_SOURCE_DIR}/src/ktest/*.cpp)
  file(GLOB archcpp CONFIGURE_DEPENDS ${archdir}/*.cpp)
  file(GLOB archasm CONFIGURE_DEPENDS ${archdir}/*.asm)
  file(GLOB archinc CONFIGURE_DEPENDS ${archdir}/*.inc ${CMAKE_SOURCE_DIR}/src/*.inc)
  list(FILTER archasm EXCLUDE REGEX "\\.bin\\.asm$")
  # User mode (docs/usermode.md) needs the arch's layer: uentry_arch.cpp,
  # uvm_arch.cpp, usercopy.asm and the trapframe accessors. Until an arch has
  # it, nouser.cpp stands in for the portable user-mode files, and that
  # kernel builds and boots without ring 3. Adding uentry_arch.cpp (and
  # re-running cmake) switches the arch over.
  if(EXISTS ${archdir}/uentry_arch.cpp)
    list(FILTER common EXCLUDE REGEX "/src/nouser\\.cpp$")
  else()
    list(FILTER common EXCLUDE REGEX "/src/(process|syscalls|usercopy|futex)\.cpp$|/src/ktest/(user|ufuzz|futex)_tests\.cpp$")
  endif()
  file(GLOB binasm CONFIGURE_DEPENDS ${archdir}/*.bin.asm)

  # Flat binaries first (the trampoline), then the ELF objects that embed them.
  set(bins)
  foreach(b ${binasm})
    get_filename_component(n ${b} NAME)
    string(REGEX REPLACE "\\.bin\\.asm$" ".bin" n ${n})
    add_custom_command(OUTPUT ${objdir}/${n}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${objdir}
      COMMAND ${NASM} -f bin -I${archdir}/ -I${CMAKE_SOURCE_DIR}/src/ -o ${objdir}/${n} ${b}
      DEPENDS ${b} ${archinc} VERBATIM)
    list(APPEND bins ${objdir}/${n})
  endforeach()
  set(objs)
  foreach(a ${archasm})
    get_filename_component(n ${a} NAME_WE)
    add_custom_command(OUTPUT ${objdir}/${n}.asm.o
      COMMAND ${CMAKE_COMMAND} -E make_directory ${objdir}
      COMMAND ${NASM} -f ${nasmfmt} -g -F dwarf -I${archdir}/ -I${CMAKE_SOURCE_DIR}/src/ -I${objdir}/
              -o ${objdir}/${n}.asm.o ${a}
      DEPENDS ${a} ${archinc} ${bins} VERBATIM)
    list(APPEND objs ${objdir}/${n}.asm.o)
  endforeach()

  set(k kernel-${arch})
  add_executable(${k} ${common} ${archcpp} ${objs})
  set_target_properties(${k} PROPERTIES OUTPUT_NAME kernel-${arch}.elf SUFFIX ""
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR} LINK_DEPENDS ${archdir}/link.ld)
  target_include_directories(${k} PRIVATE ${archdir} ${CMAKE_SOURCE_DIR}/src)
  target_compile_definitions(${k} PRIVATE COHORT_ARCH_${arch}=1 COHORT_ARCH="${arch}")
  target_compile_options(${k} PRIVATE ${mflags} ${COHORT_KERNEL_CXXFLAGS})
  target_link_options(${k} PRIVATE ${mflags} -nostdlib -static -no-pie
    -Wl,-T,${archdir}/link.ld -Wl,--build-id=none -Wl,-z,max-page-size=0x1000
    -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments)
  target_link_libraries(${k} PRIVATE gcc)

  # The user programs, which every ISO carries as modules: built with the
  # kernel, so that whatever builds a kernel to boot has them too.
  cohort_user(${arch})
  add_dependencies(${k} user-${arch})

  # The default ISO: a menu of useful command lines, the first booted after 3 s.
  set(iso ${CMAKE_BINARY_DIR}/cohort-${arch}.iso)
  add_custom_command(OUTPUT ${iso}
    COMMAND ${CMAKE_SOURCE_DIR}/tools/mkiso --arch ${arch} --kernel $<TARGET_FILE:${k}> --out ${iso} --menu
            --user ${CMAKE_BINARY_DIR}/user-${arch}
    DEPENDS ${k} ${COHORT_USER_FILES_${arch}} ${CMAKE_SOURCE_DIR}/tools/mkiso ${CMAKE_SOURCE_DIR}/iso/grub.cfg.in
    VERBATIM)
  add_custom_target(iso-${arch} ALL DEPENDS ${iso})
endfunction()
