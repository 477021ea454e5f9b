# Hardware-independent sources: compiled into both kernels and into the host
# library that the Boost.Test unit tests and fuzz targets link. Anything listed
# here may include only types.h, kstring.h, log.h, format.h and other portable
# headers: no inline assembly, no port or MMIO access.
set(COHORT_PORTABLE_SOURCES
  format.cpp
  callq.cpp
  apicregs.cpp
  runq.cpp
  acpi.cpp
  srat.cpp
  numa.cpp
  mp.cpp
  cputable.cpp
  cmdline.cpp
  multiboot2.cpp
  kalloc.cpp
  heap.cpp
  cpuid.cpp
  fadt.cpp
  topology.cpp
  logline.cpp
  elf.cpp
  userrange.cpp
)
