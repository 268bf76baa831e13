/*
 * The schedule drawing: for every plan, one row per CPU showing its major frame as a
 * timeline of minor frames (subject or idle, length in ticks), a time axis at the frame
 * boundaries, and the plan switches that can start from the plan (a switch-plan event
 * whose sender has a frame in it), listed in words and drawn as arrows between plans.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"

#define SCHED_MARGIN 20.0
#define SCHED_LABEL_WIDTH 64.0 /* "CPU 0" column */
#define SCHED_TIMELINE 760.0   /* px for the longest major frame */
#define SCHED_ROW_HEIGHT 34.0
#define SCHED_UPRIGHT_MIN 14.0 /* px: a frame narrower than this shows no name */
#define SCHED_ROW_GAP 6.0
#define SCHED_AXIS_HEIGHT 30.0
#define SCHED_LINE 16.0
#define SCHED_LANE 16.0      /* gutter lane of one switch arrow */
#define SCHED_LABEL_GAP 46.0 /* px between two time labels on an axis */

/* A plan switch: `event` sent from `from` switches to `to`. */
struct sched_switch {
    const struct polc_plan *from;
    const struct polc_plan *to;
    const struct polc_event *event;
};

static bool sched_plan_runs(const struct polc_plan *plan, const struct polc_subject *s)
{
    for (size_t c = 0; c < plan->cpu_count; c++) {
        for (size_t f = 0; f < plan->cpus[c].frame_count; f++) {
            if (plan->cpus[c].frames[f].subject == s) {
                return true;
            }
        }
    }
    return false;
}

/* The plan's CPUs by id (the policy may list them in any order). */
static void sched_cpus_by_id(const struct polc_plan *plan, const struct polc_plan_cpu **out)
{
    for (size_t i = 0; i < plan->cpu_count; i++) {
        size_t j = i;
        while (j > 0 && out[j - 1]->id > plan->cpus[i].id) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = &plan->cpus[i];
    }
}

static size_t sched_switches_from(const struct polc_system *sys, const struct polc_plan *plan,
                                  struct sched_switch *out)
{
    size_t n = 0;
    for (size_t e = 0; e < sys->event_count; e++) {
        const struct polc_event *ev = &sys->events[e];
        if (ev->action != MOAT_ACTION_SWITCH_PLAN || !sched_plan_runs(plan, ev->from)) {
            continue;
        }
        out[n].from = plan;
        out[n].to = &sys->plans[ev->plan];
        out[n].event = ev;
        n++;
    }
    return n;
}

static const char *sched_frame_name(const struct polc_frame *f)
{
    return f->subject_name != NULL ? f->subject_name : "idle";
}

/* Whether a frame w px wide shows its name across, or must stand it on end. */
static bool sched_fits_across(const struct polc_frame *f, double w)
{
    return polc_svg_text_width(strlen(sched_frame_name(f))) + 4.0 <= w;
}

/* A row is taller than SCHED_ROW_HEIGHT when a frame too narrow for its name shows it
 * upright: then it is as tall as the longest such name. */
static double sched_row_height(const struct polc_plan_cpu *cpu, double scale)
{
    double h = SCHED_ROW_HEIGHT;
    for (size_t f = 0; f < cpu->frame_count; f++) {
        const struct polc_frame *fr = &cpu->frames[f];
        double w = (double)fr->ticks * scale;
        if (!sched_fits_across(fr, w) && w >= SCHED_UPRIGHT_MIN) {
            double need = polc_svg_text_width(strlen(sched_frame_name(fr))) + 12.0;
            h = need > h ? need : h;
        }
    }
    return h;
}

static double sched_plan_height(const struct polc_plan *plan, double scale, size_t switch_count)
{
    size_t lines = switch_count == 0 ? 1 : switch_count;
    double rows = 0;
    for (size_t c = 0; c < plan->cpu_count; c++) {
        rows += sched_row_height(&plan->cpus[c], scale) + SCHED_ROW_GAP;
    }
    return 28.0 + rows + SCHED_AXIS_HEIGHT + (double)lines * SCHED_LINE + 10.0;
}

static void sched_draw_frame(struct polc_buf *o, const struct polc_system *sys,
                             const struct polc_plan_cpu *cpu, const struct polc_frame *f,
                             uint64_t start, double x, double y, double w, double h)
{
    const char *name = sched_frame_name(f);
    char from[32];
    char to[32];
    polc_draw_format_time(from, sizeof(from), start * sys->tick_ns);
    polc_draw_format_time(to, sizeof(to), (start + f->ticks) * sys->tick_ns);
    polc_buf_printf(o, "<g><title>");
    polc_svg_escape(o, f->subject_name != NULL ? "subject " : "");
    polc_svg_escape(o, name);
    polc_buf_printf(o, " on CPU %llu: ticks %llu-%llu (%s to %s)</title>\n",
                    (unsigned long long)cpu->id, (unsigned long long)start,
                    (unsigned long long)(start + f->ticks), from, to);
    polc_buf_printf(o,
                    "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
                    f->subject_name != NULL ? "frame" : "idle", x, y, w, h);
    char ticks[48];
    snprintf(ticks, sizeof(ticks), "%llu tick%s", (unsigned long long)f->ticks,
             f->ticks == 1 ? "" : "s");
    if (sched_fits_across(f, w)) {
        polc_svg_text(o, x + w / 2.0, y + 15.0, "middle", NULL, name);
        if (polc_svg_text_width(strlen(ticks)) + 4.0 <= w) {
            polc_svg_text(o, x + w / 2.0, y + 28.0, "middle", "small", ticks);
        }
    } else if (w >= SCHED_UPRIGHT_MIN) {
        double cx = x + w / 2.0 + 4.0;
        double cy = y + h / 2.0;
        polc_buf_printf(o,
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                        "transform=\"rotate(-90 %.1f %.1f)\">",
                        cx, cy, cx, cy);
        polc_svg_escape(o, name);
        polc_buf_printf(o, "</text>\n");
    }
    polc_buf_printf(o, "</g>\n");
}

