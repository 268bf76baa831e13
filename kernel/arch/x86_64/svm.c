/*
 * The AMD SVM back end of VM subjects (docs/architecture.md, "VM subjects"). A VM runs
 * with VMRUN on its own VMCB (the policy's page), ASID subject id + 1 and nested page
 * tables (nCR3 = moat_subject.pml4, built by moat-polc), only when the core picks it: in
 * its frames. Every physical interrupt and NMI is an intercept, so the kernel's timer ends
 * the run at the frame's end whatever the guest does. Each exit is decoded here from
 * registers and the VMCB alone (the kernel never reads guest memory; QEMU has no
 * next-RIP save, so the length of each intercepted instruction is known here) and either
 * finished at once (CPUID, MSRs, ports: vcpu.c) or handed to the core (vm.c).
 */
#include "svm.h"

#define CPUID_EXT1_ECX_SVM (1u << 2)  /* CPUID 0x80000001: SVM */
#define CPUID_SVM_EDX_NP   (1u << 0)  /* CPUID 0x8000000a: nested paging */
#define CPUID7_ECX_PKU     (1u << 3)  /* CPUID 7.0: protection keys (PKRU) */
#define MSR_VM_CR          0xc0010114u
#define CR4_PKE            (1u << 22)
#define VM_CR_SVMDIS       (1u << 4)  /* the firmware locked SVM off */

#define VEC_UD 6u
#define VEC_AC 17u

/* The permission maps every VM shares: all ones, every port and MSR intercepted but the
 * MSRs VMLOAD/VMSAVE switch (svm_init). Per CPU: the host save area and the host's
 * VMLOAD/VMSAVE state. */
static uint8_t iopm[3 * 4096] __attribute__((aligned(4096)));
static uint8_t msrpm[2 * 4096] __attribute__((aligned(4096)));
static uint8_t hsave[MOAT_MAX_CPUS][4096] __attribute__((aligned(4096)));
static uint8_t host_state[MOAT_MAX_CPUS][4096] __attribute__((aligned(4096)));
static bool cpu_ready[MOAT_MAX_CPUS];
static bool maps_ready;
/* PKRU: a guest may set its CR4.PKE (CR writes are not intercepted) and write PKRU, which
 * is neither VMCB state nor in the kernel's XCR0. No native reaches it (the host's
 * CR4.PKE is clear), so it is switched only between VMs: per CPU, the VM whose value the
 * CPU holds (MOAT_SUBJECT_IDLE: none's, load the next one's whatever it holds). */
static bool has_pku;
static subject_id_t pkru_owner[MOAT_MAX_CPUS];

/* MSRs the guest reads and writes directly: its own copies, which VMLOAD/VMSAVE switch
 * with the host's (FS/GS bases, KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK, SYSENTER). */
static const uint32_t passthrough_msrs[] = {
    0x174u, 0x175u, 0x176u, 0xc0000081u, 0xc0000082u, 0xc0000083u,
    0xc0000084u, 0xc0000100u, 0xc0000101u, 0xc0000102u,
};

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
    return NULL;
}

static void msrpm_allow(uint32_t msr)
{
    /* Two bits per MSR (read, write): 0..0x1fff from byte 0, 0xc0000000.. from 0x800. */
    uint32_t index = msr >= 0xc0000000u ? 0x2000u + (msr - 0xc0000000u) : msr;
    msrpm[index / 4u] &= (uint8_t)~(3u << (2u * (index % 4u)));
}

