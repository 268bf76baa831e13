/*
 * moat-vm-probe: what a root user in a Moat VM tries (tests/vm vm-contain; docs/vm.md).
 *   moat-vm-probe ports         port I/O to ports the VM was not given, from ring 3 with
 *                               iopl(3): reads must give all-ones and writes must not
 *                               reach the machine (0xf4 is the test machine's exit port,
 *                               0xcf9/0x64/0x92 reset it, 0xcf8/0xcfc would read the host's
 *                               PCI configuration); prints what each read gave
 *   moat-vm-probe fuzz N SEED   N vmmcalls with random numbers and arguments (never a
 *                               valid event send, rarely a yield; event polls among the
 *                               small numbers); checks every result
 *                               and that no other register changed across the call
 *   moat-vm-probe svm3          VMRUN and the other SVM instructions from ring 3: each
 *                               must fault in the guest (a signal), nothing else
 *   moat-vm-probe kexec FILE    boot FILE (a flat ring-0 program linked at 0x2000000)
 *                               with kexec_load, to run it in the guest's ring 0
 */
#include "guest.h"

#define SYS_kexec_load 246
#define SYS_reboot     169
#define SYS_nanosleep  35

static int failures;

static void fail(const char *what)
{
    g_puts("moat-vm-probe: FAIL ");
    g_puts(what);
    g_puts("\n");
    failures++;
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void probe_ports(void)
{
    if (sys3(SYS_iopl, 3, 0, 0) != 0) {
        fail("iopl(3)");
        return;
    }
    /* Reads of ports nobody gave the VM. */
    static const uint16_t reads[] = {0x20, 0x21, 0x40, 0x42, 0x61, 0x64, 0x70, 0x71, 0x80,
                                     0x92, 0xa1, 0x2f8, 0x4d0, 0xcf9, 0xf4, 0x3e8};
    for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
        uint8_t v = inb(reads[i]);
        g_puts("moat-vm-probe: port ");
        g_puthex(reads[i]);
        g_puts(" reads ");
        g_puthex(v);
        g_puts("\n");
        if (v != 0xffu) {
            fail("an ungranted port did not read all-ones");
        }
    }
    /* The host bridge's vendor/device id, if PCI configuration reached the machine. */
    outl(0xcf8, 0x80000000u);
    uint32_t id = inl(0xcfc);
    g_puts("moat-vm-probe: PCI 00:00.0 id reads ");
    g_puthex(id);
    g_puts("\n");
    if (id != 0xffffffffu) {
        fail("PCI configuration space read reached the machine");
    }
    /* Writes that would end the test machine if they got through: isa-debug-exit with
     * status 0x42 (QEMU would exit 0x85), reset control, keyboard-controller reset, fast
     * reset; the 8259s reinitialised; the PIT's channel 0 reprogrammed. */
    outb(0xf4, 0x42);
    outb(0xcf9, 0x06);
    outb(0x64, 0xfe);
    outb(0x92, 0x01);
    outb(0x20, 0x11);
    outb(0xa0, 0x11);
    outb(0x43, 0x30);
    outb(0x40, 0x01);
    outb(0x40, 0x00);
    g_puts("moat-vm-probe: ports: writes to 0xf4 0xcf9 0x64 0x92 0x20 0xa0 0x43 0x40 done, still running\n");
}

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* One vmmcall with every general register set; 1 when a register other than rax changed. */
static int vmmcall_clobbers(uint64_t number, uint64_t arg, int64_t *ret)
{
    uint64_t regs[13], after[13];
    for (int i = 0; i < 13; i++) {
        regs[i] = rng();
    }
    regs[0] = number; /* rax */
    regs[5] = arg;    /* rdi */
    uint64_t *in = regs, *out = after;
    __asm__ volatile("push %%rbp\n\t"
                     "push %%rbx\n\t"
                     "push %%r12\n\t"
                     "push %%r13\n\t"
                     "push %%r14\n\t"
                     "push %%r15\n\t"
                     "push %%rsi\n\t" /* the in and out arrays */
                     "push %%rdi\n\t"
                     "mov 0x08(%%rsi), %%rbx\n\t"
                     "mov 0x10(%%rsi), %%rcx\n\t"
                     "mov 0x18(%%rsi), %%rdx\n\t"
                     "mov 0x28(%%rsi), %%rdi\n\t"
                     "mov 0x30(%%rsi), %%r8\n\t"
                     "mov 0x38(%%rsi), %%r9\n\t"
                     "mov 0x40(%%rsi), %%r10\n\t"
                     "mov 0x48(%%rsi), %%r11\n\t"
                     "mov 0x50(%%rsi), %%r12\n\t"
                     "mov 0x58(%%rsi), %%r13\n\t"
                     "mov 0x60(%%rsi), %%r14\n\t"
                     "mov 0x00(%%rsi), %%rax\n\t"
                     "mov 0x20(%%rsi), %%rsi\n\t"
                     "vmmcall\n\t"
                     "xchg %%rsi, 8(%%rsp)\n\t" /* rsi: the in array again; saved: guest rsi */
                     "mov (%%rsp), %%rsi\n\t"    /* the out array */
                     "mov %%rax, 0x00(%%rsi)\n\t"
                     "mov %%rbx, 0x08(%%rsi)\n\t"
                     "mov %%rcx, 0x10(%%rsi)\n\t"
                     "mov %%rdx, 0x18(%%rsi)\n\t"
                     "mov 8(%%rsp), %%rax\n\t"
                     "mov %%rax, 0x20(%%rsi)\n\t"
                     "mov %%rdi, 0x28(%%rsi)\n\t"
                     "mov %%r8, 0x30(%%rsi)\n\t"
                     "mov %%r9, 0x38(%%rsi)\n\t"
                     "mov %%r10, 0x40(%%rsi)\n\t"
                     "mov %%r11, 0x48(%%rsi)\n\t"
                     "mov %%r12, 0x50(%%rsi)\n\t"
                     "mov %%r13, 0x58(%%rsi)\n\t"
                     "mov %%r14, 0x60(%%rsi)\n\t"
                     "add $16, %%rsp\n\t"
                     "pop %%r15\n\t"
                     "pop %%r14\n\t"
                     "pop %%r13\n\t"
                     "pop %%r12\n\t"
                     "pop %%rbx\n\t"
                     "pop %%rbp\n\t"
                     : "+S"(in), "+D"(out)
                     :
                     : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "memory", "cc");
    *ret = (int64_t)after[0];
    for (int i = 1; i < 13; i++) {
        if (after[i] != regs[i]) {
            return 1;
        }
    }
    return 0;
}

