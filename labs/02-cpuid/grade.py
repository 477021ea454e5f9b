"""Lab 02, the CPUID probe: graded tests (tools/grade --lab 02).

Each boot uses a QEMU CPU model whose CPUID answers are known (QEMU 9-10
model definitions); the kernel prints what its decoder made of them. The host
tests run the same src/cpuid.cpp on dumps recorded from QEMU models and on
hand-built ones (tests/unit/test_cpuid.cpp, tests/data/cpuid/), where the
rules' corner cases are: Intel and AMD, families 4 to 0x19, one and several
topology levels.
"""
from labgrade import boot, passed, test, unit


def has(flag):
    return rf"cpuid: features .*\b{flag}\b"


haswell = boot("amd64-haswell", arch="amd64", cpu="Haswell", cmdline="test=boot", timeout=180)
epyc = boot("amd64-epyc", arch="amd64", cpu="EPYC", cmdline="test=boot", timeout=180)
qemu64 = boot("amd64-qemu64", arch="amd64", cpu="qemu64,+popcnt,-nx", cmdline="test=boot", timeout=180)
# Lab 02's tree starts no AP (lab 05): the boot CPU reads the whole package's layout from leaf 0xB.
skylake = boot("amd64-skylake-smt", arch="amd64", cpu="Skylake-Client", smp="4,sockets=1,cores=2,threads=2",
               cmdline="test=boot", timeout=180)
coreduo = boot("i686-coreduo", arch="i686", cpu="coreduo", cmdline="test=boot", timeout=180)
athlon = boot("i686-athlon", arch="i686", cpu="athlon", cmdline="test=boot", timeout=180)

test("vendor_intel", haswell, 5, what="GenuineIntel from EBX, EDX, ECX",
     expect=[r"cpuid: vendor GenuineIntel ", passed("boot")])
test("vendor_amd_i686", athlon, 5, what="AuthenticAMD on i686",
     expect=[r"cpuid: vendor AuthenticAMD family 6 model 2 stepping 3$", passed("boot")])
test("signature_intel", haswell, 10, what="family 6: the extended model counts (model 60)",
     expect=[r"cpuid: cpu 0 signature 0x000306c4$", r"cpuid: vendor GenuineIntel family 6 model 60 stepping 4$"])
test("signature_amd_ext_family", epyc, 10, what="family 0xF + extended family 8 = 23",
     expect=[r"cpuid: vendor AuthenticAMD family 23 model 1 stepping 2$"])
test("signature_amd_family_f", qemu64, 10, what="AMD family 0xF: the extended model counts (model 107)",
     expect=[r"cpuid: vendor AuthenticAMD family 15 model 107 stepping 1$"])
test("signature_i686", coreduo, 5, what="the same decoder in the 32-bit kernel (model 14 stepping 8)",
     expect=[r"cpuid: vendor GenuineIntel family 6 model 14 stepping 8$"])
test("flags", haswell, 10, what="flags from leaf 1 EDX/ECX, leaf 7 EBX and leaf 0x80000001",
     expect=[has(f) for f in ("fpu", "apic", "sse2", "pni", "x2apic", "hypervisor", "avx2", "smep",
                               "syscall", "nx", "lm", "lahf_lm")],
     forbid=[has("svm"), has("la57")])
test("flags_absent", qemu64, 5, what="a flag turned off is not reported; one turned on is",
     expect=[has("popcnt"), has("sse2"), has("lm")], forbid=[has("nx"), has("x2apic"), has("avx")])
test("topology_leaf_b", skylake, 10, what="leaf 0xB: 2 threads per core, 4 logical CPUs per package",
     expect=[r"cpuid: apic id 0 x2apic id 0 logical/package 4$",
             r"cpuid: topology smt shift 1 package shift 2 threads/core 2 \(leaf 0xb\)$"])
unit("signature_rules", 10, what="extended family only for 0xF; extended model: Intel 6 and 0xF, AMD 0xF only",
     cases=["cpuid/extended_family_only_for_family_f", "cpuid/extended_model_intel_vs_amd",
            "cpuid/kvm64_intel_family_f", "cpuid/opteron_g5"])
unit("flags_dumps", 10, what="the exact flag sets of qemu64, qemu32, pentium and Haswell dumps",
     cases=["cpuid/qemu64_amd_family_f", "cpuid/qemu32_not_fooled_past_max_leaf",
            "cpuid/pentium_no_extended_leaves", "cpuid/haswell_intel"])
unit("topology_levels", 10, what="leaf 0xB levels: SMT shift 1, package shift 5, 24 logical CPUs (constructed)",
     cases=["cpuid/constructed_x2apic_package"])
