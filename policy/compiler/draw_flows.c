/*
 * The information-flow drawing: every subject a box at the head of a column (with its
 * CPU, fault action, timers, IRQs and the kernel actions it may trigger), and below, one
 * row per flow: each channel as one-way arrows from its writer to each reader, each
 * notify event as an arrow from sender to receiver, each restart/stop as an arrow to the
 * subject it acts on. Kernel log channels start from a "kernel" column. One row per flow
 * means no two arrows share a line and no arrow crosses a box.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"

#define FLOW_MARGIN 20.0
#define FLOW_COL_GAP 34.0
#define FLOW_MIN_COL 120.0
#define FLOW_BOX_TOP 78.0
#define FLOW_BOX_LINE 15.0
#define FLOW_ROW 30.0
#define FLOW_SECTION 34.0
#define FLOW_MAX_LINES (4 + 2 * MOAT_MAX_EVENTS)

/* The text lines of one column's head box. */
struct flow_box {
    const char *lines[FLOW_MAX_LINES];
    size_t line_count;
    double width;
    double x; /* centre */
};

static void flow_box_add(struct flow_box *box, const char *line)
{
    if (box->line_count < FLOW_MAX_LINES) {
        box->lines[box->line_count++] = line;
        double w = polc_svg_text_width(strlen(line)) + 20.0;
        box->width = w > box->width ? w : box->width;
    }
}

/* "may: restart filter (event 'revive')" and the like; a heap string, freed with the box. */
static char *flow_action_line(const struct polc_system *sys, const struct polc_event *ev)
{
    char what[160];
    switch (ev->action) {
    case MOAT_ACTION_RESTART:
    case MOAT_ACTION_STOP:
        snprintf(what, sizeof(what), "%s %s", polc_action_name(ev->action), ev->to->name);
        break;
    case MOAT_ACTION_SWITCH_PLAN:
        snprintf(what, sizeof(what), "switch to plan %s", sys->plans[ev->plan].name);
        break;
    case MOAT_ACTION_UNMASK_IRQ:
        snprintf(what, sizeof(what), "unmask irq %s (line %llu)", ev->irq->name,
                 (unsigned long long)ev->irq->irq_line);
        break;
    default:
        snprintf(what, sizeof(what), "%s", polc_action_name(ev->action));
        break;
    }
    size_t size = strlen(what) + strlen(ev->name) + 32;
    char *line = malloc(size);
    if (line != NULL) {
        snprintf(line, size, "may %s (event %s)", what, ev->name);
    }
    return line;
}

struct flow_drawing {
    const struct polc_system *sys;
    struct polc_buf *o;
    struct flow_box *boxes; /* [0]: the kernel, then one per subject */
    bool kernel_column;
    char **owned; /* strings to free */
    size_t owned_count;
    double y;     /* the next row */
    double right; /* the rightmost label's end */
};

static const char *flow_keep(struct flow_drawing *d, char *s)
{
    if (s != NULL) {
        d->owned[d->owned_count++] = s;
    }
    return s != NULL ? s : "?";
}

