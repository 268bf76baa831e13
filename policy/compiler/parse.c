/*
 * Parse stage: reads the policy XML with libxml2 (no network, no DTD, no external
 * entities), validates it against the schema embedded into the binary, and builds the
 * in-memory model. Numbers are converted here; a value too large for 64 bits is an
 * error with the line of its element.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include <moat/log.h>

#include "polc.h"

extern const unsigned char polc_schema_xsd[];
extern const size_t polc_schema_xsd_size;

static void polc_xml_error(void *data, xmlErrorPtr error)
{
    struct polc_ctx *ctx = data;
    if (error == NULL || error->message == NULL) {
        return;
    }
    if (error->level == XML_ERR_WARNING) {
        return;
    }
    char message[512];
    snprintf(message, sizeof(message), "%s", error->message);
    size_t len = strlen(message);
    while (len > 0 && (message[len - 1] == '\n' || message[len - 1] == ' ')) {
        message[--len] = 0;
    }
    polc_error(ctx, error->line, "%s", message);
}

static void polc_xml_silent(void *data, const char *fmt, ...)
{
    (void)data;
    (void)fmt;
}

static bool polc_validate(struct polc_ctx *ctx, xmlDocPtr doc)
{
    bool ok = false;
    xmlSchemaParserCtxtPtr parser =
        xmlSchemaNewMemParserCtxt((const char *)polc_schema_xsd, (int)polc_schema_xsd_size);
    xmlSchemaPtr schema = NULL;
    xmlSchemaValidCtxtPtr valid = NULL;
    if (parser == NULL) {
        polc_error(ctx, 0, "cannot load the embedded policy schema");
        goto out;
    }
    schema = xmlSchemaParse(parser);
    if (schema == NULL) {
        polc_error(ctx, 0, "cannot load the embedded policy schema");
        goto out;
    }
    valid = xmlSchemaNewValidCtxt(schema);
    if (valid == NULL) {
        polc_error(ctx, 0, "cannot create the schema validator");
        goto out;
    }
    xmlSchemaSetValidStructuredErrors(valid, polc_xml_error, ctx);
    ok = xmlSchemaValidateDoc(valid, doc) == 0;
out:
    xmlSchemaFreeValidCtxt(valid);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(parser);
    return ok;
}

/* ---- attribute access ---- */

static const char *polc_attr(struct polc_ctx *ctx, xmlNodePtr node, const char *name)
{
    xmlChar *value = xmlGetNoNsProp(node, (const xmlChar *)name);
    if (value == NULL) {
        return NULL;
    }
    char *copy = polc_strdup(&ctx->arena, (const char *)value);
    xmlFree(value);
    return copy;
}

static long polc_line(xmlNodePtr node)
{
    return xmlGetLineNo(node);
}

enum polc_num_kind { POLC_NUMBER, POLC_SIZE, POLC_TIME };

/* Reads a numeric attribute; false (after reporting) when present but unusable. */
static bool polc_num_attr(struct polc_ctx *ctx, xmlNodePtr node, const char *what,
                          const char *name, enum polc_num_kind kind, uint64_t fallback,
                          uint64_t *out, bool *present)
{
    const char *text = polc_attr(ctx, node, name);
    if (present != NULL) {
        *present = text != NULL;
    }
    *out = fallback;
    if (text == NULL) {
        return true;
    }
    enum polc_num_status status;
    if (kind == POLC_SIZE) {
        status = polc_parse_size(text, out);
    } else if (kind == POLC_TIME) {
        status = polc_parse_time_ns(text, out);
    } else {
        status = polc_parse_number(text, out);
    }
    if (status == POLC_NUM_OVERFLOW) {
        polc_error(ctx, polc_line(node), "%s: %s '%s' does not fit in 64 bits", what, name,
                   text);
        *out = fallback;
        return false;
    }
    if (status != POLC_NUM_OK) {
        polc_error(ctx, polc_line(node), "%s: %s '%s' is not a valid number", what, name,
                   text);
        *out = fallback;
        return false;
    }
    return true;
}

