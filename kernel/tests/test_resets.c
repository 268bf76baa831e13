/*
 * Host tests of a restart's reset work against the fake arch (core_fixture.h): chunks
 * in the subject's own frames only, bounded per kernel entry, none started that would
 * overrun the frame (at costs measured at boot, capped so the reset always ends).
 */
#include <moat/abi/audit.h>

#include "core_fixture.h"

static bool gamma_reset_zeroed(uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        if (fake.mem[GAMMA_RESET_BASE + i] != 0u) {
            return false;
        }
    }
    return true;
}

/* Each chunk takes 1 tick: gamma's 5-tick frame holds 5 of its 96 chunks. */
static void reset_is_chunked_across_own_frames(void **state)
{
    (void)state;
    boot();
    memset(&fake.mem[GAMMA_RESET_BASE], 0x5a, GAMMA_RESET_SIZE);
    fake.phys_cost = T(1);
    fake.now = START + T(1);
    kcall(ALPHA, MOAT_KCALL_EVENT_SEND, SEND_RESTART_GAMMA, 0);
    assert_int_equal(fake.phys_calls, 0);
    core_on_timer(START + T(10));
    core_on_timer(START + T(30));
    assert_int_equal(fake.phys_calls, 0);
    fake.now = START + T(35);
    struct core_next n = core_on_timer(fake.now);
    assert_int_equal(core_subject(GAMMA)->state, SUBJECT_RESETTING);
    assert_int_equal(fake.phys_calls, 5);
    assert_int_equal(fake.now, START + T(40)); /* stopped at the frame's end */
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_true(gamma_reset_zeroed(0, 5u * SUBJECT_RESET_CHUNK_BYTES));
    assert_int_equal(fake.mem[GAMMA_RESET_BASE + 5u * SUBJECT_RESET_CHUNK_BYTES], 0x5a);
    uint32_t inits = fake.init_count[GAMMA];

    /* Alpha's and beta's frames of the next major frame: no reset work, gamma waits. */
    for (uint32_t t = 40; t < 75; t += 5) {
        fake.now = START + T(t);
        n = core_on_timer(fake.now);
        assert_int_not_equal(n.subject, GAMMA);
    }
    assert_int_equal(fake.phys_calls, 5);

    /* Gamma's frames carry on until all 96 chunks are done; then it runs. */
    uint32_t frames = 1;
    for (uint32_t major = 1; major < 40 && core_subject(GAMMA)->state == SUBJECT_RESETTING;
         major++) {
        fake.now = START + T(40 * major + 35);
        n = core_on_timer(fake.now);
        assert_true(fake.now <= START + T(40 * major + 40));
        frames++;
    }
    assert_int_equal(frames, 20); /* 19 frames of 5 chunks, then the last one */
    assert_int_equal(core_subject(GAMMA)->state, SUBJECT_RUNNABLE);
    assert_int_equal(n.subject, GAMMA);
    assert_int_equal(fake.init_count[GAMMA], inits + 1u);
    assert_true(gamma_reset_zeroed(0, GAMMA_RESET_SIZE));
}

static void reset_work_per_kernel_entry_is_bounded(void **state)
{
    (void)state;
    boot();
    core_on_timer(START + T(35));
    struct arch_fault f = {.vector = 6};
    fake.now = START + T(36);
    struct core_next n = core_on_fault(fake.now, GAMMA, &f);
    /* Free chunks: the entry stops after SUBJECT_RESET_CHUNKS_PER_ENTRY and comes back at once. */
    assert_int_equal(fake.phys_calls, SUBJECT_RESET_CHUNKS_PER_ENTRY);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, fake.now);
    n = core_on_timer(fake.now);
    assert_int_equal(fake.phys_calls, GAMMA_RESET_CHUNKS);
    assert_int_equal(n.subject, GAMMA);
    assert_int_equal(n.deadline, START + T(40));
}

/* Chunks of 2 ticks measured at boot: at 39 of a frame ending at 40 none is started. */
static void reset_chunk_that_would_overrun_the_frame_waits(void **state)
{
    (void)state;
    fake.phys_cost = T(2);
    boot();
    core_on_timer(START + T(35));
    struct arch_fault f = {.vector = 6};
    fake.now = START + T(35);
    struct core_next n = core_on_fault(fake.now, GAMMA, &f);
    assert_int_equal(fake.phys_calls, 2);
    assert_int_equal(fake.now, START + T(39));
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(n.deadline, START + T(40)); /* no pointless re-entries until then */
    core_on_timer(fake.now);
    assert_int_equal(fake.phys_calls, 2);
    assert_int_equal(fake.now, START + T(39)); /* the frame's end is kept */
}

