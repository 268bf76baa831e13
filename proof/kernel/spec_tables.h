/*
 * The contracts of tables.c, tables_vm.c, included by kernel.c after the
 * code (prototypes with ACSL; Frama-C joins them to the definitions). Every function of
 * these files that a proved function calls needs one here. Part kernel-tables proves
 * them all; tables_check's is the one the rest of the proof uses: `\result ==> tables_ok`.
 *
 * Each check keeps print_ok and rec_ok (what a refusal prints is NUL-ended), and either
 * fails with `tables` dropped to NULL or succeeds with `tables` unchanged and its part of
 * tables_ok established.
 */
#ifndef MOAT_PROOF_SPEC_TABLES_H
#define MOAT_PROOF_SPEC_TABLES_H

/*@ requires \valid_read(blob + (0 .. size - 1));
    assigns \nothing; */
static inline uint64_t moat_tables_checksum(const uint8_t *blob, uint64_t size);

/*@ requires kind == \null || STR_OK(kind);
    requires name != MOAT_TABLES_NONE ==> rec_name_ok(name);
    assigns rec_kind, rec_index, rec_name, tables_rec_part;
    ensures rec_kind == kind && rec_name == name && tables_rec_part == \null && rec_ok; */
void tables_rec_at(const char *kind, uint32_t index, uint32_t name);

/*@ requires print_fine;
    assigns PRINT_STATE;
    ensures print_fine; */
static void tables_print_value(uint64_t v, bool hex);

/*@ requires print_fine && rec_ok && STR_OK(what);
    requires sep == \null || STR_OK(sep);
    assigns PRINT_STATE, tables;
    ensures print_fine && tables == \null && \result == \false; */
bool tables_refuse_n(const char *what, uint64_t a, const char *sep, uint64_t b, bool hex);

/*@ requires print_fine && rec_ok && STR_OK(what);
    requires sep == \null || STR_OK(sep);
    assigns PRINT_STATE, tables;
    ensures print_fine && tables == \null && \result == \false; */
bool tables_refuse(const char *what, uint64_t a, const char *sep, uint64_t b);

/*@ requires \valid_read(tables) && tables->regions.count <= MOAT_MAX_REGIONS && blob_regions;
    assigns \nothing;
    ensures \result ==> in_ram(base, size); */
bool tables_in_region(paddr_t base, uint64_t size);

/*@ requires print_fine && rec_ok && STR_OK(what);
    requires \valid_read(tables) && tables->regions.count <= MOAT_MAX_REGIONS && blob_regions;
    assigns PRINT_STATE, tables;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && in_ram(base, size);
    ensures !\result ==> tables == \null; */
bool tables_range_ok(const char *what, paddr_t base, uint64_t size);

/*@ requires print_fine && rec_ok && STR_OK(what);
    requires \valid_read(tables) && T_V <= MOAT_MAX_VMS && kernel_ranges_set && self <= KERNEL_RANGES;
    assigns PRINT_STATE, tables;
    ensures print_fine;
    ensures !\result ==> tables == \old(tables) && kr_clear_but(base, size, self);
    ensures \result ==> tables == \null; */
bool tables_kernel_range_hit(const char *what, paddr_t base, uint64_t size, uint32_t self);

/*@ requires print_fine && rec_ok && rec_kind == \null;
    requires \base_addr(h) == \base_addr(&fc_blob[0]) && \offset(h) == 0;
    requires \valid_read((uint8_t *)h + (0 .. capacity - 1));
    requires sizeof(struct moat_tables_header) <= capacity <= MOAT_TABLES_CAPACITY;
    assigns PRINT_STATE, tables;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && h->magic == MOAT_TABLES_MAGIC &&
            h->version == MOAT_TABLES_VERSION &&
            sizeof(struct moat_tables_header) <= h->size <= capacity; */
static bool header_ok(const struct moat_tables_header *h, uint64_t capacity);

/*@ requires print_fine && STR_OK(name) && \valid_read(tables);
    requires 1 <= record <= MOAT_IO_BITMAP_SIZE;
    assigns PRINT_STATE, TABLES_REC;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && a.count <= max;
    ensures !\result ==> tables == \null; */
static bool array_ok(const char *name, struct moat_tables_array a, uint64_t record, uint64_t max);

/*@ requires print_fine && \valid_read(tables) && blob_pinned;
    assigns PRINT_STATE, TABLES_REC;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && rec_name == MOAT_TABLES_NONE &&
            blob_sizes;
    ensures !\result ==> tables == \null; */
static bool arrays_ok(void);

/*@ requires print_fine && STR_OK(kind) && \valid_read(tables);
    assigns PRINT_STATE, TABLES_REC;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && rec_name == MOAT_TABLES_NONE &&
            name < T_N;
    // What names_ok found before: kept (no print on success).
    ensures \result ==> (STRINGS_OK <==> \old(STRINGS_OK));
    ensures !\result ==> tables == \null; */
static bool name_ok(const char *kind, uint32_t index, uint32_t name);