static void probe_fuzz(uint64_t n, uint64_t seed)
{
    rng_state = seed | 1u;
    uint64_t refused = 0, yields = 0, polls = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t number = rng();
        uint64_t arg = rng();
        switch (i % 4u) {
        case 0: /* small call numbers, where the real ones are (but yield, which would
                 * give up the frame each time) */
            number &= 0xfu;
            number = number == 0u ? 2u : number;
            break;
        case 1: /* event send with an id no VM has (ids are below 64) */
            number = 1u;
            arg = 64u + (arg & 0xffffu);
            break;
        default:
            break;
        }
        if (number == 1u && arg < 64u) {
            arg += 64u; /* never a real event */
        }
        int64_t ret;
        if (vmmcall_clobbers(number, arg, &ret)) {
            fail("a register other than rax changed across vmmcall");
            return;
        }
        if (number == 0u) {
            yields++;
            if (ret != 0) {
                fail("yield did not return MOAT_OK");
            }
        } else if (number == 1u) {
            refused++;
            if (ret != -2) {
                fail("event send with a bad id did not return MOAT_ERR_BAD_ID");
            }
        } else if (number == 3u) {
            polls++; /* event poll: nothing pending (-3), or an incoming event's id */
            if (ret != -3 && (ret < 0 || ret >= 64)) {
                fail("event poll returned neither MOAT_ERR_NONE_PENDING nor an event id");
            }
        } else {
            refused++;
            if (ret != -1) {
                fail("an unknown call did not return MOAT_ERR_NO_CALL");
            }
        }
    }
    g_puts("moat-vm-probe: fuzz: ");
    g_putdec((int64_t)n);
    g_puts(" vmmcalls, ");
    g_putdec((int64_t)refused);
    g_puts(" refused as expected, ");
    g_putdec((int64_t)polls);
    g_puts(" polls, ");
    g_putdec((int64_t)yields);
    g_puts(" yields, registers preserved\n");
}

/* ---- ring 3 SVM instructions: each must raise a signal in the guest ---- */

struct k_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

#define SA_SIGINFO  4u
#define SA_RESTORER 0x04000000u
#define SIGILL      4
#define SIGSEGV     11

static volatile int last_signal;
static volatile uint64_t resume_at;

__asm__(".text\n"
        "g_restorer:\n"
        "    mov $15, %eax\n" /* rt_sigreturn */
        "    syscall\n");
void g_restorer(void);

/* The signal handler moves the interrupted RIP (in the ucontext) to resume_at. */
static void on_signal(int sig, void *info, void *uctx)
{
    (void)info;
    last_signal = sig;
    /* ucontext: uc_flags 8, uc_link 8, uc_stack 24, then mcontext gregs; RIP is gregs[16]. */
    uint64_t *gregs = (uint64_t *)((char *)uctx + 40);
    gregs[16] = resume_at;
}