/* This CPU, at its first VM entry: SVM on, its host save area, its host state. */
static void svm_cpu_init(uint32_t cpu)
{
    if (!maps_ready) {
        __builtin_memset(iopm, 0xff, sizeof(iopm));
        __builtin_memset(msrpm, 0xff, sizeof(msrpm));
        for (uint32_t i = 0; i < sizeof(passthrough_msrs) / sizeof(passthrough_msrs[0]); i++) {
            msrpm_allow(passthrough_msrs[i]);
        }
        maps_ready = true;
    }
    uint32_t r[4];
    cpuid(7, 0, r);
    has_pku = (r[2] & CPUID7_ECX_PKU) != 0u;
    pkru_owner[cpu] = MOAT_SUBJECT_IDLE;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, (uint64_t)(uintptr_t)hsave[cpu]);
    uint64_t host = (uint64_t)(uintptr_t)host_state[cpu];
    __asm__ volatile("vmsave %0" : : "a"(host) : "memory");
    cpu_ready[cpu] = true;
}

static void vmcb_segment(paddr_t vmcb, uint32_t off, uint16_t sel, uint16_t attrib,
                         uint32_t limit)
{
    vmcb_set(vmcb, off, (uint64_t)sel | ((uint64_t)attrib << 16) | ((uint64_t)limit << 32));
    vmcb_set(vmcb, off + 8u, 0);
}

/* A fresh VMCB: intercepts, its ASID and nested page tables, the guest in 32-bit flat
 * protected mode with paging off at its entry, esi = boot_rsi (the Linux 32-bit boot
 * protocol: CS 0x10, data 0x18). */
void svm_subject_init(subject_id_t id, const struct moat_subject *subject)
{
    const struct moat_vm *m = tables_vm(subject);
    paddr_t vmcb = m->vmcb;
    struct svm_vm *vm = svm_vm(id);
    arch_phys_zero(vmcb, MOAT_PAGE_SIZE);
    __builtin_memset(vm, 0, sizeof(*vm));
    if (pkru_owner[subject->cpu] == id) {
        pkru_owner[subject->cpu] = MOAT_SUBJECT_IDLE; /* its old PKRU is discarded */
    }
    vm->gprs.rsi = m->boot_rsi;
    vm->flush_tlb = true;
    /* #DB and #AC: an exit per delivery, so no guest can loop in them with the timer
     * held off (they are given back to it). */
    vmcb_set32(vmcb, VMCB_INTERCEPT_EXC, (1u << VEC_DB) | (1u << VEC_AC) | (1u << VEC_MC));
    vmcb_set32(vmcb, VMCB_INTERCEPT_1,
               I1_INTR | I1_NMI | I1_SMI | I1_INIT | I1_RDPMC | I1_CPUID | I1_INVD | I1_HLT |
                   I1_INVLPGA | I1_IOIO | I1_MSR | I1_SHUTDOWN);
    vmcb_set32(vmcb, VMCB_INTERCEPT_2,
               I2_VMRUN | I2_VMMCALL | I2_VMLOAD | I2_VMSAVE | I2_STGI | I2_CLGI | I2_SKINIT |
                   I2_RDTSCP | I2_WBINVD | I2_MONITOR | I2_MWAIT | I2_MWAIT_C | I2_XSETBV);
    vmcb_set(vmcb, VMCB_IOPM_BASE, (uint64_t)(uintptr_t)iopm);
    vmcb_set(vmcb, VMCB_MSRPM_BASE, (uint64_t)(uintptr_t)msrpm);
    vmcb_set32(vmcb, VMCB_ASID, (uint32_t)id + 1u);
    vmcb_set(vmcb, VMCB_INT_CTL, INT_CTL_V_INTR_MASKING);
    vmcb_set(vmcb, VMCB_NP_ENABLE, 1);
    vmcb_set(vmcb, VMCB_NCR3, subject->pml4);
    vmcb_segment(vmcb, VMCB_CS, 0x10, 0xc9b, 0xffffffffu);
    vmcb_segment(vmcb, VMCB_DS, 0x18, 0xc93, 0xffffffffu);
    vmcb_segment(vmcb, VMCB_ES, 0x18, 0xc93, 0xffffffffu);
    vmcb_segment(vmcb, VMCB_SS, 0x18, 0xc93, 0xffffffffu);
    vmcb_segment(vmcb, VMCB_FS, 0, 0, 0xffffu);
    vmcb_segment(vmcb, VMCB_GS, 0, 0, 0xffffu);
    vmcb_segment(vmcb, VMCB_GDTR, 0, 0, 0xffffu);
    vmcb_segment(vmcb, VMCB_IDTR, 0, 0, 0xffffu);
    vmcb_segment(vmcb, VMCB_LDTR, 0, 0x82, 0xffffu);
    vmcb_segment(vmcb, VMCB_TR, 0, 0x8b, 0xffffu);
    vmcb_set(vmcb, VMCB_EFER, EFER_SVME);
    vmcb_set(vmcb, VMCB_CR0, 0x11u); /* PE, ET: protected mode, no paging */
    vmcb_set(vmcb, VMCB_DR6, DR6_INIT);
    vmcb_set(vmcb, VMCB_DR7, DR7_INIT);
    vmcb_set(vmcb, VMCB_RFLAGS, RFLAGS_FIXED);
    vmcb_set(vmcb, VMCB_RIP, subject->entry);
    vmcb_set(vmcb, VMCB_G_PAT, 0x0007040600070406ull); /* the power-on PAT */
    vcpu_reset(id);
}