/*@ requires print_fine && \valid_read(tables) && blob_pinned && blob_sizes;
    assigns PRINT_STATE, TABLES_REC;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && blob_strings && names_in;
    ensures !\result ==> tables == \null; */
static bool names_ok(void);

/*@ requires print_fine && rec_ok && \valid_read(tables) && blob_sizes;
    assigns PRINT_STATE, TABLES_REC;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && blob_regions;
    ensures !\result ==> tables == \null; */
static bool regions_ok(void);

/*@ requires print_fine && rec_ok && \valid_read(tables) && blob_counts;
    assigns PRINT_STATE, TABLES_REC;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && blob_irqs;
    ensures !\result ==> tables == \null; */
static bool irqs_ok(void);

/*@ requires \valid_read(tables) && blob_counts;
    assigns \nothing;
    ensures \result ==> line_routed(line); */
static bool irq_routed(uint8_t line);

/*@ requires print_fine && rec_ok && tables_so_far;
    requires \valid_read(s) && s->send_first + id < tables->sends.count;
    assigns PRINT_STATE, tables, tables_rec_part, tables_rec_part_index;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && blob_send(&fc_sends[s->send_first + id]);
    ensures !\result ==> tables == \null; */
static bool send_ok(const struct moat_subject *s, uint32_t id);

/*@ requires print_fine && rec_ok && tables_so_far;
    requires \valid_read(s) && s->reset_first + i < tables->resets.count;
    assigns PRINT_STATE, tables, tables_rec_part, tables_rec_part_index;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && blob_reset(&fc_resets[s->reset_first + i]);
    ensures !\result ==> tables == \null; */
static bool reset_ok(const struct moat_subject *s, uint32_t i);

/*@ requires print_fine && rec_ok && tables_so_far && names_in && i < T_S;
    assigns PRINT_STATE, TABLES_REC, tables_vms_used;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && blob_subject(&fc_subjects[i]);
    ensures !\result ==> tables == \null; */
static bool subject_ok(subject_id_t i);

/*@ requires print_fine && rec_ok && tables_so_far;
    requires \valid_read(s) && s->kind == MOAT_SUBJECT_VM;
    assigns PRINT_STATE, tables, tables_rec_part, tables_rec_part_index, tables_vms_used;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && blob_vm_subject(s);
    ensures !\result ==> tables == \null; */
bool tables_vm_subject_ok(const struct moat_subject *s);

/*@ requires print_fine && rec_ok && tables_so_far && blob_subjects;
    requires \valid_read(s) && blob_subject(s) && s->kind == MOAT_SUBJECT_VM;
    assigns PRINT_STATE, tables, tables_rec_part;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && blob_vm_patch(s);
    ensures !\result ==> tables == \null; */
static bool vm_patch_ok(const struct moat_subject *s);

/*@ requires print_fine && rec_ok && tables_so_far && blob_subjects;
    assigns PRINT_STATE, TABLES_REC;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && blob_vm_patches;
    ensures !\result ==> tables == \null; */
bool tables_vm_patches_ok(void);

/*@ requires print_fine && rec_ok && STR_OK(rec_kind) && tables_so_far;
    requires plan < T_P && c < MOAT_MAX_CPUS;
    assigns PRINT_STATE, tables, tables_rec_part, tables_rec_part_index;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && blob_plan_cpu(plan, c);
    ensures !\result ==> tables == \null; */
static bool frames_ok(plan_id_t plan, uint32_t c);

/*@ requires print_fine && rec_ok && tables_so_far && names_in;
    assigns PRINT_STATE, TABLES_REC;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && blob_plans;
    ensures !\result ==> tables == \null; */
static bool plans_ok(void);

/*@ requires print_fine && rec_ok && \valid_read(tables) && blob_counts && blob_regions;
    requires kernel_ranges_early;
    assigns PRINT_STATE, TABLES_REC, KERNEL_RANGES_STATE;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && blob_vms && kernel_ranges_set;
    ensures !\result ==> tables == \null; */
bool tables_vms_ok(void);

/*@ requires print_fine && rec_ok && \valid_read(tables) && blob_sizes && blob_strings &&
             blob_regions;
    assigns PRINT_STATE, TABLES_REC, KERNEL_RANGES_STATE;
    ensures print_fine;
    ensures \result ==> tables == \old(tables) && rec_ok && blob_counts && blob_system &&
            blob_kernel_ranges && blob_vms && kernel_ranges_set;
    ensures !\result ==> tables == \null; */
static bool system_ok(void);

/*@ requires print_ok;
    requires \base_addr(blob) == \base_addr(&fc_blob[0]) && \offset(blob) == 0;
    requires \valid_read((uint8_t *)blob + (0 .. capacity - 1)) && capacity <= MOAT_TABLES_CAPACITY;
    assigns PRINT_STATE, TABLES_REC, KERNEL_RANGES_STATE, tables_vms_used;
    ensures print_ok;
    ensures \result ==> tables_ok;
    ensures !\result ==> tables == \null; */
bool tables_check(const void *blob, uint64_t capacity);

#endif /* MOAT_PROOF_SPEC_TABLES_H */
