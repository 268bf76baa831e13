/*
 * moat-polc draw: pictures of a checked policy as SVG (docs/policy.md, "Pictures").
 * draw_svg.c holds the SVG writing shared by the drawings, draw_schedule.c the per-CPU
 * timeline of every plan, draw_flows.c the information-flow graph, draw_main.c the
 * command line. Drawings need no subject image: the policy is checked without them.
 */
#ifndef POLC_DRAW_H
#define POLC_DRAW_H

#include "polc.h"

/* Monospace text, so a label's width is known without a font: */
#define POLC_DRAW_FONT_SIZE 12
#define POLC_DRAW_CHAR_WIDTH 7.3 /* px per character at POLC_DRAW_FONT_SIZE */

/* `moat-polc draw SYSTEM.xml [--schedule OUT.svg] [--flows OUT.svg]` */
int polc_draw_main(int argc, char **argv, struct polc_buf *out, struct polc_buf *err);

/* The two drawings of an error-free, checked policy, appended to out. */
void polc_draw_schedule(const struct polc_system *sys, struct polc_buf *out);
void polc_draw_flows(const struct polc_system *sys, struct polc_buf *out);

/* ---- SVG helpers (draw_svg.c) ---- */
/* s with & < > " ' replaced by entities, appended to out. */
void polc_svg_escape(struct polc_buf *out, const char *s);
/* Width in px of n characters of label text. */
double polc_svg_text_width(size_t n);
void polc_svg_begin(struct polc_buf *out, double width, double height, const char *title);
void polc_svg_end(struct polc_buf *out);
/* <text> at (x, y); anchor "start", "middle" or "end"; cls a CSS class of the drawing. */
void polc_svg_text(struct polc_buf *out, double x, double y, const char *anchor, const char *cls,
                   const char *text);
/* A human time: 1500000 ns -> "1.5 ms", 100000 -> "100 us", 0 -> "0". */
void polc_draw_format_time(char *out, size_t out_size, uint64_t ns);

#endif /* POLC_DRAW_H */
