/*
 * The model the kernel proof (proof/kernel/kernel.c, docs/assurance.md) reasons in:
 * ghost objects for the memory the core reads and writes outside its own globals, and
 * the ACSL predicates the contracts share. Read with -pp-annot.
 *
 * Ghost objects (they stand for memory that is not a C object of the kernel):
 *  - fc_blob: the tables segment (MOAT_TABLES_CAPACITY bytes at MOAT_TABLES_PHYS);
 *  - fc_subjects .. fc_strings: the typed view of each array of the accepted blob, what
 *    the accessors of tables.h return (record i of the array at its offset). Each is its
 *    own object of the format's maximum size: arrays that overlap in the blob are
 *    independent here, which only adds behaviours (the blob is never written). What
 *    bounds an index is the accessor's precondition, `index < count`, proved at every
 *    call;
 *  - fc_state: the core's part of each subject's state slot (core_subject(id));
 *  - fc_ram: physical memory the kernel maps through arch_phys_map (its log channels).
 */
#ifndef MOAT_PROOF_MODEL_H
#define MOAT_PROOF_MODEL_H

#include "../../kernel/core/core.h"

#define FC_FRAMES (MOAT_MAX_PLANS * MOAT_MAX_CPUS * MOAT_MAX_FRAMES_PER_CPU)
#define FC_SENDS  (MOAT_MAX_SUBJECTS * MOAT_MAX_EVENTS)
#define FC_RESETS (MOAT_MAX_SUBJECTS * MOAT_MAX_RESETS)
#define FC_RAM_SIZE 0x100000000

/*@ ghost uint8_t fc_blob[MOAT_TABLES_CAPACITY]; */
/*@ ghost struct moat_subject fc_subjects[MOAT_MAX_SUBJECTS]; */
/*@ ghost struct moat_plan fc_plans[MOAT_MAX_PLANS]; */
/*@ ghost struct moat_frame fc_frames[FC_FRAMES]; */
/*@ ghost struct moat_event_route fc_sends[FC_SENDS]; */
/*@ ghost struct moat_reset fc_resets[FC_RESETS]; */
/*@ ghost struct moat_irq_route fc_irqs[MOAT_MAX_IRQS]; */
/*@ ghost struct moat_ram_range fc_regions[MOAT_MAX_REGIONS]; */
/*@ ghost char fc_strings[MOAT_TABLES_CAPACITY]; */
/*@ ghost struct core_subject fc_state[MOAT_MAX_SUBJECTS]; */
/*@ ghost uint8_t fc_ram[FC_RAM_SIZE]; */
/* The CPU that runs the analysed entry (arch_cpu_id's value). */
/*@ ghost uint32_t fc_self; */


/* The lowest set bit (the compiler's builtin: bsf/tzcnt). */
/*@ requires x != 0;
    assigns \nothing;
    ensures 0 <= \result < 64; */
int __builtin_ctzll(unsigned long long x);
/* The highest set bit's distance from bit 63 (bsr/lzcnt). */
/*@ requires x != 0;
    assigns \nothing;
    ensures 0 <= \result < 64; */
int __builtin_clzll(unsigned long long x);

/* valid_str_N: a NUL at s[N] makes s a valid string (expanded inside the annotation
 * below; -pp-annot preprocesses annotations). */
#define VALID_STR_LEMMA(n) \
  lemma valid_str_##n: \forall char *s; \valid_read(s + (0 .. n)) && s[n] == 0 ==> valid_str(s);
#define VALID_STR_LEMMAS_10(t) \
  VALID_STR_LEMMA(t##0) VALID_STR_LEMMA(t##1) VALID_STR_LEMMA(t##2) VALID_STR_LEMMA(t##3) \
  VALID_STR_LEMMA(t##4) VALID_STR_LEMMA(t##5) VALID_STR_LEMMA(t##6) VALID_STR_LEMMA(t##7) \
  VALID_STR_LEMMA(t##8) VALID_STR_LEMMA(t##9)
#define VALID_STR_LEMMAS \
  VALID_STR_LEMMA(0) VALID_STR_LEMMA(1) VALID_STR_LEMMA(2) VALID_STR_LEMMA(3) \
  VALID_STR_LEMMA(4) VALID_STR_LEMMA(5) VALID_STR_LEMMA(6) VALID_STR_LEMMA(7) \
  VALID_STR_LEMMA(8) VALID_STR_LEMMA(9) VALID_STR_LEMMAS_10(1) VALID_STR_LEMMAS_10(2) \
  VALID_STR_LEMMAS_10(3) VALID_STR_LEMMAS_10(4) VALID_STR_LEMMAS_10(5) \
  VALID_STR_LEMMAS_10(6) VALID_STR_LEMMAS_10(7) VALID_STR_LEMMA(80)

/*@
  // The print_cpus[] entry of this CPU (print_self).
  logic integer print_sel{L} = fc_self < MOAT_MAX_CPUS ? fc_self : 0;

  // A NUL-ended string print_str may read.
  predicate valid_str(char *s) = \exists integer n; 0 <= n && \valid_read(s + (0 .. n)) && s[n] == 0;

  // The witness for a string of length n, one lemma per length up to 80 (VALID_STR_LEMMAS
  // below): the solvers do not find the existential's n for a literal by themselves.
  VALID_STR_LEMMAS

  // [base, base + size) inside one region.
  predicate in_regions{L}(integer base, integer size) =
    \exists integer j; 0 <= j < tables->regions.count &&
      fc_regions[j].base <= base && base + size <= fc_regions[j].base + fc_regions[j].size;

  predicate overlap(integer b1, integer s1, integer b2, integer s2) =
    s1 != 0 && s2 != 0 && b1 < b2 + s2 && b2 < b1 + s1;

  // [b, b + size) meets the state region or a kernel log channel: memory the core
  // writes as C objects (fc_state, fc_ram). The audit region is kernel-written too.
  predicate core_hit{L}(integer b, integer s) =
    overlap(b, s, tables->state_phys, tables->state_size) ||
    \exists integer c; 0 <= c < MOAT_MAX_CPUS && tables->klog_phys[c] != 0 &&
      overlap(b, s, tables->klog_phys[c], tables->klog_size);

  predicate kernel_hit{L}(integer b, integer s) =
    core_hit(b, s) || overlap(b, s, tables->audit_phys, tables->audit_size);

*/

#endif /* MOAT_PROOF_MODEL_H */