static void inject(paddr_t vmcb, uint32_t vector, bool has_error, uint32_t error)
{
    vmcb_set(vmcb, VMCB_EVENTINJ,
             vector | EVENT_TYPE_EXC | EVENT_VALID | (has_error ? EVENT_ERR_VALID : 0u) |
                 ((uint64_t)error << 32));
}

/* Past an instruction the kernel finished for the guest: no interrupt shadow is left. */
static void skip(paddr_t vmcb, uint64_t length)
{
    vmcb_set(vmcb, VMCB_RIP, vmcb_get(vmcb, VMCB_RIP) + length);
    vmcb_set(vmcb, VMCB_INT_STATE, 0);
}

/* What it is given at this entry: an event an exit interrupted, else the next vector
 * once it can take it (else a window exit is asked for: V_IRQ with the VINTR
 * intercept); nothing while the kernel injects an exception. */
static void svm_prepare_events(subject_id_t id, paddr_t vmcb)
{
    struct svm_vm *vm = svm_vm(id);
    uint64_t ctl = vmcb_get(vmcb, VMCB_INT_CTL) & ~INT_CTL_V_IRQ;
    uint32_t i1 = (uint32_t)vmcb_get(vmcb, VMCB_INTERCEPT_1) & ~I1_VINTR;
    if ((vmcb_get(vmcb, VMCB_EVENTINJ) & EVENT_VALID) == 0u) {
        uint32_t v = vm_irq_next(id);
        bool open = (vmcb_get(vmcb, VMCB_RFLAGS) & RFLAGS_IF) != 0u &&
                    (vmcb_get(vmcb, VMCB_INT_STATE) & 1u) == 0u;
        if (vm->reinject != 0u) {
            vmcb_set(vmcb, VMCB_EVENTINJ, vm->reinject);
            vm->reinject = 0;
        } else if (v != 0u && open) {
            vmcb_set(vmcb, VMCB_EVENTINJ, v | EVENT_TYPE_INTR | EVENT_VALID);
            vm_irq_injected(id, v);
        } else if (v != 0u) {
            ctl |= INT_CTL_V_IRQ | INT_CTL_V_IGN_TPR | (0xfull << INT_CTL_V_PRIO_SHIFT);
            i1 |= I1_VINTR;
        }
    }
    vmcb_set(vmcb, VMCB_INT_CTL, ctl);
    vmcb_set32(vmcb, VMCB_INTERCEPT_1, i1);
}

static void dr_swap(uint64_t load[4], uint64_t save[4])
{
    __asm__ volatile("mov %%dr0, %0\n\tmov %%dr1, %1\n\tmov %%dr2, %2\n\tmov %%dr3, %3"
                     : "=r"(save[0]), "=r"(save[1]), "=r"(save[2]), "=r"(save[3]));
    write_dr0(load[0]);
    write_dr1(load[1]);
    write_dr2(load[2]);
    write_dr3(load[3]);
}