static bool polc_is(xmlNodePtr node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0;
}

static size_t polc_count(xmlNodePtr parent, const char *name)
{
    size_t n = 0;
    for (xmlNodePtr c = parent->children; c != NULL; c = c->next) {
        if (polc_is(c, name)) {
            n++;
        }
    }
    return n;
}

static xmlNodePtr polc_child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children; c != NULL; c = c->next) {
        if (polc_is(c, name)) {
            return c;
        }
    }
    return NULL;
}

static void *polc_array(struct polc_ctx *ctx, size_t count, size_t size)
{
    return polc_alloc(&ctx->arena, (count != 0 ? count : 1) * size);
}

static const char *polc_what(struct polc_ctx *ctx, const char *kind, const char *name)
{
    return polc_sprintf(&ctx->arena, "%s '%s'", kind, name != NULL ? name : "?");
}

static unsigned polc_access(const char *text)
{
    unsigned perm = POLC_R;
    if (text == NULL) {
        return POLC_R | POLC_W;
    }
    if (strchr(text, 'w') != NULL) {
        perm |= POLC_W;
    }
    if (strchr(text, 'x') != NULL) {
        perm |= POLC_X;
    }
    return perm;
}

/* ---- elements ---- */

/*
 * <vm memory="64M" paddr="..."> with one <linux kernel= initrd= cmdline=/> or
 * <image file= load= entry=/>, and optionally <console reader= size=/>. The schema
 * allows at most one <vm>; the boot children are counted so that polc_check_vms can say
 * what is missing or doubled.
 */
static void polc_parse_vm(struct polc_ctx *ctx, xmlNodePtr node, const char *what,
                          struct polc_vm *vm)
{
    vm->line = polc_line(node);
    polc_num_attr(ctx, node, what, "memory", POLC_SIZE, 0, &vm->ram_size, NULL);
    polc_num_attr(ctx, node, what, "paddr", POLC_NUMBER, 0, &vm->paddr, &vm->has_paddr);
    vm->cmdline = "";
    for (xmlNodePtr c = node->children; c != NULL; c = c->next) {
        if (polc_is(c, "linux")) {
            vm->boot_count++;
            vm->boot = POLC_VM_BOOT_LINUX;
            vm->boot_line = polc_line(c);
            vm->kernel_name = polc_attr(ctx, c, "kernel");
            vm->initrd_name = polc_attr(ctx, c, "initrd");
            const char *cmdline = polc_attr(ctx, c, "cmdline");
            vm->cmdline = cmdline != NULL ? cmdline : "";
        } else if (polc_is(c, "image")) {
            vm->boot_count++;
            vm->boot = POLC_VM_BOOT_IMAGE;
            vm->boot_line = polc_line(c);
            vm->file_name = polc_attr(ctx, c, "file");
            polc_num_attr(ctx, c, what, "load", POLC_NUMBER, 0, &vm->load, NULL);
            polc_num_attr(ctx, c, what, "entry", POLC_NUMBER, 0, &vm->entry, &vm->has_entry);
        } else if (polc_is(c, "console")) {
            vm->has_console = true;
            vm->console_line = polc_line(c);
        }
    }
}

/*
 * <console reader="S" size="16K"/> of VM v: the channel "v.log" that the kernel writes
 * with the guest's UART lines (<moat/log.h> records) and S maps read-only.
 */
static void polc_parse_console(struct polc_ctx *ctx, xmlNodePtr node, struct polc_subject *s,
                               struct polc_channel *ch)
{
    ch->name = polc_sprintf(&ctx->arena, "%s.log", s->name != NULL ? s->name : "?");
    ch->line = polc_line(node);
    ch->console_of = s;
    ch->element_size = sizeof(struct moat_log_record);
    ch->protocol = MOAT_LOG_PROTOCOL;
    polc_num_attr(ctx, node, polc_what(ctx, "console of subject", s->name), "size", POLC_SIZE,
                  0x4000, &ch->size, NULL);
    ch->readers = polc_array(ctx, 1, sizeof(*ch->readers));
    ch->readers[0].subject_name = polc_attr(ctx, node, "reader");
    ch->readers[0].line = ch->line;
    ch->reader_count = 1;
    s->vm->console = ch;
}

