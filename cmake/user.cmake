# User programs: cohort_user(<arch>) builds every user/*.cpp into a static ELF
# executable build/user-<arch>/<name>, linked at the arch's USER_BASE with
# user/user.ld, and sets COHORT_USER_FILES_<arch> to their paths in the
# caller's scope (the ISO carries them as Multiboot2 modules: tools/mkiso).
#
# The same g++ as the kernel, freestanding and without libc: user/lib/ holds
# crt0 (_start) and the system-call stubs. USER_BASE is read from
# src/arch/<arch>/user_arch.h, the header the kernel checks the programs
# against, so the two cannot disagree. USER_END too, for the programs that
# test the edges of user space.

set(COHORT_USER_CXXFLAGS
  -std=gnu++20 -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics
  -fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin
  -mgeneral-regs-only -nostdlib -O2 -g -Wall -Wextra -Werror)

function(cohort_user arch)
  if(arch STREQUAL "i686")
    set(mflags -m32 -march=i686)
    set(cflags -fno-pic -fno-pie)
    set(nasmfmt elf32)
  else()
    # 512 GiB is beyond the small code model's 32-bit absolute addresses:
    # position-independent code reaches everything RIP-relative, and the
    # link (-no-pie) still makes a fixed-address ET_EXEC.
    set(mflags -m64)
    set(cflags -fpie)
    set(nasmfmt elf64)
  endif()
  set(header ${CMAKE_SOURCE_DIR}/src/arch/${arch}/user_arch.h)
  file(STRINGS ${header} base REGEX "USER_BASE = 0x[0-9A-Fa-f]+")
  string(REGEX MATCH "0x[0-9A-Fa-f]+" base "${base}")
  if(NOT base)
    message(FATAL_ERROR "no 'USER_BASE = 0x...' line in ${header}")
  endif()
  file(STRINGS ${header} end REGEX "USER_END = 0x[0-9A-Fa-f]+")
  string(REGEX MATCH "0x[0-9A-Fa-f]+" end "${end}")
  if(NOT end)
    message(FATAL_ERROR "no 'USER_END = 0x...' line in ${header}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${header})

  set(libdir ${CMAKE_SOURCE_DIR}/user/lib)
  set(objdir ${CMAKE_BINARY_DIR}/user-${arch}.obj)
  set(outdir ${CMAKE_BINARY_DIR}/user-${arch})
  set(crt0 ${objdir}/crt0.o)
  add_custom_command(OUTPUT ${crt0}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${objdir}
    COMMAND ${NASM} -f ${nasmfmt} -g -F dwarf -o ${crt0} ${libdir}/${arch}/crt0.asm
    DEPENDS ${libdir}/${arch}/crt0.asm VERBATIM)

  file(GLOB progs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/user/*.cpp)
  set(files)
  set(targets)
  foreach(p ${progs})
    get_filename_component(name ${p} NAME_WE)
    set(t user-${arch}-${name})
    add_executable(${t} ${p} ${crt0})
    set_target_properties(${t} PROPERTIES OUTPUT_NAME ${name} SUFFIX ""
      RUNTIME_OUTPUT_DIRECTORY ${outdir} LINK_DEPENDS ${CMAKE_SOURCE_DIR}/user/user.ld)
    target_include_directories(${t} PRIVATE ${libdir} ${libdir}/${arch})
    target_compile_options(${t} PRIVATE ${mflags} ${cflags} ${COHORT_USER_CXXFLAGS})
    # Where user space is, for the programs that test its edges (badptr, fault).
    target_compile_definitions(${t} PRIVATE USER_BASE_ADDR=${base}ul USER_END_ADDR=${end}ul)
    # -z separate-code and noexecstack say what user.ld's PHDRS already
    # lay out; they keep it so if the script loses its PHDRS.
    target_link_options(${t} PRIVATE ${mflags} -nostdlib -static -no-pie
      -Wl,-T,${CMAKE_SOURCE_DIR}/user/user.ld -Wl,--defsym=USER_BASE=${base}
      -Wl,-z,noexecstack -Wl,-z,separate-code -Wl,-z,max-page-size=0x1000 -Wl,--build-id=none)
    target_link_libraries(${t} PRIVATE gcc)
    list(APPEND files ${outdir}/${name})
    list(APPEND targets ${t})
  endforeach()
  add_custom_target(user-${arch} ALL DEPENDS ${targets})
  set(COHORT_USER_FILES_${arch} ${files} PARENT_SCOPE)
endfunction()