static const char *flow_printf(struct flow_drawing *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *flow_printf(struct flow_drawing *d, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return flow_keep(d, strdup(buf));
}

static double flow_x(const struct flow_drawing *d, const struct polc_subject *s)
{
    return d->boxes[1 + (size_t)(s - d->sys->subjects)].x;
}

static void flow_fill_boxes(struct flow_drawing *d)
{
    const struct polc_system *sys = d->sys;
    struct flow_box *k = &d->boxes[0];
    flow_box_add(k, "kernel");
    flow_box_add(k, "writes the kernel log");
    for (size_t i = 0; i < sys->subject_count; i++) {
        const struct polc_subject *s = &sys->subjects[i];
        struct flow_box *b = &d->boxes[1 + i];
        flow_box_add(b, s->name);
        flow_box_add(b, flow_printf(d, "CPU %llu, on fault: %s", (unsigned long long)s->cpu,
                                    s->on_fault == MOAT_FAULT_RESTART ? "restart" : "stop"));
        if (s->vm != NULL) {
            char ram[32];
            polc_format_size(ram, sizeof(ram), s->vm->ram_size);
            const char *boots = s->vm->boot == POLC_VM_BOOT_LINUX ? "Linux" : "image";
            flow_box_add(b, flow_printf(d, "VM (%s), guest RAM %s", boots, ram));
        }
        for (size_t t = 0; t < s->timer_count; t++) {
            flow_box_add(b, flow_printf(d, "timer %s", s->timers[t].name));
        }
        for (size_t q = 0; q < s->irq_count; q++) {
            flow_box_add(b, flow_printf(d, "irq %s (line %llu)", s->irqs[q].name,
                                        (unsigned long long)s->irqs[q].irq_line));
        }
    }
    for (size_t e = 0; e < sys->event_count; e++) {
        const struct polc_event *ev = &sys->events[e];
        if (ev->action != MOAT_ACTION_NOTIFY) {
            flow_box_add(&d->boxes[1 + (size_t)(ev->from - sys->subjects)],
                         flow_keep(d, flow_action_line(sys, ev)));
        }
    }
    double x = FLOW_MARGIN;
    for (size_t i = d->kernel_column ? 0 : 1; i <= sys->subject_count; i++) {
        struct flow_box *b = &d->boxes[i];
        /* Whole, even widths: every column's centre is a whole pixel. */
        uint64_t whole = (uint64_t)b->width + 1u;
        whole += whole % 2u;
        b->width = b->width < FLOW_MIN_COL ? FLOW_MIN_COL : (double)whole;
        b->x = x + b->width / 2.0;
        x += b->width + FLOW_COL_GAP;
    }
}

static void flow_draw_box(struct flow_drawing *d, const struct flow_box *b, bool kernel,
                          double height)
{
    struct polc_buf *o = d->o;
    double left = b->x - b->width / 2.0;
    polc_buf_printf(o,
                    "<g class=\"%s\">\n<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
                    " height=\"%.1f\" rx=\"4\"/>\n",
                    kernel ? "kernel" : "subject", kernel ? "kernel" : "subject", left,
                    FLOW_BOX_TOP, b->width, height);
    polc_svg_text(o, b->x, FLOW_BOX_TOP + 18.0, "middle", "heading", b->lines[0]);
    for (size_t i = 1; i < b->line_count; i++) {
        bool action = strncmp(b->lines[i], "may ", 4) == 0;
        polc_svg_text(o, left + 10.0, FLOW_BOX_TOP + 20.0 + (double)i * FLOW_BOX_LINE, "start",
                      action ? "action" : "small", b->lines[i]);
    }
    polc_buf_printf(o, "</g>\n");
}

static void flow_section(struct flow_drawing *d, const char *title)
{
    d->y += 10.0;
    polc_svg_text(d->o, FLOW_MARGIN, d->y, "start", "heading", title);
    d->y += FLOW_SECTION - 10.0;
}

/* One row: a dot at x0 and arrows to every xs (the farthest first, so nearer heads stay
 * on top), its label above the line. */
static void flow_row(struct flow_drawing *d, const char *kind, const char *title, const char *label,
                     double x0, const double *xs, size_t x_count)
{
    struct polc_buf *o = d->o;
    double y = d->y + 8.0;
    double lo = x0;
    polc_buf_printf(o, "<g class=\"%s\"><title>", kind);
    polc_svg_escape(o, title);
    polc_buf_printf(o, "</title>\n");
    bool *done = calloc(x_count + 1, sizeof(*done));
    if (done == NULL) {
        return;
    }
    for (size_t n = 0; n < x_count; n++) {
        size_t far = x_count;
        for (size_t i = 0; i < x_count; i++) {
            double di = xs[i] > x0 ? xs[i] - x0 : x0 - xs[i];
            double df = far == x_count ? -1.0 : (xs[far] > x0 ? xs[far] - x0 : x0 - xs[far]);
            if (!done[i] && di > df) {
                far = i;
            }
        }
        done[far] = true;
        lo = xs[far] < lo ? xs[far] : lo;
        if (xs[far] == x0) { /* to itself: a loop to the right */
            polc_buf_printf(o,
                            "<path class=\"%s\" fill=\"none\" d=\"M%.1f,%.1f h24 v10 h-24\" "
                            "marker-end=\"url(#arrow-%s)\"/>\n",
                            kind, x0, y - 5.0, kind);
            continue;
        }
        polc_buf_printf(o,
                        "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                        "marker-end=\"url(#arrow-%s)\"/>\n",
                        kind, x0, y, xs[far], y, kind);
    }
    const char *dot = strcmp(kind, "channel") == 0 ? "writer"
                      : strcmp(kind, "event") == 0 ? "sender"
                                                   : "actor";
    polc_buf_printf(o, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/>\n", dot, x0, y);
    polc_svg_text(o, lo + 8.0, y - 5.0, "start", kind, label);
    double end = lo + 8.0 + polc_svg_text_width(strlen(label));
    d->right = end > d->right ? end : d->right;
    polc_buf_printf(o, "</g>\n");
    d->y += FLOW_ROW;
    free(done);
}

static void flow_draw_channels(struct flow_drawing *d)
{
    const struct polc_system *sys = d->sys;
    if (sys->channel_count == 0) {
        return;
    }
    flow_section(d, "Channels: the writer's data, one way, to each reader (arrowheads)");
    for (size_t c = 0; c < sys->channel_count; c++) {
        const struct polc_channel *ch = &sys->channels[c];
        double *xs = calloc(ch->reader_count + 1, sizeof(*xs));
        if (xs == NULL) {
            return;
        }
        for (size_t r = 0; r < ch->reader_count; r++) {
            xs[r] = flow_x(d, ch->readers[r].subject);
        }
        char size[32];
        polc_format_size(size, sizeof(size), ch->size);
        char label[512];
        char title[512];
        /* A device channel may be written or read only outside the system (the host). */
        bool outside_writer = !polc_channel_by_kernel(ch) && ch->writer_count == 0;
        const char *writer = polc_channel_by_kernel(ch) ? "kernel"
                             : outside_writer          ? "outside"
                                                       : ch->writers[0].subject->name;
        char readers[200] = "outside";
        int at = 0;
        for (size_t r = 0; r < ch->reader_count && at >= 0 && (size_t)at < sizeof(readers); r++) {
            at += snprintf(readers + at, sizeof(readers) - (size_t)at, "%s%s", r ? ", " : "",
                           ch->readers[r].subject->name);
        }
        snprintf(label, sizeof(label), "channel %s (%s, %llu-byte elements): %s -> %s", ch->name,
                 size, (unsigned long long)ch->element_size, writer, readers);
        snprintf(title, sizeof(title), "channel %s: %s writes, %s read%s", ch->name, writer,
                 readers, ch->reader_count <= 1 ? "s" : "");
        bool from_kernel = polc_channel_by_kernel(ch) || outside_writer;
        double x0 = from_kernel ? d->boxes[0].x : flow_x(d, ch->writers[0].subject);
        flow_row(d, "channel", title, label, x0, xs, ch->reader_count);
        free(xs);
    }
}

static void flow_draw_events(struct flow_drawing *d, bool notify)
{
    const struct polc_system *sys = d->sys;
    bool any = false;
    for (size_t e = 0; e < sys->event_count; e++) {
        const struct polc_event *ev = &sys->events[e];
        bool targeted = ev->action == MOAT_ACTION_RESTART || ev->action == MOAT_ACTION_STOP;
        if (notify ? ev->action != MOAT_ACTION_NOTIFY : !targeted) {
            continue;
        }
        if (!any) {
            flow_section(d, notify ? "Events: the sender wakes the receiver (notify)"
                                   : "Kernel actions on another subject: the sender may have "
                                     "the kernel restart or stop it");
            any = true;
        }
        char label[256];
        char title[512];
        if (notify) {
            snprintf(label, sizeof(label), "event %s: %s -> %s", ev->name, ev->from->name,
                     ev->to->name);
            snprintf(title, sizeof(title), "event %s: %s notifies %s", ev->name, ev->from->name,
                     ev->to->name);
        } else {
            snprintf(label, sizeof(label), "%s %s (event %s)", polc_action_name(ev->action),
                     ev->to->name, ev->name);
            snprintf(title, sizeof(title), "event %s: %s may %s %s", ev->name, ev->from->name,
                     polc_action_name(ev->action), ev->to->name);
        }
        double x = flow_x(d, ev->to);
        flow_row(d, notify ? "event" : "action", title, label, flow_x(d, ev->from), &x, 1);
    }
}

void polc_draw_flows(const struct polc_system *sys, struct polc_buf *o)
{
    struct flow_drawing d = {.sys = sys, .o = o};
    d.boxes = calloc(sys->subject_count + 1, sizeof(*d.boxes));
    /* The strings flow_fill_boxes makes: a CPU line per subject, a line per timer, IRQ
     * and kernel action. */
    size_t owned = sys->subject_count + sys->event_count;
    for (size_t i = 0; i < sys->subject_count; i++) {
        owned += sys->subjects[i].timer_count + sys->subjects[i].irq_count;
    }
    d.owned = calloc(owned + 1, sizeof(*d.owned));
    if (d.boxes == NULL || d.owned == NULL) {
        free(d.boxes);
        free(d.owned);
        return;
    }
    for (size_t c = 0; c < sys->channel_count; c++) {
        d.kernel_column = d.kernel_column || polc_channel_by_kernel(&sys->channels[c]);
    }
    flow_fill_boxes(&d);
    size_t lines = 0;
    double width = FLOW_MARGIN;
    for (size_t i = d.kernel_column ? 0 : 1; i <= sys->subject_count; i++) {
        lines = d.boxes[i].line_count > lines ? d.boxes[i].line_count : lines;
        width = d.boxes[i].x + d.boxes[i].width / 2.0 + FLOW_MARGIN;
    }
    double box_height = 14.0 + (double)lines * FLOW_BOX_LINE;

    /* Rows first into their own buffer: their count gives the height. */
    struct polc_buf rows = {0};
    d.o = &rows;
    d.y = FLOW_BOX_TOP + box_height + 16.0;
    flow_draw_channels(&d);
    flow_draw_events(&d, true);
    flow_draw_events(&d, false);
    double height = d.y + FLOW_MARGIN;
    d.o = o;

    char title[256];
    snprintf(title, sizeof(title),
             "System '%s': information flows (%zu subjects, %zu channels, "
             "%zu events)",
             sys->name, sys->subject_count, sys->channel_count, sys->event_count);
    double title_width = polc_svg_text_width(strlen(title)) * 16.0 / 12.0 + 2 * FLOW_MARGIN;
    double note_width = polc_svg_text_width(74) + 2 * FLOW_MARGIN;
    width = width < title_width ? title_width : width;
    width = width < note_width ? note_width : width;
    width = width < d.right + FLOW_MARGIN ? d.right + FLOW_MARGIN : width;
    polc_svg_begin(o, width, height, title);
    polc_svg_text(o, FLOW_MARGIN, 30.0, "start", "title", title);
    polc_svg_text(o, FLOW_MARGIN, 52.0, "start", "note",
                  "Boxes are subjects; each row below is one flow between the subjects' columns.");
    polc_svg_text(o, FLOW_MARGIN, 67.0, "start", "note",
                  "Red lines in a box: what the subject may have the kernel do.");
    for (size_t i = d.kernel_column ? 0 : 1; i <= sys->subject_count; i++) {
        const struct flow_box *b = &d.boxes[i];
        polc_buf_printf(o,
                        "<line class=\"lifeline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                        "y2=\"%.1f\"/>\n",
                        b->x, FLOW_BOX_TOP + box_height, b->x, height - FLOW_MARGIN);
        flow_draw_box(&d, b, i == 0, box_height);
    }
    polc_buf_append(o, rows.data, rows.len);
    polc_svg_end(o);
    polc_buf_free(&rows);
    for (size_t i = 0; i < d.owned_count; i++) {
        free(d.owned[i]);
    }
    free(d.owned);
    free(d.boxes);
}