static void polc_parse_subject(struct polc_ctx *ctx, xmlNodePtr node, struct polc_subject *s)
{
    s->name = polc_attr(ctx, node, "name");
    s->line = polc_line(node);
    const char *what = polc_what(ctx, "subject", s->name);
    polc_num_attr(ctx, node, what, "cpu", POLC_NUMBER, 0, &s->cpu, NULL);
    s->image_name = polc_attr(ctx, node, "image");
    const char *fault = polc_attr(ctx, node, "on-fault");
    s->on_fault = fault != NULL && strcmp(fault, "restart") == 0 ? MOAT_FAULT_RESTART
                                                                 : MOAT_FAULT_STOP;
    polc_num_attr(ctx, node, what, "stack-size", POLC_SIZE, MOAT_STACK_DEFAULT_SIZE,
                  &s->stack_size, &s->has_stack_size);
    xmlNodePtr vm = polc_child(node, "vm");
    if (polc_count(node, "vm") > 1) {
        polc_error(ctx, polc_line(node), "subject '%s' has %zu <vm> elements; a VM has one",
                   s->name, polc_count(node, "vm"));
    }
    if (vm != NULL) {
        s->vm = polc_alloc(&ctx->arena, sizeof(*s->vm));
        polc_parse_vm(ctx, vm, what, s->vm);
    }

    s->memories = polc_array(ctx, polc_count(node, "memory"), sizeof(*s->memories));
    s->ioports = polc_array(ctx, polc_count(node, "ioport") + polc_count(node, "platform-device"),
                            sizeof(*s->ioports));
    s->irqs = polc_array(ctx, polc_count(node, "irq"), sizeof(*s->irqs));
    s->timers = polc_array(ctx, polc_count(node, "timer"), sizeof(*s->timers));
    for (xmlNodePtr c = node->children; c != NULL; c = c->next) {
        if (polc_is(c, "memory")) {
            struct polc_memory *m = &s->memories[s->memory_count++];
            m->name = polc_attr(ctx, c, "name");
            m->line = polc_line(c);
            const char *mwhat = polc_what(ctx, "memory", m->name);
            polc_num_attr(ctx, c, mwhat, "size", POLC_SIZE, 0, &m->size, NULL);
            polc_num_attr(ctx, c, mwhat, "vaddr", POLC_NUMBER, 0, &m->vaddr, &m->has_vaddr);
            polc_num_attr(ctx, c, mwhat, "paddr", POLC_NUMBER, 0, &m->paddr, &m->has_paddr);
            m->perm = polc_access(polc_attr(ctx, c, "access"));
        } else if (polc_is(c, "ioport") || polc_is(c, "platform-device")) {
            struct polc_ioport *p = &s->ioports[s->ioport_count++];
            p->name = polc_attr(ctx, c, "name");
            p->line = polc_line(c);
            p->platform = polc_is(c, "platform-device");
            p->reason = p->platform ? polc_attr(ctx, c, "reason") : NULL;
            const char *pwhat = polc_what(ctx, polc_ioport_kind(p), p->name);
            polc_num_attr(ctx, c, pwhat, "base", POLC_NUMBER, 0, &p->base, NULL);
            polc_num_attr(ctx, c, pwhat, "count", POLC_NUMBER, 1, &p->count, NULL);
        } else if (polc_is(c, "irq")) {
            struct polc_irq *q = &s->irqs[s->irq_count++];
            q->name = polc_attr(ctx, c, "name");
            q->line = polc_line(c);
            polc_num_attr(ctx, c, polc_what(ctx, "irq", q->name), "line", POLC_NUMBER, 0,
                          &q->irq_line, NULL);
        } else if (polc_is(c, "timer")) {
            struct polc_timer *t = &s->timers[s->timer_count++];
            t->name = polc_attr(ctx, c, "name");
            t->line = polc_line(c);
        }
    }
}

