"""Lab 02: wrong decoders the grader must catch, and right ones it must pass (tools/lab-ci mutants 02)."""
from labgrade import edit, hole, mutant, variant

F = "src/cpuid.cpp"

mutant("vendor_ebx_ecx_edx", breaks=["vendor_intel", "vendor_amd_i686"],
       what="the vendor registers in the order EBX, ECX, EDX",
       edits=[edit(F, "memcpy(out.vendor_string + 4, &r0.edx, 4);", "memcpy(out.vendor_string + 4, &r0.ecx, 4);"),
              edit(F, "memcpy(out.vendor_string + 8, &r0.ecx, 4);", "memcpy(out.vendor_string + 8, &r0.edx, 4);")])
mutant("ext_family_always", breaks=["signature_rules"], what="the extended family added whatever the base family",
       edits=[edit(F, "out.family = base_family == 0xF ? base_family + ext_family : base_family;",
                   "out.family = base_family + ext_family;")])
mutant("amd_no_ext_model", breaks=["signature_amd_family_f", "signature_rules"],
       what="AMD never adds the extended model (model 11, not 107, for qemu64)",
       edits=[edit(F, "bool with_ext_model = out.vendor == CpuVendor::Amd ? base_family == 0xF",
                   "bool with_ext_model = out.vendor == CpuVendor::Amd ? false")])
mutant("ext_model_every_family", breaks=["signature_rules"], what="the extended model added for every family",
       edits=[edit(F, "out.model = with_ext_model ? (ext_model << 4) + base_model : base_model;",
                   "out.model = (ext_model << 4) + base_model; (void)with_ext_model;")])
mutant("intel_family6_no_ext_model", breaks=["signature_intel", "signature_rules"],
       what="Intel adds the extended model for 0xF only, as AMD does",
       edits=[edit(F, ": base_family == 0x6 || base_family == 0xF;", ": base_family == 0xF;")])
mutant("flags_always_edx", breaks=["flags", "flags_dumps"], what="every flag read from EDX",
       edits=[edit(F, "if ((reg_of(s.get0(row.leaf), row.reg) >> row.bit) & 1) set_flag(out, row.flag);",
                   "if ((s.get0(row.leaf).edx >> row.bit) & 1) set_flag(out, row.flag);\n    (void)reg_of;")])
mutant("flags_leaf1_only", breaks=["flags", "flags_dumps"], what="every flag read from leaf 1 (ignores the row's leaf)",
       edits=[edit(F, "if ((reg_of(s.get0(row.leaf), row.reg) >> row.bit) & 1) set_flag(out, row.flag);",
                   "if ((reg_of(s.get0(1), row.reg) >> row.bit) & 1) set_flag(out, row.flag);")])
mutant("leaf_b_first_level_only", breaks=["topology_leaf_b", "topology_levels"],
       what="the leaf 0xB walk stops after the SMT level: the package is one core",
       edits=[edit(F, "for (uint32_t sub = 0; sub < 8; sub++) {", "for (uint32_t sub = 0; sub < 1; sub++) {")])
mutant("leaf_b_first_is_package", breaks=["topology_leaf_b", "topology_levels"],
       what="the first level taken as the package",
       edits=[edit(F, "        t.package_shift = shift;\n        t.logical_per_package = count;",
                   "        if (sub == 0) {\n            t.package_shift = shift;\n"
                   "            t.logical_per_package = count;\n        }")])

variant("vendor_by_bytes", what="the vendor copied byte by byte with shifts", edits=[
    hole(F, "the 12-byte vendor string", """
    const uint32_t regs[3] = {r0.ebx, r0.edx, r0.ecx};
    for (int i = 0; i < 12; i++) out.vendor_string[i] = (char)(regs[i / 4] >> (8 * (i % 4)));
    out.vendor_string[12] = 0;
""")])
variant("signature_by_vendor_switch", what="the model rule written as a switch on the vendor", edits=[
    hole(F, "signature, stepping", """
    out.signature = r1.eax;
    out.stepping = r1.eax & 0xF;
    uint32_t fam = (r1.eax >> 8) & 0xF, mod = (r1.eax >> 4) & 0xF;
    out.family = fam;
    if (fam == 0xF) out.family += (r1.eax >> 20) & 0xFF;
    bool ext = false;
    switch (out.vendor) {
    case CpuVendor::Amd: ext = fam == 0xF; break;
    default: ext = fam == 6 || fam == 0xF; break;
    }
    out.model = ext ? (((r1.eax >> 16) & 0xF) << 4 | mod) : mod;
""")])
variant("leaf_b_while_loop", what="the levels walked with a while loop, the package set after it", edits=[
    hole(F, "walk the levels", """
    uint8_t last_shift = 0;
    uint16_t last_count = 1;
    uint32_t sub = 0;
    CpuidRegs r = r0;
    while (((r.ecx >> 8) & 0xFF) != 0 && sub < 8) {
        if (((r.ecx >> 8) & 0xFF) == 1) {
            t.smt_shift = r.eax & 0x1F;
            t.threads_per_core = r.ebx & 0xFFFF;
        }
        last_shift = r.eax & 0x1F;
        last_count = r.ebx & 0xFFFF;
        r = s.get(0xB, ++sub);
    }
    t.package_shift = last_shift;
    t.logical_per_package = last_count;
""")])
