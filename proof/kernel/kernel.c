/*
 * The kernel proof (docs/assurance.md): all of kernel/core as one translation unit, so
 * that contracts can name each file's own state. The order matters:
 *   1. model.h: the ghost objects and shared predicates; the accessor contracts below;
 *   2. model_*.h: each module's predicates, which annotations inside the code name;
 *   3. every kernel/core/*.c, the code itself;
 *   4. arch_spec.h and spec_*.h: the contracts, as prototypes that Frama-C joins to the
 *      definitions above (arch_spec.h: the arch as the core assumes it).
 * Each part of prove.py (kernel-print, kernel-tables, ...) proves the functions it
 * names (-wp-rte: every run-time-error goal, every contract and loop invariant, and the
 * precondition of every call they make) and takes the contracts of what they call.
 *
 * The accessors of tables.h and core_subject() are taken by their contracts (record i
 * of an array, with i below its count as the precondition WP checks at each call);
 * their bodies are the byte arithmetic of the blob's format, which WP's typed memory
 * model does not follow (docs/assurance.md).
 */
#include "model.h"
#include "channel_internal.h" /* channel_writer_ok, the kernel log writer's invariant */

/* ---- The accessors (tables.h, core.h): record i of its array, i proved < count. ---- */

/*@ requires \valid_read(tables);
    assigns \nothing;
    ensures \result == tables->subjects.count; */
static inline uint32_t tables_subject_count(void);
/*@ requires \valid_read(tables);
    assigns \nothing;
    ensures \result == tables->plans.count; */
static inline uint32_t tables_plan_count(void);
/*@ requires \valid_read(tables);
    assigns \nothing;
    ensures \result == tables->irqs.count; */
static inline uint32_t tables_irq_count(void);
/*@ requires \valid_read(tables);
    assigns \nothing;
    ensures \result == tables->regions.count; */
static inline uint32_t tables_region_count(void);
/*@ requires \valid_read(tables) && id < tables->subjects.count;
    assigns \nothing;
    ensures \result == &fc_subjects[id]; */
static inline const struct moat_subject *tables_subject(subject_id_t id);
/*@ requires \valid_read(tables) && plan < tables->plans.count;
    assigns \nothing;
    ensures \result == &fc_plans[plan]; */
static inline const struct moat_plan *tables_plan(plan_id_t plan);
/*@ requires \valid_read(tables) && plan < tables->plans.count && cpu < MOAT_MAX_CPUS;
    requires fc_plans[plan].cpus[cpu].frame_first + f < tables->frames.count ||
             (f == 0 && fc_plans[plan].cpus[cpu].frame_first <= tables->frames.count);
    assigns \nothing;
    ensures \result == &fc_frames[fc_plans[plan].cpus[cpu].frame_first + f]; */
static inline const struct moat_frame *tables_frame(plan_id_t plan, uint32_t cpu, uint32_t f);
/*@ requires \valid_read(tables) && \valid_read(s) && s->send_first + id < tables->sends.count;
    assigns \nothing;
    ensures \result == &fc_sends[s->send_first + id]; */
static inline const struct moat_event_route *tables_send(const struct moat_subject *s, uint32_t id);
/*@ requires \valid_read(tables) && \valid_read(s) && s->reset_first + i < tables->resets.count;
    assigns \nothing;
    ensures \result == &fc_resets[s->reset_first + i]; */
static inline const struct moat_reset *tables_reset(const struct moat_subject *s, uint32_t i);
/*@ requires \valid_read(tables) && i < tables->irqs.count;
    assigns \nothing;
    ensures \result == &fc_irqs[i]; */
static inline const struct moat_irq_route *tables_irq(uint32_t i);
/*@ requires \valid_read(tables) && i < tables->regions.count;
    assigns \nothing;
    ensures \result == &fc_regions[i]; */
static inline const struct moat_ram_range *tables_region(uint32_t i);
/*@ requires \valid_read(tables) && offset < tables->strings.count;
    assigns \nothing;
    ensures \result == &fc_strings[offset]; */
static inline const char *tables_string(uint32_t offset);
/*@ requires \valid_read(tables) && id < tables->subjects.count <= MOAT_MAX_SUBJECTS;
    assigns \nothing;
    ensures \result == &fc_state[id]; */
static inline struct core_subject *core_subject(subject_id_t id);


/* ---- 2. Each module's predicates. ---- */
#include "model_print.h"
#include "model_tables.h"
#include "model_sched.h"
#include "model_event.h"
#include "model_system.h"
#include "model_vm.h"

/* The state invariant every entry after boot keeps: each module's part. */
#define core_ok (print_ok && sched_ok && subjects_ok && vm_ok)

/* ---- 3. The code. ---- */
#include "../../kernel/core/print.c"
#include "../../kernel/core/tables.c"
#include "../../kernel/core/tables_vm.c"
#include "../../kernel/core/sched.c"
#include "../../kernel/core/smp.c"
#include "../../kernel/core/event.c"
#include "../../kernel/core/subject.c"
#include "../../kernel/core/audit.c"
#include "../../kernel/core/system.c"
#include "../../kernel/core/vm.c"

/* ---- 4. The contracts. ---- */
#include "arch_spec.h"
#include "spec_print.h"
#include "spec_tables.h"
#include "spec_sched.h"
#include "spec_event.h"
#include "spec_system.h"
#include "spec_vm.h"