static struct core_next vm_fault_exit(tsc_t now, subject_id_t id, paddr_t vmcb, uint32_t kind,
                                      uint64_t error, uint64_t addr)
{
    const struct svm_gprs *g = &svm_vm(id)->gprs;
    struct arch_fault f = {0};
    f.vector = kind;
    f.error = error;
    f.ip = vmcb_get(vmcb, VMCB_RIP);
    f.addr = addr;
    const uint64_t regs[] = {vmcb_get(vmcb, VMCB_RAX), g->rbx, g->rcx, g->rdx, g->rsi, g->rdi,
                             g->rbp, vmcb_get(vmcb, VMCB_RSP), g->r8, g->r9, g->r10, g->r11,
                             g->r12, g->r13, g->r14, g->r15, vmcb_get(vmcb, VMCB_RFLAGS),
                             vmcb_get(vmcb, VMCB_CS) & 0xffffu, vmcb_get(vmcb, VMCB_SS) & 0xffffu};
    for (uint32_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
        f.regs[i] = regs[i];
    }
    return vm_on_fault(now, id, &f);
}

/* RDMSR/WRMSR: ecx, edx:eax; #GP for what the guest may not touch (vcpu.c). */
static struct core_next svm_msr(tsc_t now, subject_id_t id, paddr_t vmcb)
{
    struct svm_gprs *g = &svm_vm(id)->gprs;
    uint32_t msr = (uint32_t)g->rcx;
    bool ok;
    if (vmcb_get(vmcb, VMCB_EXITINFO1) == 0u) {
        uint64_t value = 0;
        ok = vcpu_rdmsr(id, vmcb, msr, &value);
        if (ok) {
            vmcb_set(vmcb, VMCB_RAX, (uint32_t)value);
            g->rdx = value >> 32;
        }
    } else {
        uint64_t value = (vmcb_get(vmcb, VMCB_RAX) & 0xffffffffu) | (g->rdx << 32);
        ok = vcpu_wrmsr(id, vmcb, msr, value);
    }
    if (ok) {
        skip(vmcb, 2);
    } else {
        inject(vmcb, VEC_GP, true, 0);
    }
    return sched_resume(now, id);
}

/* IN/OUT (EXITINFO1: port, size, direction, string; EXITINFO2: the next RIP). */
static struct core_next svm_io(tsc_t now, subject_id_t id, paddr_t vmcb)
{
    uint64_t info = vmcb_get(vmcb, VMCB_EXITINFO1);
    uint16_t port = (uint16_t)(info >> 16);
    uint32_t bytes = (info & 0x10u) != 0u ? 1u : (info & 0x20u) != 0u ? 2u : 4u;
    uint64_t mask = bytes == 4u ? 0xffffffffu : (1ull << (8u * bytes)) - 1u;
    if ((info & 0x4u) != 0u) {
        /* INS/OUTS would make the kernel touch guest memory. */
        inject(vmcb, VEC_GP, true, 0);
        return sched_resume(now, id);
    }
    uint64_t rax = vmcb_get(vmcb, VMCB_RAX);
    if ((info & 0x1u) != 0u) {
        uint64_t in = vcpu_in(id, port) & mask;
        /* IN eax clears the upper half of rax; IN al/ax keep the rest. */
        vmcb_set(vmcb, VMCB_RAX, bytes == 4u ? in : (rax & ~mask) | in);
    } else {
        vcpu_out(id, port, (uint32_t)(rax & mask));
    }
    vmcb_set(vmcb, VMCB_RIP, vmcb_get(vmcb, VMCB_EXITINFO2));
    vmcb_set(vmcb, VMCB_INT_STATE, 0);
    return sched_resume(now, id);
}

