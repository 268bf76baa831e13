/*
 * print.c's predicates (as macros: WP splits them into separate goals), before the
 * code because print.c's loop invariants name them. Contracts: spec_print.h.
 */
#ifndef MOAT_PROOF_MODEL_PRINT_H
#define MOAT_PROOF_MODEL_PRINT_H

/* channel_writer_ok's body (channel_internal.h), flat: reads of the writer's fields,
 * which WP's simplifier keeps across stores to other objects (BOARD, the frame problem). */
#define WRITER_SPAN(w) (CHANNEL_HEADER_SIZE + (w)->elements * (w)->element_size)
#define WRITER_OK_FLAT(w) \
    (\valid(w) && ((w)->mem != \null ==> WRITER_SPAN(w) <= UINT64_MAX && \
       \valid((w)->mem + (0 .. WRITER_SPAN(w) - 1)) && \separated((w), (w)->mem + (0 .. WRITER_SPAN(w) - 1))))
/* What print.c keeps of print_cpus: this CPU's (print_self), as each CPU writes only its
 * own. Macros rather than predicates, so that WP splits them into separate goals. */
#define PRINT_CPU_OK(c) \
    (print_cpus[c].record < MOAT_LOG_RECORD_MAX && \
     (\forall integer i; 0 <= i < MOAT_LOG_RECORD_MAX ==> print_cpus[c].line[i].length <= MOAT_LOG_TEXT_MAX) && \
     (\forall integer i; print_cpus[c].record < i < MOAT_LOG_RECORD_MAX ==> print_cpus[c].line[i].length == 0) && \
     (!print_cpus[c].to_channel ==> print_cpus[c].record == 0) && \
     (print_cpus[c].has_channel ==> WRITER_OK_FLAT(&print_cpus[c].writer)) && \
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

#endif /* MOAT_PROOF_MODEL_PRINT_H */