/* The time axis under the rows: a mark at every frame boundary of any CPU, a label
 * where it does not crowd the one before (the end is always labelled). */
static void sched_draw_axis(struct polc_buf *o, const struct polc_system *sys,
                            const struct polc_plan *plan, double left, double scale, double y)
{
    polc_buf_printf(o, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                    left, y, left + (double)plan->major_ticks * scale, y);
    double last_label = -1e9;
    double end_x = left + (double)plan->major_ticks * scale;
    for (uint64_t t = 0; t <= plan->major_ticks; t++) {
        bool boundary = t == 0 || t == plan->major_ticks;
        for (size_t c = 0; c < plan->cpu_count && !boundary; c++) {
            uint64_t at = 0;
            for (size_t f = 0; f < plan->cpus[c].frame_count && at < t; f++) {
                at += plan->cpus[c].frames[f].ticks;
            }
            boundary = at == t;
        }
        if (!boundary) {
            continue;
        }
        double x = left + (double)t * scale;
        polc_buf_printf(o,
                        "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                        x, y, x, y + 5.0);
        bool is_end = t == plan->major_ticks;
        if (x - last_label < SCHED_LABEL_GAP || (!is_end && end_x - x < SCHED_LABEL_GAP)) {
            continue;
        }
        char text[32];
        polc_draw_format_time(text, sizeof(text), t * sys->tick_ns);
        polc_svg_text(o, x, y + 17.0, t == 0 ? "start" : (is_end ? "end" : "middle"), "small",
                      text);
        last_label = x;
    }
}

static void sched_switch_text(char *out, size_t out_size, const struct sched_switch *sw)
{
    snprintf(out, out_size, "-> plan '%s' when %s sends event '%s'%s", sw->to->name,
             sw->event->from->name, sw->event->name,
             sw->to == sw->from ? " (stays in this plan)" : "");
}

void polc_draw_schedule(const struct polc_system *sys, struct polc_buf *o)
{
    /* Every switch, grouped by the plan it starts from, in policy order. */
    struct sched_switch *switches =
        calloc(sys->plan_count * sys->event_count + 1, sizeof(*switches));
    size_t *first_switch = calloc(sys->plan_count + 1, sizeof(*first_switch));
    double *plan_top = calloc(sys->plan_count + 1, sizeof(*plan_top));
    size_t *arriving = calloc(sys->plan_count + 1, sizeof(*arriving));
    if (switches == NULL || first_switch == NULL || plan_top == NULL || arriving == NULL) {
        goto out;
    }
    size_t switch_count = 0;
    uint64_t longest = 1;
    double label_width = 0;
    for (size_t p = 0; p < sys->plan_count; p++) {
        first_switch[p] = switch_count;
        switch_count += sched_switches_from(sys, &sys->plans[p], &switches[switch_count]);
        longest = sys->plans[p].major_ticks > longest ? sys->plans[p].major_ticks : longest;
    }
    first_switch[sys->plan_count] = switch_count;
    for (size_t i = 0; i < switch_count; i++) {
        double w = polc_svg_text_width(strlen(switches[i].event->name));
        label_width = w > label_width ? w : label_width;
    }
    double left = SCHED_MARGIN + SCHED_LABEL_WIDTH;
    double scale = SCHED_TIMELINE / (double)longest;
    double plan_right = left + SCHED_TIMELINE + 10.0;
    double gutter =
        switch_count == 0 ? 0.0 : label_width + 20.0 + (double)switch_count * SCHED_LANE;
    double width = plan_right + gutter + SCHED_MARGIN;
    double height = 78.0;
    for (size_t p = 0; p < sys->plan_count; p++) {
        plan_top[p] = height;
        height +=
            sched_plan_height(&sys->plans[p], scale, first_switch[p + 1] - first_switch[p]) + 14.0;
    }
    height += SCHED_MARGIN - 14.0;

    char text[256];
    char tick[32];
    polc_draw_format_time(tick, sizeof(tick), sys->tick_ns);
    snprintf(text, sizeof(text), "System '%s': schedule (%llu CPU%s, tick %s, %zu plan%s)",
             sys->name, (unsigned long long)sys->cpu_count, sys->cpu_count == 1 ? "" : "s", tick,
             sys->plan_count, sys->plan_count == 1 ? "" : "s");
    polc_svg_begin(o, width, height, text);
    polc_svg_text(o, SCHED_MARGIN, 30.0, "start", "title", text);
    polc_svg_text(o, SCHED_MARGIN, 52.0, "start", "note",
                  "Each row is one CPU's major frame, repeated for as long as its plan runs; "
                  "each box is a minor frame");
    polc_svg_text(o, SCHED_MARGIN, 67.0, "start", "note",
                  "(the subject that runs, its length in ticks); hatched boxes are idle time.");

    for (size_t p = 0; p < sys->plan_count; p++) {
        const struct polc_plan *plan = &sys->plans[p];
        size_t own = first_switch[p + 1] - first_switch[p];
        double top = plan_top[p];
        polc_buf_printf(o, "<g class=\"plan\" id=\"plan-");
        polc_svg_escape(o, plan->name);
        polc_buf_printf(o,
                        "\">\n<rect class=\"plan\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                        "height=\"%.1f\" rx=\"6\"/>\n",
                        SCHED_MARGIN - 8.0, top, plan_right - SCHED_MARGIN + 8.0,
                        sched_plan_height(plan, scale, own));
        char major[32];
        polc_draw_format_time(major, sizeof(major), plan->major_ticks * sys->tick_ns);
        snprintf(text, sizeof(text), "plan '%s'%s: major frame %llu ticks = %s", plan->name,
                 (plan_id_t)p == sys->initial_plan ? " (initial)" : "",
                 (unsigned long long)plan->major_ticks, major);
        polc_svg_text(o, SCHED_MARGIN, top + 20.0, "start", "heading", text);
        const struct polc_plan_cpu *cpus[MOAT_MAX_CPUS];
        sched_cpus_by_id(plan, cpus);
        double y = top + 28.0;
        for (size_t c = 0; c < plan->cpu_count; c++) {
            double h = sched_row_height(cpus[c], scale);
            snprintf(text, sizeof(text), "CPU %llu", (unsigned long long)cpus[c]->id);
            polc_svg_text(o, SCHED_MARGIN, y + h / 2.0 + 4.0, "start", "heading", text);
            uint64_t start = 0;
            for (size_t f = 0; f < cpus[c]->frame_count; f++) {
                const struct polc_frame *fr = &cpus[c]->frames[f];
                sched_draw_frame(o, sys, cpus[c], fr, start, left + (double)start * scale, y,
                                 (double)fr->ticks * scale, h);
                start += fr->ticks;
            }
            y += h + SCHED_ROW_GAP;
        }
        sched_draw_axis(o, sys, plan, left, scale, y);
        y += SCHED_AXIS_HEIGHT + 12.0;
        if (own == 0) {
            polc_svg_text(o, SCHED_MARGIN, y, "start", "switch",
                          "No plan switch starts here: no subject of this plan may send one.");
        }
        for (size_t i = first_switch[p]; i < first_switch[p + 1]; i++) {
            sched_switch_text(text, sizeof(text), &switches[i]);
            polc_svg_text(o, SCHED_MARGIN, y, "start", "switch", text);
            y += SCHED_LINE;
        }
        polc_buf_printf(o, "</g>\n");
    }

    /* The switches between different plans as arrows in the right gutter, one lane
     * each: they leave a plan at its top and arrive at its bottom. */
    size_t lane = 0;
    for (size_t p = 0; p < sys->plan_count; p++) {
        size_t leaving = 0;
        for (size_t i = first_switch[p]; i < first_switch[p + 1]; i++) {
            const struct sched_switch *sw = &switches[i];
            size_t to = (size_t)(sw->to - sys->plans);
            if (to == p) { /* its line of text says so; an arrow back to itself says nothing */
                continue;
            }
            double y0 = plan_top[p] + 24.0 + (double)leaving * 16.0;
            double y1 = plan_top[to] +
                        sched_plan_height(sw->to, scale, first_switch[to + 1] - first_switch[to]) -
                        12.0 - (double)arriving[to] * 8.0;
            double x = plan_right + label_width + 20.0 + (double)lane * SCHED_LANE;
            leaving++;
            arriving[to]++;
            lane++;
            polc_buf_printf(o, "<g class=\"switch\"><title>");
            sched_switch_text(text, sizeof(text), sw);
            polc_svg_escape(o, text);
            polc_buf_printf(o, " (from plan '");
            polc_svg_escape(o, sw->from->name);
            polc_buf_printf(o,
                            "')</title>\n<path class=\"switch\" d=\"M%.1f,%.1f H%.1f V%.1f "
                            "H%.1f\" marker-end=\"url(#arrow-switch)\"/>\n",
                            plan_right, y0, x, y1, plan_right + 2.0);
            polc_svg_text(o, plan_right + 6.0, y0 - 4.0, "start", "switch", sw->event->name);
            polc_buf_printf(o, "</g>\n");
        }
    }
    polc_svg_end(o);
out:
    free(switches);
    free(first_switch);
    free(plan_top);
    free(arriving);
}
