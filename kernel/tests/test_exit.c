/*
 * Host tests of the exit path's pure rules (kernel/arch/x86_64/exit.c), the same code
 * the kernel runs before every iretq to ring 3 and on every kernel entry: the frame a
 * subject is returned to, which vectors are the subject's faults, and which speculation
 * mitigations a CPU gets. No subject can show a kept IOPL or an unreset CS/SS (the
 * kernel would have to be wrong first), so these are checked here, white-box.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../arch/x86_64/exit.h"

static struct trap_frame user_frame(void)
{
    struct trap_frame f;
    memset(&f, 0, sizeof(f));
    f.rip = 0x400000;
    f.rsp = MOAT_STACK_TOP;
    f.cs = SEL_USER_CS;
    f.ss = SEL_USER_DS;
    f.rflags = RFLAGS_IF | RFLAGS_FIXED;
    return f;
}

static void exit_frame_never_keeps_iopl(void **state)
{
    (void)state;
    for (uint64_t iopl = 0; iopl < 4u; iopl++) {
        struct trap_frame f = user_frame();
        f.rflags |= iopl << 12;
        assert_true(exit_frame_sanitise(&f));
        assert_int_equal(f.rflags & RFLAGS_IOPL, 0);
    }
}

static void exit_frame_drops_every_privileged_flag(void **state)
{
    (void)state;
    struct trap_frame f = user_frame();
    f.rflags = ~0ull;
    assert_true(exit_frame_sanitise(&f));
    assert_int_equal(f.rflags & (RFLAGS_IOPL | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM | RFLAGS_VIF |
                                 RFLAGS_VIP | RFLAGS_ID),
                     0);
    /* Nothing beyond the subject's own flags, IF and the fixed bit. */
    assert_int_equal(f.rflags, RFLAGS_USER | RFLAGS_IF | RFLAGS_FIXED);
}

static void exit_frame_always_enables_interrupts(void **state)
{
    (void)state;
    struct trap_frame f = user_frame();
    f.rflags = 0;
    assert_true(exit_frame_sanitise(&f));
    assert_int_equal(f.rflags & RFLAGS_IF, RFLAGS_IF);
}

static void exit_frame_keeps_the_subjects_own_flags(void **state)
{
    (void)state;
    const uint64_t own[] = {RFLAGS_CF, RFLAGS_PF, RFLAGS_AF, RFLAGS_ZF, RFLAGS_SF,
                            RFLAGS_TF, RFLAGS_DF, RFLAGS_OF, RFLAGS_AC};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        struct trap_frame f = user_frame();
        f.rflags |= own[i];
        assert_true(exit_frame_sanitise(&f));
        assert_int_equal(f.rflags & own[i], own[i]);
    }
}

static void exit_frame_resets_cs_and_ss_to_user_selectors(void **state)
{
    (void)state;
    /* Kernel selectors, user selectors with RPL 0, the TSS, null, garbage. */
    const uint64_t bad[] = {SEL_KERNEL_CS, SEL_KERNEL_DS, SEL_USER_CS & ~3u, SEL_USER_DS & ~3u,
                            SEL_TSS, 0, 0xffff, ~0ull};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct trap_frame f = user_frame();
        f.cs = bad[i];
        f.ss = bad[(i + 1u) % (sizeof(bad) / sizeof(bad[0]))];
        assert_true(exit_frame_sanitise(&f));
        assert_int_equal(f.cs, SEL_USER_CS);
        assert_int_equal(f.ss, SEL_USER_DS);
    }
}

static void exit_frame_refuses_rip_outside_the_canonical_lower_half(void **state)
{
    (void)state;
    const uint64_t bad[] = {MOAT_USER_VIRT_END, MOAT_USER_VIRT_END + 1u, 0x0000fffffffff000ull,
                            0xffff800000000000ull, MOAT_TRAMPOLINE_VIRT, ~0ull};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct trap_frame f = user_frame();
        f.rip = bad[i];
        assert_false(exit_frame_sanitise(&f));
    }
    const uint64_t good[] = {0, 0x400000, MOAT_USER_MAP_END, MOAT_USER_VIRT_END - 1u};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct trap_frame f = user_frame();
        f.rip = good[i];
        assert_true(exit_frame_sanitise(&f));
        assert_int_equal(f.rip, good[i]);
    }
}

static void exit_frame_leaves_the_registers_alone(void **state)
{
    (void)state;
    struct trap_frame f = user_frame();
    memset(&f, 0x5a, sizeof(f));
    f.rip = 0x401234;
    struct trap_frame before = f;
    assert_true(exit_frame_sanitise(&f));
    before.cs = SEL_USER_CS;
    before.ss = SEL_USER_DS;
    before.rflags = f.rflags;
    assert_memory_equal(&f, &before, sizeof(f));
}

static void every_exception_but_nmi_and_mc_is_the_subjects_fault(void **state)
{
    (void)state;
    for (uint64_t v = 0; v < 32u; v++) {
        enum trap_kind want = (v == 2u || v == 18u) ? TRAP_PLATFORM : TRAP_FAULT;
        assert_int_equal(exit_trap_kind(v), want);
    }
}

