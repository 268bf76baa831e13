/*
 * The x86 platform a VM subject sees, whatever the vendor's extension runs it (svm.c;
 * VT-x could share this): CPUID filtered to one CPU with no virtualisation of its own
 * and the emulated x2APIC with its TSC-deadline timer; MSRs from an explicit allow list
 * (everything else #GP); the x2APIC's MSRs; and ports: a 16550-like UART at 0x3f8 whose
 * output lines go to the VM's console channel, every other port reading all ones and
 * ignoring writes (docs/vm.md). Nothing here reads guest memory.
 */
#include "svm.h"

#define MSR_TSC          0x10u
#define MSR_PAT          0x277u
#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST  0x8ffu
#define MSR_AMD_PATCH    0x8bu
#define MSR_AMD_HWCR     0xc0010015u
#define MSR_AMD_INT_PEND 0xc0010055u /* Linux's C1E check reads it on family 0xf (TCG) */

#define APIC_BASE_VALUE 0xfee00d00ull /* 0xfee00000, BSP, x2APIC mode, enabled */

/* x2APIC registers (MSR - 0x800). */
#define APIC_ID       0x02u
#define APIC_VERSION  0x03u
#define APIC_TPR      0x08u
#define APIC_PPR      0x0au
#define APIC_EOI      0x0bu
#define APIC_LDR      0x0du
#define APIC_SVR      0x0fu
#define APIC_ISR      0x10u
#define APIC_TMR      0x18u
#define APIC_IRR      0x20u
#define APIC_ESR      0x28u
#define APIC_LVT_CMCI 0x2fu
#define APIC_ICR      0x30u
#define APIC_LVT_TMR  0x32u
#define APIC_LVT_ERR  0x37u
#define APIC_TMR_INIT 0x38u
#define APIC_TMR_CUR  0x39u
#define APIC_TMR_DIV  0x3eu
#define APIC_SELF_IPI 0x3fu
#define LVT_MASKED    (1u << 16)

#define UART_BASE 0x3f8u
#define UART_LCR_DLAB 0x80u
#define UART_MCR_LOOP 0x10u

void vcpu_reset(subject_id_t id)
{
    struct svm_vm *vm = svm_vm(id);
    for (uint32_t i = APIC_LVT_CMCI; i <= APIC_LVT_ERR; i++) {
        vm->apic[i] = LVT_MASKED;
    }
    vm->apic[APIC_SVR] = 0xff;
    vm_timer_route(id, 0, true);
}

#define B(n) (1u << (n))
/* SSE3 PCLMUL SSSE3 FMA CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES XSAVE AVX F16C RDRAND: no
 * MONITOR, VMX, SMX, PCID, performance or thermal features. */
#define LEAF1_ECX (B(0) | B(1) | B(9) | B(12) | B(13) | B(19) | B(20) | B(22) | B(23) | B(25) | \
                   B(26) | B(28) | B(29) | B(30))
/* FPU VME DE PSE TSC MSR PAE CX8 APIC SEP PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2: no
 * MCE, MCA, MTRR, debug store, ACPI, thermal, HTT. */
#define LEAF1_EDX (B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(8) | B(9) | B(11) | \
                   B(13) | B(15) | B(16) | B(17) | B(19) | B(23) | B(24) | B(25) | B(26))
/* The same base bits as leaf 1 (AMD) and SYSCALL NX MMXEXT FFXSR 1G-pages LM: no RDTSCP. */
#define EXT1_EDX (B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(8) | B(9) | B(11) | \
                  B(13) | B(15) | B(16) | B(17) | B(20) | B(22) | B(23) | B(24) | B(25) | \
                  B(26) | B(29))

