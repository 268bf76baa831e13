/*
 * The VM part of the tables blob's boot check (tables.c runs it): a VM subject's record
 * and its moat_vm, the VMCB pages and console channels as kernel ranges, the TSC-kHz patch
 * in a pristine image only. Counted in the VM line budget (kernel/meson.build).
 */
#include "core.h"
#include "tables_check.h"

/* Which VM records a subject uses (each exactly one subject's). */
uint32_t tables_vms_used;
_Static_assert(MOAT_MAX_VMS <= 32u, "tables_vms_used has a bit per VM");

/* A VM subject's own fields: its vm record, used by it alone; no I/O bitmap (its ports
 * are emulated); 32-bit entry state; ram size; event vectors. */
bool tables_vm_subject_ok(const struct moat_subject *s)
{
    if (s->vm >= tables->vms.count) {
        return tables_refuse("bad vm", s->vm, ", vms ", tables->vms.count);
    }
    if ((tables_vms_used & (1u << s->vm)) != 0u) {
        return tables_refuse("vm used by two subjects", s->vm, NULL, 0);
    }
    tables_vms_used |= 1u << s->vm;
    const struct moat_vm *v = tables_vm(s);
    if (s->io_bitmap != MOAT_TABLES_NONE) {
        return tables_refuse("a VM with an io bitmap (its ports are emulated)", s->io_bitmap, NULL,
                             0);
    }
    /* The guest starts in 32-bit protected mode: eip and esi have 32 bits. */
    if (s->entry > 0xffffffffu || v->boot_rsi > 0xffffffffu) {
        return tables_refuse_n("vm entry or boot esi beyond 32 bits", s->entry, ", esi ",
                               v->boot_rsi, true);
    }
    if (v->ram_size == 0u || v->ram_size % MOAT_PAGE_SIZE != 0u) {
        return tables_refuse_n("bad vm ram size", v->ram_size, NULL, 0, true);
    }
    /*@ loop invariant 0 <= n <= MOAT_MAX_EVENTS;
        loop invariant \forall integer m; 0 <= m < n ==> (v->vectors[m] == 0 || v->vectors[m] >= 32);
        loop invariant n > VM_TIMER_EVENT ==> v->vectors[VM_TIMER_EVENT] == 0;
        loop assigns n; */
    for (uint32_t n = 0; n < MOAT_MAX_EVENTS; n++) {
        /* 1..31 are the CPU's exceptions: an event must not pose as one. */
        if ((v->vectors[n] != 0u && v->vectors[n] < 32u) ||
            (n == VM_TIMER_EVENT && v->vectors[n] != 0u)) {
            tables_rec_part = "event";
            tables_rec_part_index = n;
            return tables_refuse("bad vector (0 or 32..255; 0 for event 63, the VM's timer)",
                                 v->vectors[n], NULL, 0);
        }
    }
    return true;
}

/* The TSC-kHz patch of VM subject s: inside a pristine image one of its reset steps
 * copies from, and in no subject's reset destination (guest RAM or any subject's
 * memory), so the guest never sees the kernel write it. */
static bool vm_patch_ok(const struct moat_subject *s)
{
    paddr_t p = tables_vm(s)->tsc_khz_patch;
    tables_rec_part = NULL;
    if (p == 0u) {
        return true;
    }
    if (!tables_range_ok("tsc_khz_patch outside the regions", p, MOAT_VM_TSC_DIGITS)) {
        return false;
    }
    bool pristine = false;
    /*@ loop invariant 0 <= r <= s->reset_count;
        loop invariant pristine ==> \exists integer k; 0 <= k < r &&
          fc_resets[s->reset_first + k].src != 0 && fc_resets[s->reset_first + k].src <= p &&
          p + MOAT_VM_TSC_DIGITS <= fc_resets[s->reset_first + k].src + fc_resets[s->reset_first + k].size;
        loop assigns r, pristine; */
    for (uint32_t r = 0; r < s->reset_count; r++) {
        const struct moat_reset *st = tables_reset(s, r);
        pristine = pristine ||
                   (st->src != 0u && p >= st->src && p + MOAT_VM_TSC_DIGITS <= st->src + st->size);
    }
    if (!pristine) {
        return tables_refuse_n("tsc_khz_patch not in a pristine image the VM copies", p, NULL, 0,
                               true);
    }
    /*@ loop invariant 0 <= j <= T_S && print_fine && rec_ok && tables == \at(tables, LoopEntry);
        loop invariant \forall integer i, r; 0 <= i < j && 0 <= r < fc_subjects[i].reset_count ==>
          !overlap(p, MOAT_VM_TSC_DIGITS, fc_resets[fc_subjects[i].reset_first + r].dst,
                   fc_resets[fc_subjects[i].reset_first + r].size);
        loop assigns j; */
    for (uint32_t j = 0; j < tables_subject_count(); j++) {
        const struct moat_subject *o = tables_subject((subject_id_t)j);
        /*@ loop invariant 0 <= r <= o->reset_count;
            loop invariant \forall integer k; 0 <= k < r ==>
              !overlap(p, MOAT_VM_TSC_DIGITS, fc_resets[o->reset_first + k].dst,
                       fc_resets[o->reset_first + k].size);
            loop assigns r; */
        for (uint32_t r = 0; r < o->reset_count; r++) {
            const struct moat_reset *st = tables_reset(o, r);
            if (p >= st->dst ? p - st->dst < st->size : st->dst - p < MOAT_VM_TSC_DIGITS) {
                return tables_refuse_n("tsc_khz_patch in subject memory, a reset of subject", j,
                                       " writes ", st->dst, true);
            }
        }
    }
    return true;
}