static void polc_parse_endpoint(struct polc_ctx *ctx, xmlNodePtr node, const char *what,
                                struct polc_endpoint *e)
{
    e->subject_name = polc_attr(ctx, node, "subject");
    e->line = polc_line(node);
    polc_num_attr(ctx, node, what, "vaddr", POLC_NUMBER, 0, &e->vaddr, &e->has_vaddr);
}

static void polc_parse_channel(struct polc_ctx *ctx, xmlNodePtr node, struct polc_channel *ch)
{
    ch->name = polc_attr(ctx, node, "name");
    ch->line = polc_line(node);
    const char *what = polc_what(ctx, "channel", ch->name);
    polc_num_attr(ctx, node, what, "size", POLC_SIZE, 0, &ch->size, NULL);
    polc_num_attr(ctx, node, what, "element-size", POLC_SIZE, 0, &ch->element_size, NULL);
    polc_num_attr(ctx, node, what, "protocol", POLC_NUMBER, 1, &ch->protocol, NULL);
    polc_num_attr(ctx, node, what, "paddr", POLC_NUMBER, 0, &ch->paddr, &ch->has_paddr);
    const char *memory = polc_attr(ctx, node, "memory");
    ch->device = memory != NULL && strcmp(memory, "device") == 0;
    ch->writers = polc_array(ctx, polc_count(node, "writer"), sizeof(*ch->writers));
    ch->readers = polc_array(ctx, polc_count(node, "reader"), sizeof(*ch->readers));
    for (xmlNodePtr c = node->children; c != NULL; c = c->next) {
        if (polc_is(c, "writer")) {
            polc_parse_endpoint(ctx, c, what, &ch->writers[ch->writer_count++]);
        } else if (polc_is(c, "reader")) {
            polc_parse_endpoint(ctx, c, what, &ch->readers[ch->reader_count++]);
        }
    }
}

/*
 * <kernel-log reader="S" size="16K"/>: one channel per CPU, named kernel.cpuN.log, that
 * the kernel on CPU N writes with <moat/log.h> records and S maps read-only.
 */
static void polc_parse_kernel_log(struct polc_ctx *ctx, xmlNodePtr node, uint64_t cpu,
                                  struct polc_channel *ch)
{
    ch->name = polc_sprintf(&ctx->arena, "kernel.cpu%llu.log", (unsigned long long)cpu);
    ch->line = polc_line(node);
    ch->kernel_log = true;
    ch->kernel_cpu = cpu;
    ch->element_size = sizeof(struct moat_log_record);
    ch->protocol = MOAT_LOG_PROTOCOL;
    polc_num_attr(ctx, node, "kernel-log", "size", POLC_SIZE, 0x4000, &ch->size, NULL);
    ch->readers = polc_array(ctx, 1, sizeof(*ch->readers));
    ch->readers[0].subject_name = polc_attr(ctx, node, "reader");
    ch->readers[0].line = ch->line;
    ch->reader_count = 1;
}

/* Indexed by enum moat_event_action. */
static const char *const polc_action_names[] = {"notify",  "poweroff",    "reboot",    "restart",
                                                "stop",    "switch-plan", "unmask-irq"};
#define POLC_ACTION_COUNT (sizeof(polc_action_names) / sizeof(polc_action_names[0]))

static uint8_t polc_action(const char *text)
{
    for (uint8_t i = 0; text != NULL && i < POLC_ACTION_COUNT; i++) {
        if (strcmp(text, polc_action_names[i]) == 0) {
            return i;
        }
    }
    return MOAT_ACTION_NOTIFY;
}

const char *polc_action_name(uint8_t action)
{
    return action < POLC_ACTION_COUNT ? polc_action_names[action] : "?";
}

