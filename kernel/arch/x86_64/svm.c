/*
 * The AMD SVM back end of VM subjects (docs/architecture.md, "VM subjects"): whether this
 * CPU can run them (SVM with nested paging, not disabled by the firmware).
 */
#include "x86.h"

#define CPUID_EXT1_ECX_SVM (1u << 2)  /* CPUID 0x80000001: SVM */
#define CPUID_SVM_EDX_NP   (1u << 0)  /* CPUID 0x8000000a: nested paging */
#define MSR_VM_CR          0xc0010114u
#define VM_CR_SVMDIS       (1u << 4)  /* the firmware locked SVM off */

const char *arch_vm_unsupported(void)
{
    uint32_t r[4];
    cpuid(0x80000000u, 0, r);
    uint32_t max_ext = r[0];
    cpuid(0x80000001u, 0, r);
    if (max_ext < 0x8000000au || (r[2] & CPUID_EXT1_ECX_SVM) == 0u) {
        return "no SVM (AMD-V)";
    }
    cpuid(0x8000000au, 0, r);
    if ((r[3] & CPUID_SVM_EDX_NP) == 0u) {
        return "SVM without nested paging";
    }
    if ((rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) != 0u) {
        return "SVM disabled by the firmware";
    }
    return "SVM, but this kernel has no SVM back end yet";
}
