/*
 * The kernel proof (docs/assurance.md): kernel/core as one translation unit, so that
 * contracts can name each file's own state. Today it holds print.c with a contract for
 * each of its functions; WP proves (-wp-rte, part kernel-print of prove.py) every
 * run-time-error goal, every contract and loop invariant and every precondition at
 * every call. The rest of kernel/core (the boot check's postcondition, the hot paths)
 * is not yet covered.
 *
 * The accessors of tables.h and core_subject() are taken by their contracts (record i
 * of an array, with i below its count as the precondition WP checks at each call);
 * their bodies are the byte arithmetic of the blob's format, which WP's typed memory
 * model does not follow (docs/assurance.md).
 */
#include "model.h"
#include "channel_internal.h" /* channel_writer_ok, the kernel log writer's invariant */

/* What print.c keeps of print_cpus: this CPU's (print_self), as each CPU writes only its
 * own. Macros rather than predicates, so that WP splits them into separate goals. */
#define PRINT_CPU_OK(c) \
    (print_cpus[c].record < MOAT_LOG_RECORD_MAX && \
     (\forall integer i; 0 <= i < MOAT_LOG_RECORD_MAX ==> print_cpus[c].line[i].length <= MOAT_LOG_TEXT_MAX) && \
     (\forall integer i; print_cpus[c].record < i < MOAT_LOG_RECORD_MAX ==> print_cpus[c].line[i].length == 0) && \
     (!print_cpus[c].to_channel ==> print_cpus[c].record == 0) && \
     (print_cpus[c].has_channel ==> channel_writer_ok(&print_cpus[c].writer)) && \
     (print_cpus[c].has_channel ==> print_cpus[c].writer.mem != \null) && \
     (print_cpus[c].has_channel ==> print_cpus[c].writer.element_size == sizeof(struct moat_log_record)) && \
     (print_cpus[c].has_channel ==> \base_addr(print_cpus[c].writer.mem) == \base_addr(&fc_ram[0])))
#define print_ok PRINT_CPU_OK(print_sel)

/* Module state, for assigns clauses. */
#define PRINT_STATE print_cpus[print_sel], fc_ram[0 .. FC_RAM_SIZE - 1]
/* A string print_str may print: NUL-ended, and not in what printing changes. */
#define STR_OK(s) (valid_str((char *)(s)) && \
    \separated((char *)(s) + (0 .. 255), print_cpus + (0 .. MOAT_MAX_CPUS - 1), fc_ram + (0 .. FC_RAM_SIZE - 1)))
#define POWER_STATE power_pending, power_deadline, power_yields

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



/* Not proved in this part (kernel/core's events): a call to it from a function proved
 * here would be a goal WP cannot prove. */
/*@ requires \false;
    assigns \nothing; */
void event_raise(subject_id_t id, uint8_t event);

/* ---- print.c ---- */
#include "../../kernel/core/print.c"
#include "arch_spec.h"


/*@ assigns \nothing;
    ensures \result == &print_cpus[print_sel]; */
static struct print_cpu *print_self(void);

/*@ requires print_ok;
    requires p == &print_cpus[print_sel];
    assigns PRINT_STATE;
    ensures print_ok && p->record == 0 && p->line[0].length == 0; */
static void print_publish(struct print_cpu *p, bool line_ends);

/*@ requires p == &print_cpus[print_sel];
    assigns p->console_line_ended;
    ensures !p->to_channel ==> \result == \true; */
static bool print_to_console(struct print_cpu *p);

/*@ requires print_ok;
    assigns PRINT_STATE;
    ensures print_ok; */
static void print_char(char c);

/*@ requires print_ok && STR_OK(s);
    assigns PRINT_STATE;
    ensures print_ok; */
void print_str(const char *s);

/*@ requires print_ok;
    assigns PRINT_STATE;
    ensures print_ok; */
void print_dec(uint64_t v);

/*@ requires print_ok;
    assigns PRINT_STATE;
    ensures print_ok; */
void print_hex(uint64_t v);

/*@ requires print_ok;
    assigns PRINT_STATE;
    ensures print_ok; */
void print_nl(void);

/*@ requires print_ok && \valid_read(tables) && fc_self < tables->cpu_count <= MOAT_MAX_CPUS;
    requires !print_cpus[print_sel].to_channel;
    assigns PRINT_STATE;
    ensures print_ok; */
void print_use_channel(void);

/*@ assigns \nothing;
    ensures \false; */
static _Noreturn void print_power_now(uint32_t action);

/*@ requires \valid_read(tables) && from < tables->subjects.count <= MOAT_MAX_SUBJECTS;
    assigns POWER_STATE, fc_state[from].state; */
void print_power_request(uint8_t action, subject_id_t from);

/*@ requires \valid_read(tables);
    assigns power_yields; */
void print_power_on_yield(subject_id_t id);

/*@ assigns \nothing; */
void print_power_check(tsc_t now);