/* Bits of each leaf the guest may see (the rest 0); then what is set whatever the host. */
void vcpu_cpuid(paddr_t vmcb, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    cpuid(leaf, sub, r);
    switch (leaf) {
    case 0:
        r[0] = r[0] < 0xdu ? r[0] : 0xdu;
        break;
    case 1:
        r[1] &= 0x0000ffffu; /* APIC id 0, one logical CPU */
        r[2] &= LEAF1_ECX;
        r[2] |= B(21) | B(24) | B(31); /* x2APIC, TSC-deadline, hypervisor */
        /* OSXSAVE: the guest's CR4.OSXSAVE, not the host's. */
        r[2] |= (vmcb_get(vmcb, VMCB_CR4) & CR4_OSXSAVE) != 0u ? B(27) : 0u;
        r[3] &= LEAF1_EDX;
        break;
    case 7:
        if (sub != 0u) {
            r[0] = r[1] = r[2] = r[3] = 0;
            break;
        }
        r[0] = 0;
        /* FSGSBASE BMI1 AVX2 SMEP BMI2 ERMS RDSEED ADX SMAP CLFLUSHOPT SHA */
        r[1] &= B(0) | B(3) | B(5) | B(7) | B(8) | B(9) | B(18) | B(19) | B(20) | B(23) | B(29);
        r[2] &= B(2) | B(9) | B(10); /* UMIP VAES VPCLMULQDQ */
        r[3] = 0;
        break;
    case 0xdu:
        break; /* XSAVE layout: the host's (XCR0 is the host's, XSETBV) */
    case 0x40000000u:
        r[0] = 0x40000000u;
        r[1] = 0x74616f4du; /* "MoatMoatMoat": a hypervisor no guest knows */
        r[2] = 0x74616f4du;
        r[3] = 0x74616f4du;
        break;
    case 0x80000000u:
        r[0] = r[0] < 0x80000008u ? r[0] : 0x80000008u;
        break;
    case 0x80000001u:
        r[1] = 0;
        r[2] &= B(0) | B(5) | B(6) | B(8); /* LAHF ABM SSE4A PREFETCHW; no SVM */
        r[3] &= EXT1_EDX;
        break;
    case 0x80000002u:
    case 0x80000003u:
    case 0x80000004u:
        break; /* the brand string */
    case 0x80000007u:
        r[0] = r[1] = r[2] = 0;
        r[3] &= 1u << 8; /* invariant TSC */
        break;
    case 0x80000008u:
        r[0] &= 0xffffu; /* address sizes */
        r[1] = r[2] = r[3] = 0;
        break;
    default:
        r[0] = r[1] = r[2] = r[3] = 0;
        break;
    }
}

static bool apic_read(subject_id_t id, uint32_t reg, uint64_t *value)
{
    struct vm_state *v = vm_state(id);
    struct svm_vm *vm = svm_vm(id);
    if (reg >= APIC_ISR && reg < APIC_ISR + 8u) {
        *value = (uint32_t)(v->isr[(reg - APIC_ISR) / 2u] >> (32u * (reg % 2u)));
    } else if (reg >= APIC_IRR && reg < APIC_IRR + 8u) {
        *value = (uint32_t)(v->irr[(reg - APIC_IRR) / 2u] >> (32u * (reg % 2u)));
    } else if (reg >= APIC_TMR && reg < APIC_TMR + 8u) {
        *value = 0;
    } else if (reg == APIC_ID || reg == APIC_PPR || reg == APIC_TMR_CUR) {
        *value = 0;
    } else if (reg == APIC_VERSION) {
        *value = 0x50014u; /* version 0x14, six LVT entries */
    } else if (reg == APIC_LDR) {
        *value = 1; /* cluster 0, CPU bit 0 */
    } else if (reg == APIC_TPR || reg == APIC_SVR || reg == APIC_ESR || reg == APIC_ICR ||
               (reg >= APIC_LVT_CMCI && reg <= APIC_LVT_ERR) || reg == APIC_TMR_INIT ||
               reg == APIC_TMR_DIV) {
        *value = vm->apic[reg];
    } else {
        return false;
    }
    return true;
}

static bool apic_write(subject_id_t id, uint32_t reg, uint64_t value)
{
    struct svm_vm *vm = svm_vm(id);
    if (reg == APIC_EOI) {
        vm_irq_eoi(id);
        return value == 0u;
    }
    if (reg == APIC_SELF_IPI) {
        vm_irq_request(id, (uint32_t)value & 0xffu);
        return true;
    }
    if (reg == APIC_ICR) {
        /* One CPU: only a fixed interrupt to itself (no shorthand and id 0, self, all). */
        uint32_t shorthand = (uint32_t)(value >> 18) & 3u;
        if (((value >> 8) & 7u) == 0u && (shorthand == 1u || shorthand == 2u ||
                                          (shorthand == 0u && (value >> 32) == 0u))) {
            vm_irq_request(id, (uint32_t)value & 0xffu);
        }
    }
    if (reg == APIC_LVT_TMR) {
        /* TSC-deadline mode only (01b, periodic, is not emulated: no count mode). */
        vm_timer_route(id, (uint8_t)value, (value & LVT_MASKED) != 0u);
    }
    if (reg == APIC_TPR || reg == APIC_SVR || reg == APIC_ESR || reg == APIC_ICR ||
        (reg >= APIC_LVT_CMCI && reg <= APIC_LVT_ERR) || reg == APIC_TMR_INIT ||
        reg == APIC_TMR_DIV) {
        vm->apic[reg] = (uint32_t)value;
        return true;
    }
    return false;
}