static void polc_parse_event(struct polc_ctx *ctx, xmlNodePtr node, struct polc_event *ev)
{
    ev->name = polc_attr(ctx, node, "name");
    ev->line = polc_line(node);
    ev->from_name = polc_attr(ctx, node, "from");
    ev->to_name = polc_attr(ctx, node, "to");
    ev->plan_name = polc_attr(ctx, node, "plan");
    ev->irq_name = polc_attr(ctx, node, "irq");
    ev->action = polc_action(polc_attr(ctx, node, "action"));
    polc_num_attr(ctx, node, polc_what(ctx, "event", ev->name), "vector", POLC_NUMBER, 0,
                  &ev->vector, &ev->has_vector);
}

static void polc_parse_plan(struct polc_ctx *ctx, xmlNodePtr node, struct polc_plan *plan)
{
    plan->name = polc_attr(ctx, node, "name");
    plan->line = polc_line(node);
    const char *what = polc_what(ctx, "plan", plan->name);
    plan->cpus = polc_array(ctx, polc_count(node, "cpu"), sizeof(*plan->cpus));
    for (xmlNodePtr c = node->children; c != NULL; c = c->next) {
        if (!polc_is(c, "cpu")) {
            continue;
        }
        struct polc_plan_cpu *cpu = &plan->cpus[plan->cpu_count++];
        cpu->line = polc_line(c);
        polc_num_attr(ctx, c, what, "id", POLC_NUMBER, 0, &cpu->id, NULL);
        cpu->frames = polc_array(ctx, polc_count(c, "frame") + polc_count(c, "idle"),
                                 sizeof(*cpu->frames));
        for (xmlNodePtr f = c->children; f != NULL; f = f->next) {
            if (!polc_is(f, "frame") && !polc_is(f, "idle")) {
                continue;
            }
            struct polc_frame *frame = &cpu->frames[cpu->frame_count++];
            frame->line = polc_line(f);
            frame->subject_name = polc_is(f, "frame") ? polc_attr(ctx, f, "subject") : NULL;
            polc_num_attr(ctx, f, what, "ticks", POLC_NUMBER, 0, &frame->ticks, NULL);
        }
    }
}

