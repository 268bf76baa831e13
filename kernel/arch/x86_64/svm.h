/*
 * The AMD SVM back end's private header: the VMCB fields it uses (AMD64 APM vol. 2,
 * appendix B), intercept and exit codes, and what the x86 part of a VM (vcpu.c: CPUID,
 * MSRs, ports, the x2APIC; shared with a future VT-x back end) needs from it.
 */
#ifndef MOAT_X86_SVM_H
#define MOAT_X86_SVM_H

#include "../../core/vm.h"
#include "x86.h"

/* entry.c <-> svm.c */
void entry_switch_to_vm(uint32_t cpu, subject_id_t id);
/* Where the arch's VM state lies in the arch's part of a VM's slot (core_subject_arch),
 * above struct arch_subject (entry.c asserts it). */
#define SVM_STATE_OFFSET 0x1100u
void svm_subject_init(subject_id_t id, const struct moat_subject *subject);
struct core_next svm_run(uint32_t cpu, subject_id_t id);


/* VMCB control area (offsets in the page). */
#define VMCB_INTERCEPT_CR    0x000u /* u32: CR reads 0-15, writes 16-31 */
#define VMCB_INTERCEPT_DR    0x004u
#define VMCB_INTERCEPT_EXC   0x008u /* u32: bit n: exception vector n */
#define VMCB_INTERCEPT_1     0x00cu
#define VMCB_INTERCEPT_2     0x010u
#define VMCB_IOPM_BASE       0x040u
#define VMCB_MSRPM_BASE      0x048u
#define VMCB_TSC_OFFSET      0x050u
#define VMCB_ASID            0x058u /* u32 */
#define VMCB_TLB_CONTROL     0x05cu /* u8 */
#define VMCB_INT_CTL         0x060u /* u64: V_TPR, V_IRQ, V_INTR_PRIO, V_IGN_TPR, V_INTR_MASKING */
#define VMCB_INT_STATE       0x068u /* bit 0: interrupt shadow */
#define VMCB_EXITCODE        0x070u
#define VMCB_EXITINFO1       0x078u
#define VMCB_EXITINFO2       0x080u
#define VMCB_EXITINTINFO     0x088u
#define VMCB_NP_ENABLE       0x090u
#define VMCB_EVENTINJ        0x0a8u
#define VMCB_NCR3            0x0b0u
#define VMCB_CLEAN           0x0c0u
/* State save area. */
#define VMCB_ES     0x400u /* segments: u16 selector, u16 attrib, u32 limit, u64 base */
#define VMCB_CS     0x410u
#define VMCB_SS     0x420u
#define VMCB_DS     0x430u
#define VMCB_FS     0x440u
#define VMCB_GS     0x450u
#define VMCB_GDTR   0x460u
#define VMCB_LDTR   0x470u
#define VMCB_IDTR   0x480u
#define VMCB_TR     0x490u
#define VMCB_CPL    0x4cbu
#define VMCB_EFER   0x4d0u
#define VMCB_CR4    0x548u
#define VMCB_CR3    0x550u
#define VMCB_CR0    0x558u
#define VMCB_DR7    0x560u
#define VMCB_DR6    0x568u
#define VMCB_RFLAGS 0x570u
#define VMCB_RIP    0x578u
#define VMCB_RSP    0x5d8u
#define VMCB_RAX    0x5f8u
#define VMCB_G_PAT  0x668u

/* Intercept vector 1 (VMCB_INTERCEPT_1) and 2 bits. */
#define I1_INTR     (1u << 0)
#define I1_NMI      (1u << 1)
#define I1_SMI      (1u << 2)
#define I1_INIT     (1u << 3)
#define I1_VINTR    (1u << 4)
#define I1_RDPMC    (1u << 15)
#define I1_CPUID    (1u << 18)
#define I1_INVD     (1u << 22)
#define I1_HLT      (1u << 24)
#define I1_INVLPGA  (1u << 26)
#define I1_IOIO     (1u << 27)
#define I1_MSR      (1u << 28)
#define I1_SHUTDOWN (1u << 31)
#define I2_VMRUN    (1u << 0)
#define I2_VMMCALL  (1u << 1)
#define I2_VMLOAD   (1u << 2)
#define I2_VMSAVE   (1u << 3)
#define I2_STGI     (1u << 4)
#define I2_CLGI     (1u << 5)
#define I2_SKINIT   (1u << 6)
#define I2_RDTSCP   (1u << 7)
#define I2_WBINVD   (1u << 9)
#define I2_MONITOR  (1u << 10)
#define I2_MWAIT    (1u << 11)
#define I2_MWAIT_C  (1u << 12)
#define I2_XSETBV   (1u << 13)