static void interrupts_and_kcalls_are_told_apart(void **state)
{
    (void)state;
    assert_int_equal(exit_trap_kind(VEC_SYSCALL), TRAP_KCALL);
    assert_int_equal(exit_trap_kind(VEC_TIMER), TRAP_TIMER);
    assert_int_equal(exit_trap_kind(VEC_WAKE), TRAP_TIMER);
    for (uint64_t line = 0; line < MOAT_MAX_IRQS; line++) {
        assert_int_equal(exit_trap_kind(VEC_IRQ_BASE + line), TRAP_IRQ);
    }
    /* Legacy PIC range, past the last line, the APIC's spurious vector, past 255. */
    const uint64_t spurious[] = {0x20, 0x2f, VEC_IRQ_BASE + MOAT_MAX_IRQS, VEC_SPURIOUS, 0x101};
    for (size_t i = 0; i < sizeof(spurious) / sizeof(spurious[0]); i++) {
        assert_int_equal(exit_trap_kind(spurious[i]), TRAP_SPURIOUS);
    }
}

/* QEMU's qemu64 and TCG's max (no speculation bits at all; AMD's vendor string). */
static void spec_on_a_cpu_that_reports_nothing(void **state)
{
    (void)state;
    struct spec_cpu cpu = {0};
    struct spec_policy p = exit_spec_choose(&cpu);
    assert_false(p.verw);
    assert_string_equal(p.verw_why, "no md-clear");
    assert_false(p.ibpb);
    assert_true(p.rsb_fill);
    assert_false(p.l1d_flush);
    assert_string_equal(p.l1d_why, "not intel");
}

static void spec_verw_where_md_clear_and_mds_applies(void **state)
{
    (void)state;
    struct spec_cpu cpu = {.intel = true, .cpuid7_edx = CPUID7_EDX_MD_CLEAR};
    struct spec_policy p = exit_spec_choose(&cpu);
    assert_true(p.verw);
    assert_string_equal(p.verw_why, "md-clear");
    /* MDS_NO without TSX: nothing to clear. */
    cpu.cpuid7_edx |= CPUID7_EDX_ARCH_CAPS;
    cpu.arch_caps = ARCH_CAPS_MDS_NO;
    p = exit_spec_choose(&cpu);
    assert_false(p.verw);
    assert_string_equal(p.verw_why, "mds-no");
    /* MDS_NO with TSX but not TAA_NO: TAA still needs it. */
    cpu.cpuid7_ebx = CPUID7_EBX_RTM;
    p = exit_spec_choose(&cpu);
    assert_true(p.verw);
    cpu.arch_caps |= ARCH_CAPS_TAA_NO;
    p = exit_spec_choose(&cpu);
    assert_false(p.verw);
    /* IA32_ARCH_CAPABILITIES counts only where CPUID says it exists. */
    cpu.cpuid7_edx &= ~CPUID7_EDX_ARCH_CAPS;
    p = exit_spec_choose(&cpu);
    assert_true(p.verw);
}

static void spec_ibpb_on_intel_and_amd_enumeration(void **state)
{
    (void)state;
    struct spec_cpu intel = {.intel = true, .cpuid7_edx = CPUID7_EDX_IBRS_IBPB};
    assert_true(exit_spec_choose(&intel).ibpb);
    struct spec_cpu amd = {.ext8_ebx = CPUID80000008_EBX_IBPB};
    assert_true(exit_spec_choose(&amd).ibpb);
    struct spec_cpu none = {.intel = true, .ext8_ebx = ~CPUID80000008_EBX_IBPB};
    assert_false(exit_spec_choose(&none).ibpb);
}

static void spec_l1d_flush_only_where_l1tf_applies(void **state)
{
    (void)state;
    struct spec_cpu cpu = {.intel = true, .cpuid7_edx = CPUID7_EDX_L1D_FLUSH};
    struct spec_policy p = exit_spec_choose(&cpu);
    assert_true(p.l1d_flush);
    cpu.cpuid7_edx |= CPUID7_EDX_ARCH_CAPS;
    cpu.arch_caps = ARCH_CAPS_RDCL_NO;
    p = exit_spec_choose(&cpu);
    assert_false(p.l1d_flush);
    assert_string_equal(p.l1d_why, "rdcl-no");
    struct spec_cpu no_msr = {.intel = true};
    p = exit_spec_choose(&no_msr);
    assert_false(p.l1d_flush);
    assert_string_equal(p.l1d_why, "no flush-l1d");
    struct spec_cpu amd = {.cpuid7_edx = CPUID7_EDX_L1D_FLUSH};
    assert_false(exit_spec_choose(&amd).l1d_flush);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exit_frame_never_keeps_iopl),
        cmocka_unit_test(exit_frame_drops_every_privileged_flag),
        cmocka_unit_test(exit_frame_always_enables_interrupts),
        cmocka_unit_test(exit_frame_keeps_the_subjects_own_flags),
        cmocka_unit_test(exit_frame_resets_cs_and_ss_to_user_selectors),
        cmocka_unit_test(exit_frame_refuses_rip_outside_the_canonical_lower_half),
        cmocka_unit_test(exit_frame_leaves_the_registers_alone),
        cmocka_unit_test(every_exception_but_nmi_and_mc_is_the_subjects_fault),
        cmocka_unit_test(interrupts_and_kcalls_are_told_apart),
        cmocka_unit_test(spec_on_a_cpu_that_reports_nothing),
        cmocka_unit_test(spec_verw_where_md_clear_and_mds_applies),
        cmocka_unit_test(spec_ibpb_on_intel_and_amd_enumeration),
        cmocka_unit_test(spec_l1d_flush_only_where_l1tf_applies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