/* Every VM subject's patch, once every subject's reset steps are checked (the patch is
 * compared with all of them). */
bool tables_vm_patches_ok(void)
{
    /*@ loop invariant 0 <= i <= T_S && print_fine && rec_ok && tables == \at(tables, LoopEntry);
        loop invariant \forall integer j; 0 <= j < i && fc_subjects[j].kind == MOAT_SUBJECT_VM ==>
          blob_vm_patch(&fc_subjects[j]);
        loop assigns i, PRINT_STATE, TABLES_REC; */
    for (uint32_t i = 0; i < tables_subject_count(); i++) {
        const struct moat_subject *s = tables_subject((subject_id_t)i);
        tables_rec_at("subject", i, s->name);
        if (s->kind == MOAT_SUBJECT_VM && !vm_patch_ok(s)) {
            return false;
        }
    }
    return true;
}

/* Each VM's VMCB page and console channel: inside the regions, then kernel ranges (no
 * reset step, page table or sinfo page may touch them, nor they each other). */
bool tables_vms_ok(void)
{
    /*@ loop invariant 0 <= v <= MOAT_MAX_VMS && kernel_ranges_early;
        loop invariant \forall integer k; KERNEL_VM_RANGES <= k < KERNEL_VM_RANGES + 2 * v ==>
          kernel_base[k] == 0 && kernel_size[k] == 0;
        loop assigns v, kernel_base[KERNEL_VM_RANGES .. KERNEL_RANGES - 1],
                     kernel_size[KERNEL_VM_RANGES .. KERNEL_RANGES - 1]; */
    for (uint32_t v = 0; v < MOAT_MAX_VMS; v++) {
        kernel_base[KERNEL_VM_RANGES + 2u * v] = 0;
        kernel_size[KERNEL_VM_RANGES + 2u * v] = 0;
        kernel_base[KERNEL_VM_RANGES + 2u * v + 1u] = 0;
        kernel_size[KERNEL_VM_RANGES + 2u * v + 1u] = 0;
    }
    /*@ loop invariant 0 <= v <= T_V && print_fine && rec_ok && tables == \at(tables, LoopEntry);
        loop invariant kernel_ranges_early;
        loop invariant \forall integer w; 0 <= w < v ==> blob_vm(w);
        loop invariant \forall integer w; 0 <= w < MOAT_MAX_VMS ==>
          kernel_base[KERNEL_VM_RANGES + 2 * w] == (w < v ? fc_vms[w].vmcb : 0) &&
          kernel_size[KERNEL_VM_RANGES + 2 * w] == (w < v ? MOAT_PAGE_SIZE : 0) &&
          kernel_base[KERNEL_VM_RANGES + 2 * w + 1] == (w < v ? fc_vms[w].console_phys : 0) &&
          kernel_size[KERNEL_VM_RANGES + 2 * w + 1] == (w < v ? fc_vms[w].console_size : 0);
        loop assigns v, PRINT_STATE, TABLES_REC, kernel_base[KERNEL_VM_RANGES .. KERNEL_RANGES - 1],
                     kernel_size[KERNEL_VM_RANGES .. KERNEL_RANGES - 1]; */
    for (uint32_t v = 0; v < tables->vms.count; v++) {
        const struct moat_vm *vm = tables_vm_at(v);
        tables_rec_at("vm", v, MOAT_TABLES_NONE);
        if (vm->vmcb % MOAT_PAGE_SIZE != 0u || !tables_in_region(vm->vmcb, MOAT_PAGE_SIZE)) {
            return tables_refuse_n("vmcb outside the regions (or misaligned)", vm->vmcb, NULL, 0,
                                   true);
        }
        if ((vm->console_phys == 0u) != (vm->console_size == 0u)) {
            return tables_refuse_n("console of size 0, or size without a channel", vm->console_phys,
                                   "+", vm->console_size, true);
        }
        if (vm->console_phys != 0u &&
            !tables_range_ok("console outside the regions", vm->console_phys, vm->console_size)) {
            return false;
        }
        kernel_base[KERNEL_VM_RANGES + 2u * v] = vm->vmcb;
        kernel_size[KERNEL_VM_RANGES + 2u * v] = MOAT_PAGE_SIZE;
        kernel_base[KERNEL_VM_RANGES + 2u * v + 1u] = vm->console_phys;
        kernel_size[KERNEL_VM_RANGES + 2u * v + 1u] = vm->console_size;
    }
    return true;
}