#define SVM_PROBE(name, insn)                                                                \
    do {                                                                                     \
        last_signal = 0;                                                                     \
        __asm__ volatile("lea 1f(%%rip), %%rax\n\t"                                          \
                         "mov %%rax, %0\n\t"                                                 \
                         "xor %%eax, %%eax\n\t"                                              \
                         "xor %%ecx, %%ecx\n\t" insn "\n"                                    \
                         "1:"                                                                \
                         : "=m"(resume_at)                                                   \
                         :                                                                   \
                         : "rax", "rcx", "memory");                                          \
        report_signal(name);                                                                 \
    } while (0)

static void report_signal(const char *name)
{
    g_puts("moat-vm-probe: ring 3 ");
    g_puts(name);
    g_puts(last_signal == SIGILL ? " -> SIGILL\n" : last_signal == SIGSEGV ? " -> SIGSEGV\n" : " -> no fault\n");
    if (last_signal == 0) {
        fail("an SVM instruction ran in ring 3");
    }
}

static void probe_svm3(void)
{
    struct k_sigaction sa = {(void (*)(int))(void *)on_signal, SA_SIGINFO | SA_RESTORER,
                             g_restorer, 0};
    if (sys6(SYS_rt_sigaction, SIGILL, (long)&sa, 0, 8, 0, 0) != 0 ||
        sys6(SYS_rt_sigaction, SIGSEGV, (long)&sa, 0, 8, 0, 0) != 0) {
        fail("rt_sigaction");
        return;
    }
    SVM_PROBE("vmrun", "vmrun");
    SVM_PROBE("vmload", "vmload");
    SVM_PROBE("vmsave", "vmsave");
    SVM_PROBE("stgi", "stgi");
    SVM_PROBE("clgi", "clgi");
    SVM_PROBE("skinit", "skinit");
    SVM_PROBE("invlpga", "invlpga");
}

/* ---- kexec into a ring-0 program ---- */

struct kexec_segment {
    const void *buf;
    size_t bufsz;
    uint64_t mem;
    size_t memsz;
};

#define RING0_BASE 0x2000000u
#define RING0_MAX  0x10000u

static char ring0_image[RING0_MAX];

static void probe_kexec(const char *path)
{
    long fd = sys3(SYS_open, (long)path, 0, 0);
    if (fd < 0) {
        fail("open the ring-0 program");
        return;
    }
    long size = sys3(SYS_read, fd, (long)ring0_image, RING0_MAX);
    (void)sys3(SYS_close, fd, 0, 0);
    if (size <= 0 || size == RING0_MAX) {
        fail("read the ring-0 program");
        return;
    }
    struct kexec_segment seg = {ring0_image, (size_t)size, RING0_BASE, RING0_MAX};
    long r = sys6(SYS_kexec_load, RING0_BASE, 1, (long)&seg, 0, 0, 0);
    if (r != 0) {
        g_puts("moat-vm-probe: kexec_load returned ");
        g_putdec(r);
        g_puts("\n");
        fail("kexec_load");
        return;
    }
    g_puts("moat-vm-probe: kexec into the ring-0 program\n");
    /* Half a second for the console to take the lines above: kexec drops what is left. */
    struct {
        long sec, nsec;
    } half = {0, 500000000};
    (void)sys3(SYS_nanosleep, (long)&half, 0, 0);
    /* LINUX_REBOOT_MAGIC1, MAGIC2, LINUX_REBOOT_CMD_KEXEC */
    r = sys6(SYS_reboot, (long)0xfee1deadu, 672274793, 0x45584543, 0, 0, 0);
    g_puts("moat-vm-probe: reboot(KEXEC) returned ");
    g_putdec(r);
    g_puts("\n");
    fail("kexec reboot");
}

int main(int argc, char **argv)
{
    int ok = 1, ok2 = 1;
    if (argc == 2 && g_streq(argv[1], "ports")) {
        probe_ports();
    } else if (argc == 4 && g_streq(argv[1], "fuzz")) {
        uint64_t n = g_parse(argv[2], &ok);
        uint64_t seed = g_parse(argv[3], &ok2);
        if (!ok || !ok2) {
            return 2;
        }
        probe_fuzz(n, seed);
    } else if (argc == 2 && g_streq(argv[1], "svm3")) {
        probe_svm3();
    } else if (argc == 3 && g_streq(argv[1], "kexec")) {
        probe_kexec(argv[2]);
    } else {
        g_puts("usage: moat-vm-probe ports | fuzz N SEED | svm3 | kexec FILE\n");
        return 2;
    }
    return failures == 0 ? 0 : 1;
}
