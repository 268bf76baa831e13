/*
 * print.c's contracts (kernel/core/print.c; proved by part kernel-print of prove.py).
 * Included by kernel.c after print.c's definitions are visible (its state, print_cpus).
 */
#ifndef MOAT_PROOF_SPEC_PRINT_H
#define MOAT_PROOF_SPEC_PRINT_H

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
    assigns POWER_STATE, fc_state[from].state;
    ensures fc_state[from].state == \old(fc_state[from].state) ||
            fc_state[from].state == SUBJECT_STOPPED; */
void print_power_request(uint8_t action, subject_id_t from);

/*@ requires \valid_read(tables);
    assigns power_yields; */
void print_power_on_yield(subject_id_t id);

/*@ assigns \nothing; */
void print_power_check(tsc_t now);

#endif /* MOAT_PROOF_SPEC_PRINT_H */