static struct core_next svm_exit(tsc_t now, subject_id_t id, paddr_t vmcb, uint64_t code)
{
    struct svm_vm *vm = svm_vm(id);
    switch (code) {
    case EXIT_INTR:
        /* Taken here, through the IDT (arch_kernel_trap: timer, IPI, IRQ lines). */
        __asm__ volatile("sti\n\tnop\n\tcli" ::: "memory");
        return core_on_timer(rdtsc());
    case EXIT_NMI:
    case EXIT_SMI:
    case EXIT_INIT:
        /* The platform's, as for native subjects: taken when GIF is set again. */
        __asm__ volatile("sti\n\tnop\n\tcli" ::: "memory");
        return core_on_timer(rdtsc());
    case EXIT_VINTR:
        return sched_resume(now, id); /* it can take an interrupt now */
    case EXIT_CPUID: {
        uint32_t r[4];
        vcpu_cpuid(vmcb, (uint32_t)vmcb_get(vmcb, VMCB_RAX), (uint32_t)vm->gprs.rcx, r);
        vmcb_set(vmcb, VMCB_RAX, r[0]);
        vm->gprs.rbx = r[1];
        vm->gprs.rcx = r[2];
        vm->gprs.rdx = r[3];
        skip(vmcb, 2);
        return sched_resume(now, id);
    }
    case EXIT_MSR:
        return svm_msr(now, id, vmcb);
    case EXIT_IOIO:
        return svm_io(now, id, vmcb);
    case EXIT_HLT:
        skip(vmcb, 1);
        return vm_on_halt(now, id, (vmcb_get(vmcb, VMCB_RFLAGS) & RFLAGS_IF) != 0u);
    case EXIT_VMMCALL: {
        int64_t result = 0;
        skip(vmcb, 3);
        struct core_next next =
            vm_on_call(now, id, vmcb_get(vmcb, VMCB_RAX), vm->gprs.rdi, &result);
        vmcb_set(vmcb, VMCB_RAX, (uint64_t)result);
        return next;
    }
    case EXIT_XSETBV: {
        uint64_t value = (vmcb_get(vmcb, VMCB_RAX) & 0xffffffffu) | (vm->gprs.rdx << 32);
        /* XCR0 is not switched: the guest may only set the host's. */
        if ((uint32_t)vm->gprs.rcx == 0u && value == cpu_features.xcr0) {
            skip(vmcb, 3);
        } else {
            inject(vmcb, VEC_GP, true, 0);
        }
        return sched_resume(now, id);
    }
    case EXIT_INVD:
    case EXIT_WBINVD:
        skip(vmcb, 2); /* no cache flush on behalf of a guest */
        return sched_resume(now, id);
    case EXIT_RDPMC:
        inject(vmcb, VEC_GP, true, 0);
        return sched_resume(now, id);
    case EXIT_VMRUN:
    case EXIT_VMLOAD:
    case EXIT_VMSAVE:
    case EXIT_STGI:
    case EXIT_CLGI:
    case EXIT_SKINIT:
    case EXIT_INVLPGA:
    case EXIT_RDTSCP:
    case EXIT_MONITOR:
    case EXIT_MWAIT:
    case EXIT_MWAIT_C:
        inject(vmcb, VEC_UD, false, 0); /* CPUID offers none of them */
        return sched_resume(now, id);
    case EXIT_EXC_BASE + VEC_DB:
        inject(vmcb, VEC_DB, false, 0);
        return sched_resume(now, id);
    case EXIT_EXC_BASE + VEC_AC:
        inject(vmcb, VEC_AC, true, 0);
        return sched_resume(now, id);
    case EXIT_EXC_BASE + VEC_MC:
        core_panic("machine check in a VM, subject", id);
    case EXIT_NPF:
        return vm_fault_exit(now, id, vmcb, VM_FAULT_NPF, vmcb_get(vmcb, VMCB_EXITINFO1),
                             vmcb_get(vmcb, VMCB_EXITINFO2));
    case EXIT_SHUTDOWN:
        return vm_fault_exit(now, id, vmcb, VM_FAULT_SHUTDOWN, 0, 0);
    case EXIT_INVALID:
        return vm_fault_exit(now, id, vmcb, VM_FAULT_STATE, code, 0);
    default:
        return vm_fault_exit(now, id, vmcb, VM_FAULT_EXIT, code, 0);
    }
}

