/*
 * The pure rules of kernel entry and exit (exit.h; the per-entry ones are inline there).
 * No instruction, no global state.
 */
#include "exit.h"

struct spec_policy exit_spec_choose(const struct spec_cpu *cpu)
{
    struct spec_policy p = {0};
    uint64_t caps = (cpu->cpuid7_edx & CPUID7_EDX_ARCH_CAPS) != 0u ? cpu->arch_caps : 0u;
    bool tsx = (cpu->cpuid7_ebx & CPUID7_EBX_RTM) != 0u;
    bool mds = (caps & ARCH_CAPS_MDS_NO) == 0u;
    bool taa = tsx && (caps & ARCH_CAPS_TAA_NO) == 0u;
    if (!mds && !taa) {
        p.verw_why = "mds-no";
    } else if ((cpu->cpuid7_edx & CPUID7_EDX_MD_CLEAR) == 0u) {
        p.verw_why = "no md-clear"; /* VERW clears no buffers without it */
    } else {
        p.verw = true;
        p.verw_why = mds ? "md-clear" : "md-clear, taa";
    }
    if ((cpu->cpuid7_edx & CPUID7_EDX_IBRS_IBPB) != 0u) {
        p.ibpb = true;
        p.ibpb_why = "spec-ctrl";
    } else if ((cpu->ext8_ebx & CPUID80000008_EBX_IBPB) != 0u) {
        p.ibpb = true;
        p.ibpb_why = "amd-ibpb";
    } else {
        p.ibpb_why = "no ibpb";
    }
    /* Calls alone overwrite the RSB on every CPU. */
    p.rsb_fill = true;
    /* L1TF is Intel's; RDCL_NO says the CPU is not affected. */
    if (!cpu->intel) {
        p.l1d_why = "not intel";
    } else if ((caps & ARCH_CAPS_RDCL_NO) != 0u) {
        p.l1d_why = "rdcl-no";
    } else if ((cpu->cpuid7_edx & CPUID7_EDX_L1D_FLUSH) == 0u) {
        p.l1d_why = "no flush-l1d";
    } else {
        p.l1d_flush = true;
        p.l1d_why = "l1tf";
    }
    return p;
}