static void polc_build_model(struct polc_ctx *ctx, xmlNodePtr root)
{
    struct polc_system *sys = &ctx->sys;
    sys->name = polc_attr(ctx, root, "name");
    sys->line = polc_line(root);

    xmlNodePtr platform = polc_child(root, "platform");
    sys->platform_line = polc_line(platform);
    polc_num_attr(ctx, platform, "platform", "cpus", POLC_NUMBER, 1, &sys->cpu_count, NULL);
    polc_num_attr(ctx, platform, "platform", "memory", POLC_SIZE, 0, &sys->memory_size, NULL);
    polc_num_attr(ctx, platform, "platform", "audit-size", POLC_SIZE, 0x4000,
                  &sys->audit_size, NULL);

    xmlNodePtr subjects = polc_child(root, "subjects");
    sys->subjects = polc_array(ctx, polc_count(subjects, "subject"), sizeof(*sys->subjects));
    for (xmlNodePtr c = subjects->children; c != NULL; c = c->next) {
        if (polc_is(c, "subject")) {
            struct polc_subject *s = &sys->subjects[sys->subject_count];
            s->id = (subject_id_t)(sys->subject_count < UINT16_MAX ? sys->subject_count : 0);
            sys->subject_count++;
            polc_parse_subject(ctx, c, s);
        }
    }

    /* Channels: the policy's, then the kernel log's, then the VMs' consoles. */
    size_t consoles = 0;
    for (size_t i = 0; i < sys->subject_count; i++) {
        consoles += sys->subjects[i].vm != NULL && sys->subjects[i].vm->has_console ? 1 : 0;
    }
    xmlNodePtr channels = polc_child(root, "channels");
    xmlNodePtr klog = channels != NULL ? polc_child(channels, "kernel-log") : NULL;
    uint64_t klog_cpus =
        sys->cpu_count >= 1 && sys->cpu_count <= MOAT_MAX_CPUS ? sys->cpu_count : 1;
    sys->channels = polc_array(ctx,
                               (channels != NULL ? polc_count(channels, "channel") : 0) +
                                   (klog ? klog_cpus : 0) + consoles,
                               sizeof(*sys->channels));
    if (channels != NULL) {
        for (xmlNodePtr c = channels->children; c != NULL; c = c->next) {
            if (polc_is(c, "channel")) {
                polc_parse_channel(ctx, c, &sys->channels[sys->channel_count++]);
            }
        }
    }
    for (uint64_t cpu = 0; klog != NULL && cpu < klog_cpus; cpu++) {
        polc_parse_kernel_log(ctx, klog, cpu, &sys->channels[sys->channel_count++]);
    }
    size_t subject_index = 0;
    for (xmlNodePtr c = subjects->children; c != NULL; c = c->next) {
        if (!polc_is(c, "subject")) {
            continue;
        }
        struct polc_subject *s = &sys->subjects[subject_index++];
        xmlNodePtr vm = polc_child(c, "vm");
        xmlNodePtr console = vm != NULL ? polc_child(vm, "console") : NULL;
        if (console != NULL) {
            polc_parse_console(ctx, console, s, &sys->channels[sys->channel_count++]);
        }
    }

    xmlNodePtr events = polc_child(root, "events");
    if (events != NULL) {
        sys->events = polc_array(ctx, polc_count(events, "event"), sizeof(*sys->events));
        for (xmlNodePtr c = events->children; c != NULL; c = c->next) {
            if (polc_is(c, "event")) {
                polc_parse_event(ctx, c, &sys->events[sys->event_count++]);
            }
        }
    }

    xmlNodePtr scheduling = polc_child(root, "scheduling");
    sys->scheduling_line = polc_line(scheduling);
    polc_num_attr(ctx, scheduling, "scheduling", "tick", POLC_TIME, 0, &sys->tick_ns, NULL);
    sys->initial_plan_name = polc_attr(ctx, scheduling, "initial-plan");
    sys->plans = polc_array(ctx, polc_count(scheduling, "plan"), sizeof(*sys->plans));
    for (xmlNodePtr c = scheduling->children; c != NULL; c = c->next) {
        if (polc_is(c, "plan")) {
            polc_parse_plan(ctx, c, &sys->plans[sys->plan_count++]);
        }
    }
}

bool polc_parse(struct polc_ctx *ctx, const uint8_t *xml, size_t xml_size)
{
    if (xml_size > INT_MAX) {
        polc_error(ctx, 0, "the policy file is too large");
        return false;
    }
    xmlSetStructuredErrorFunc(ctx, polc_xml_error);
    xmlSetGenericErrorFunc(ctx, polc_xml_silent);
    /* No network, no entity substitution, no DTD loading: the policy is data only. */
    int options = XML_PARSE_NONET | XML_PARSE_BIG_LINES;
    xmlDocPtr doc = xmlReadMemory((const char *)xml, (int)xml_size, ctx->file, NULL, options);
    bool ok = false;
    if (doc == NULL) {
        if (ctx->error_count == 0) {
            polc_error(ctx, 0, "not a well-formed XML document");
        }
        goto out;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        polc_error(ctx, 0, "DOCTYPE declarations are not allowed in a policy");
        goto out;
    }
    if (!polc_validate(ctx, doc)) {
        if (ctx->error_count == 0) {
            polc_error(ctx, 0, "the policy does not match the schema");
        }
        goto out;
    }
    /* The schema's global elements could each be a valid document on their own. */
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (root == NULL || !polc_is(root, "system")) {
        polc_error(ctx, root != NULL ? polc_line(root) : 0, "the root element is <%s>, not <system>",
                   root != NULL ? (const char *)root->name : "");
        goto out;
    }
    unsigned before = ctx->error_count;
    polc_build_model(ctx, root);
    ok = ctx->error_count == before;
out:
    xmlFreeDoc(doc);
    xmlSetStructuredErrorFunc(NULL, NULL);
    xmlSetGenericErrorFunc(NULL, NULL);
    return ok;
}