/* VM id's PKRU into the CPU, the previous VM's saved: RDPKRU/WRPKRU need CR4.PKE, set
 * only for them. */
static void pkru_switch(uint32_t cpu, subject_id_t id)
{
    if (!has_pku || pkru_owner[cpu] == id) {
        return;
    }
    uint64_t cr4 = read_cr4();
    write_cr4(cr4 | CR4_PKE);
    if (pkru_owner[cpu] != MOAT_SUBJECT_IDLE) {
        uint32_t old;
        __asm__ volatile("rdpkru" : "=a"(old) : "c"(0u) : "rdx");
        svm_vm(pkru_owner[cpu])->pkru = old;
    }
    __asm__ volatile("wrpkru" : : "a"(svm_vm(id)->pkru), "c"(0u), "d"(0u) : "memory");
    write_cr4(cr4);
    pkru_owner[cpu] = id;
}

/* QEMU's TCG does not intercept XSETBV: whatever the guest set, XCR0 is the host's again
 * before the kernel saves any extended state with it (one XGETBV per exit). */
static void xcr0_keep(void)
{
    uint32_t lo;
    uint32_t hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0u));
    if ((((uint64_t)hi << 32) | lo) != cpu_features.xcr0) {
        __asm__ volatile("xsetbv"
                         :
                         : "c"(0u), "a"((uint32_t)cpu_features.xcr0),
                           "d"((uint32_t)(cpu_features.xcr0 >> 32)));
    }
}

/* One run of VM id in its frame: its state in, VMRUN until an exit, the exit handled. */
struct core_next svm_run(uint32_t cpu, subject_id_t id)
{
    const struct moat_subject *s = tables_subject(id);
    paddr_t vmcb = tables_vm(s)->vmcb;
    struct svm_vm *vm = svm_vm(id);
    if (!cpu_ready[cpu]) {
        svm_cpu_init(cpu);
    }
    if (!vm_enter(id)) {
        return core_on_timer(rdtsc()); /* halted with interrupts off */
    }
    entry_switch_to_vm(cpu, id);
    pkru_switch(cpu, id);
    svm_prepare_events(id, vmcb);
    vmcb_set32(vmcb, VMCB_TLB_CONTROL, vm->flush_tlb ? 1u : 0u);
    vmcb_set(vmcb, VMCB_CLEAN, 0);
    vm->flush_tlb = false;
    uint64_t host_dr[4];
    dr_swap(vm->dr, host_dr);
    __asm__ volatile("clgi" ::: "memory");
    svm_vmrun(&vm->gprs, vmcb, (uint64_t)(uintptr_t)host_state[cpu], TRAMP->shared.spec);
    if (cpu_features.xsave) {
        xcr0_keep();
    }
    dr_swap(host_dr, vm->dr);
    __asm__ volatile("stgi" ::: "memory");
    /* What the guest trained is not the kernel's to follow (as on a subject change). */
    if (spec_policy.rsb_fill) {
        cpu_rsb_fill();
    }
    tsc_t now = rdtsc();
    vmcb_set(vmcb, VMCB_EVENTINJ, 0);
    uint64_t cut = vmcb_get(vmcb, VMCB_EXITINTINFO);
    if ((cut & EVENT_VALID) != 0u) {
        vm->reinject = cut;
    }
    uint64_t code = vmcb_get(vmcb, VMCB_EXITCODE);
    /* QEMU stores VMEXIT_INVALID (-1) in the low 32 bits only. */
    return svm_exit(now, id, vmcb, code == 0xffffffffu ? EXIT_INVALID : code);
}