#define INT_CTL_V_IRQ          (1ull << 8)
#define INT_CTL_V_IGN_TPR      (1ull << 20)
#define INT_CTL_V_INTR_MASKING (1ull << 24)
#define INT_CTL_V_PRIO_SHIFT   16u

/* EVENTINJ / EXITINTINFO. */
#define EVENT_VALID     (1ull << 31)
#define EVENT_ERR_VALID (1ull << 11)
#define EVENT_TYPE_INTR (0ull << 8)
#define EVENT_TYPE_EXC  (3ull << 8)

/* Exit codes. */
#define EXIT_EXC_BASE 0x40u
#define EXIT_INTR     0x60u
#define EXIT_NMI      0x61u
#define EXIT_SMI      0x62u
#define EXIT_INIT     0x63u
#define EXIT_VINTR    0x64u
#define EXIT_RDPMC    0x6fu
#define EXIT_CPUID    0x72u
#define EXIT_INVD     0x76u
#define EXIT_HLT      0x78u
#define EXIT_INVLPGA  0x7au
#define EXIT_IOIO     0x7bu
#define EXIT_MSR      0x7cu
#define EXIT_SHUTDOWN 0x7fu
#define EXIT_VMRUN    0x80u
#define EXIT_VMMCALL  0x81u
#define EXIT_VMLOAD   0x82u
#define EXIT_VMSAVE   0x83u
#define EXIT_STGI     0x84u
#define EXIT_CLGI     0x85u
#define EXIT_SKINIT   0x86u
#define EXIT_RDTSCP   0x87u
#define EXIT_WBINVD   0x89u
#define EXIT_MONITOR  0x8au
#define EXIT_MWAIT    0x8bu
#define EXIT_MWAIT_C  0x8cu
#define EXIT_XSETBV   0x8du
#define EXIT_NPF      0x400u
#define EXIT_INVALID  0xffffffffffffffffull

#define EFER_SVME (1u << 12)
#define MSR_VM_HSAVE_PA 0xc0010117u

/* The guest's general registers the VMCB does not hold (svm_run.S). */
struct svm_gprs {
    uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};
#define X2APIC_REGS 0x40u /* MSRs 0x800 .. 0x83f */
/* The x86 part of a VM, in its slot (SVM_STATE_OFFSET). */
struct svm_vm {
    struct svm_gprs gprs;
    uint64_t dr[4];        /* its debug address registers, while it does not run */
    uint64_t reinject;     /* an event whose delivery an exit cut short (EXITINTINFO) */
    uint32_t pkru;         /* its protection-key rights, while another VM's are loaded */
    uint32_t apic[X2APIC_REGS]; /* x2APIC registers as written */
    uint8_t uart[8];       /* the 16550's registers (vcpu.c) */
    uint8_t uart_dll, uart_dlm;
    bool flush_tlb;        /* its next VMRUN flushes its ASID (a fresh VMCB) */
};

static inline struct svm_vm *svm_vm(subject_id_t id)
{
    return (struct svm_vm *)(void *)((uint8_t *)core_subject_arch(id) + SVM_STATE_OFFSET);
}

static inline uint64_t vmcb_get(paddr_t vmcb, uint32_t off)
{
    return *(volatile uint64_t *)(uintptr_t)(vmcb + off);
}

static inline void vmcb_set(paddr_t vmcb, uint32_t off, uint64_t v)
{
    *(volatile uint64_t *)(uintptr_t)(vmcb + off) = v;
}

static inline void vmcb_set32(paddr_t vmcb, uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)(vmcb + off) = v;
}

/* svm_run.S: runs the guest once (clgi done, interrupts taken as exits), then host state. */
void svm_vmrun(struct svm_gprs *gprs, paddr_t vmcb, paddr_t host_save, uint32_t spec);

/* vcpu.c: the x86 platform a VM sees. Each returns false where the guest gets #GP. */
void vcpu_cpuid(paddr_t vmcb, uint32_t leaf, uint32_t sub, uint32_t r[4]);
bool vcpu_rdmsr(subject_id_t id, paddr_t vmcb, uint32_t msr, uint64_t *value);
bool vcpu_wrmsr(subject_id_t id, paddr_t vmcb, uint32_t msr, uint64_t value);
uint32_t vcpu_in(subject_id_t id, uint16_t port);
void vcpu_out(subject_id_t id, uint16_t port, uint32_t value);
void vcpu_reset(subject_id_t id);

#endif /* MOAT_X86_SVM_H */