/* The last part of a reset (registers, XSAVE image: 2 ticks here, measured at boot)
 * waits for a frame with room for it, like the chunks. */
static void reset_finish_waits_for_a_frame_with_room_for_it(void **state)
{
    (void)state;
    fake.phys_cost = T(1);
    fake.init_cost = T(2);
    boot();
    core_on_timer(START + T(35));
    struct arch_fault f = {.vector = 6};
    fake.now = START + T(38);
    core_on_fault(fake.now, GAMMA, &f); /* 2 chunks, then 5 in each of its next frames */
    uint32_t inits = fake.init_count[GAMMA];
    for (uint32_t m = 1; m < 19; m++) {
        fake.now = START + T(40 * m + 35);
        core_on_timer(fake.now);
        assert_true(fake.now <= START + T(40 * m + 40));
    }
    /* Major 19: the last 4 chunks end at 39, 1 tick before the end: no room to finish. */
    fake.now = START + T(19 * 40 + 35);
    struct core_next n = core_on_timer(fake.now);
    assert_int_equal(fake.now, START + T(19 * 40 + 39));
    assert_int_equal(core_subject(GAMMA)->state, SUBJECT_RESETTING);
    assert_int_equal(fake.init_count[GAMMA], inits);
    assert_int_equal(n.deadline, START + T(19 * 40 + 40));
    fake.now = START + T(20 * 40 + 35);
    n = core_on_timer(fake.now);
    assert_int_equal(fake.init_count[GAMMA], inits + 1u);
    assert_int_equal(n.subject, GAMMA);
    assert_int_equal(fake.now, START + T(20 * 40 + 37));
}

/*
 * Estimates measured at boot while the host (or an SMI) stalled the CPU: a chunk and the
 * last part each "took" 100 ticks, 20 times gamma's 5-tick frame, so nothing would ever
 * fit and gamma would never run again. They count as half its frame: the reset runs in
 * its frames' first halves, ends inside them, and gamma runs again.
 */
static void reset_ends_although_its_boot_estimates_exceed_the_frame(void **state)
{
    (void)state;
    fake.phys_cost = T(100);
    fake.init_cost = T(100);
    boot();
    fake.phys_cost = T(1) / 4u;
    fake.init_cost = T(1);
    core_on_timer(START + T(35));
    struct arch_fault f = {.vector = 6};
    fake.now = START + T(38);
    core_on_fault(fake.now, GAMMA, &f);
    uint32_t inits = fake.init_count[GAMMA];
    struct core_next n = {0};
    for (uint32_t m = 1; m < 10 && fake.init_count[GAMMA] == inits; m++) {
        fake.now = START + T(40 * m + 35);
        n = core_on_timer(fake.now);
        assert_true(fake.now <= START + T(40 * m + 40));
    }
    assert_int_equal(fake.init_count[GAMMA], inits + 1u);
    assert_int_equal(core_subject(GAMMA)->state, SUBJECT_RUNNABLE);
    assert_int_equal(n.subject, GAMMA);
}

static void own_fault_restart_runs_in_own_frames_only(void **state)
{
    (void)state;
    boot();
    core_on_timer(START + T(35));
    fake.phys_cost = T(1);
    struct arch_fault f = {.vector = 6};
    fake.now = START + T(37);
    struct core_next n = core_on_fault(fake.now, GAMMA, &f);
    assert_int_equal(n.subject, MOAT_SUBJECT_IDLE);
    assert_int_equal(fake.phys_calls, 3);
    fake.now = START + T(40);
    n = core_on_timer(fake.now);
    assert_int_equal(n.subject, ALPHA);
    assert_int_equal(fake.now, START + T(40));
    assert_int_equal(core_subject(GAMMA)->state, SUBJECT_RESETTING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(reset_is_chunked_across_own_frames, fixture_setup),
        cmocka_unit_test_setup(reset_work_per_kernel_entry_is_bounded, fixture_setup),
        cmocka_unit_test_setup(reset_chunk_that_would_overrun_the_frame_waits, fixture_setup),
        cmocka_unit_test_setup(reset_finish_waits_for_a_frame_with_room_for_it, fixture_setup),
        cmocka_unit_test_setup(reset_ends_although_its_boot_estimates_exceed_the_frame,
                               fixture_setup),
        cmocka_unit_test_setup(own_fault_restart_runs_in_own_frames_only, fixture_setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