bool vcpu_rdmsr(subject_id_t id, paddr_t vmcb, uint32_t msr, uint64_t *value)
{
    switch (msr) {
    case MSR_TSC:
        *value = rdtsc();
        return true;
    case MSR_APIC_BASE:
        *value = APIC_BASE_VALUE;
        return true;
    case MSR_PAT:
        *value = vmcb_get(vmcb, VMCB_G_PAT);
        return true;
    case MSR_TSC_DEADLINE:
        *value = vm_timer_get(id);
        return true;
    case MSR_EFER:
        *value = vmcb_get(vmcb, VMCB_EFER) & ~(uint64_t)EFER_SVME;
        return true;
    case MSR_AMD_PATCH:
    case MSR_AMD_HWCR:
    case MSR_AMD_INT_PEND:
        *value = 0;
        return true;
    default:
        if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST) {
            return apic_read(id, msr - MSR_X2APIC_FIRST, value);
        }
        return false;
    }
}

#define EFER_GUEST (EFER_SCE | (1u << 8) | (1u << 10) | EFER_NXE | (1u << 14)) /* +LME LMA FFXSR */

bool vcpu_wrmsr(subject_id_t id, paddr_t vmcb, uint32_t msr, uint64_t value)
{
    switch (msr) {
    case MSR_APIC_BASE:
        return value == APIC_BASE_VALUE; /* x2APIC stays on, where it is */
    case MSR_PAT:
        /* Each byte a memory type (UC WC WT WP WB UC-): else #GP, as on hardware. */
        for (uint32_t i = 0; i < 8u; i++) {
            uint8_t t = (uint8_t)(value >> (8u * i));
            if (t == 2u || t == 3u || t > 7u) {
                return false;
            }
        }
        vmcb_set(vmcb, VMCB_G_PAT, value);
        return true;
    case MSR_TSC_DEADLINE:
        vm_timer_set(id, value);
        return true;
    case MSR_EFER:
        if ((value & ~(uint64_t)EFER_GUEST) != 0u) {
            return false;
        }
        /* SVME stays set (VMRUN requires it); LMA is the CPU's to change. */
        vmcb_set(vmcb, VMCB_EFER, (value & ~(1ull << 10)) | EFER_SVME |
                                      (vmcb_get(vmcb, VMCB_EFER) & (1ull << 10)));
        return true;
    default:
        if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST) {
            return apic_write(id, msr - MSR_X2APIC_FIRST, value);
        }
        return false;
    }
}

/* The 16550's registers as a driver probes them: transmitter always empty, no input,
 * no interrupts; in loopback the modem inputs follow the outputs. */
uint32_t vcpu_in(subject_id_t id, uint16_t port)
{
    struct svm_vm *vm = svm_vm(id);
    if (port < UART_BASE || port >= UART_BASE + 8u) {
        return 0xffffffffu;
    }
    uint32_t reg = port - UART_BASE;
    bool dlab = (vm->uart[3] & UART_LCR_DLAB) != 0u;
    uint8_t mcr = vm->uart[4];
    switch (reg) {
    case 0:
        return dlab ? vm->uart_dll : 0u;
    case 1:
        return dlab ? vm->uart_dlm : vm->uart[1];
    case 2:
        /* FIFOs if on; "transmitter empty" pending while its interrupt is enabled (a
         * polled 8250 driver transmits only then), else none. */
        return ((vm->uart[2] & 1u) != 0u ? 0xc0u : 0u) | ((vm->uart[1] & 2u) != 0u ? 2u : 1u);
    case 5:
        return 0x60u; /* THR and transmitter empty */
    case 6:
        if ((mcr & UART_MCR_LOOP) != 0u) {
            return (uint32_t)(((mcr & 0x2u) << 3) | ((mcr & 0x1u) << 5) | ((mcr & 0x4u) << 4) |
                              ((mcr & 0x8u) << 4));
        }
        return 0xb0u; /* CTS, DSR, DCD */
    default:
        return vm->uart[reg];
    }
}

void vcpu_out(subject_id_t id, uint16_t port, uint32_t value)
{
    struct svm_vm *vm = svm_vm(id);
    if (port < UART_BASE || port >= UART_BASE + 8u) {
        return;
    }
    uint32_t reg = port - UART_BASE;
    bool dlab = (vm->uart[3] & UART_LCR_DLAB) != 0u;
    if (reg == 0u && !dlab) {
        if ((vm->uart[4] & UART_MCR_LOOP) == 0u) {
            vm_console_out(id, (uint8_t)value);
        }
    } else if (reg == 0u) {
        vm->uart_dll = (uint8_t)value;
    } else if (reg == 1u && dlab) {
        vm->uart_dlm = (uint8_t)value;
    } else if (reg != 5u && reg != 6u) {
        vm->uart[reg] = (uint8_t)value;
    }
}
