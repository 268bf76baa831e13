/*
 * The SVG writing shared by moat-polc's drawings: the document frame with one style
 * sheet (so every drawing uses the same colours and a monospace font whose label widths
 * are known), escaped text, and time labels. Coordinates are printed with one decimal,
 * so the same policy always gives the same bytes.
 */
#include <stdio.h>
#include <string.h>

#include "draw.h"

void polc_svg_escape(struct polc_buf *out, const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        switch (*p) {
        case '&':
            polc_buf_printf(out, "&amp;");
            break;
        case '<':
            polc_buf_printf(out, "&lt;");
            break;
        case '>':
            polc_buf_printf(out, "&gt;");
            break;
        case '"':
            polc_buf_printf(out, "&quot;");
            break;
        case '\'':
            polc_buf_printf(out, "&apos;");
            break;
        default:
            polc_buf_append(out, p, 1);
            break;
        }
    }
}

double polc_svg_text_width(size_t n)
{
    return (double)n * POLC_DRAW_CHAR_WIDTH;
}

static const char polc_svg_style[] =
    "<style>\n"
    "text { font-family: 'DejaVu Sans Mono', 'Liberation Mono', monospace; font-size: 12px;"
    " fill: #1a1a1a; }\n"
    "text.channel, text.event, text.action, text.switch { paint-order: stroke;"
    " stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }\n"
    "text.title { font-size: 16px; font-weight: bold; }\n"
    "text.heading { font-size: 14px; font-weight: bold; }\n"
    "text.note { fill: #555555; }\n"
    "text.small { font-size: 10px; fill: #444444; }\n"
    "text.switch { fill: #8a3b00; }\n"
    "text.action { fill: #a01818; }\n"
    "text.channel { fill: #1f4e96; }\n"
    "text.event { fill: #2d6a2d; }\n"
    "rect.frame { fill: #cfe0f5; stroke: #1f4e96; stroke-width: 1; }\n"
    "rect.idle { fill: url(#idle-hatch); stroke: #888888; stroke-width: 1; }\n"
    "rect.plan { fill: none; stroke: #bbbbbb; stroke-width: 1; }\n"
    "rect.subject { fill: #f4f4f4; stroke: #333333; stroke-width: 1.5; }\n"
    "rect.kernel { fill: #fbeaea; stroke: #a01818; stroke-width: 1.5; stroke-dasharray: 5 3; }\n"
    "line.axis { stroke: #555555; stroke-width: 1; }\n"
    "line.lifeline { stroke: #bbbbbb; stroke-width: 1; stroke-dasharray: 2 3; }\n"
    "line.channel { stroke: #1f4e96; stroke-width: 2; }\n"
    "line.event { stroke: #2d6a2d; stroke-width: 1.5; stroke-dasharray: 6 3; }\n"
    "line.action { stroke: #a01818; stroke-width: 1.5; stroke-dasharray: 2 2; }\n"
    "path.switch { fill: none; stroke: #8a3b00; stroke-width: 1.5; }\n"
    "circle.writer { fill: #1f4e96; }\n"
    "circle.sender { fill: #2d6a2d; }\n"
    "circle.actor { fill: #a01818; }\n"
    "</style>\n";

/* Arrowheads, one per colour, and the hatch that marks idle time. */
static const char polc_svg_defs[] =
    "<defs>\n"
    "<marker id=\"arrow-channel\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"10\""
    " markerHeight=\"10\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 "
    "L0,10 z\" fill=\"#1f4e96\"/></marker>\n"
    "<marker id=\"arrow-event\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"10\""
    " markerHeight=\"10\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 "
    "L0,10 z\" fill=\"#2d6a2d\"/></marker>\n"
    "<marker id=\"arrow-action\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"10\""
    " markerHeight=\"10\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 "
    "L0,10 z\" fill=\"#a01818\"/></marker>\n"
    "<marker id=\"arrow-switch\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"10\""
    " markerHeight=\"10\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 "
    "L0,10 z\" fill=\"#8a3b00\"/></marker>\n"
    "<pattern id=\"idle-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\""
    " patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f2f2f2\"/>"
    "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#aaaaaa\" stroke-width=\"2\"/></pattern>\n"
    "</defs>\n";

void polc_svg_begin(struct polc_buf *out, double width, double height, const char *title)
{
    polc_buf_printf(out,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\""
                    " viewBox=\"0 0 %.0f %.0f\">\n<title>",
                    width, height, width, height);
    polc_svg_escape(out, title);
    polc_buf_printf(out, "</title>\n%s%s", polc_svg_style, polc_svg_defs);
    polc_buf_printf(out,
                    "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
                    width, height);
}

void polc_svg_end(struct polc_buf *out)
{
    polc_buf_printf(out, "</svg>\n");
}

void polc_svg_text(struct polc_buf *out, double x, double y, const char *anchor, const char *cls,
                   const char *text)
{
    polc_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
    if (strcmp(anchor, "start") != 0) {
        polc_buf_printf(out, " text-anchor=\"%s\"", anchor);
    }
    if (cls != NULL) {
        polc_buf_printf(out, " class=\"%s\"", cls);
    }
    polc_buf_printf(out, ">");
    polc_svg_escape(out, text);
    polc_buf_printf(out, "</text>\n");
}

void polc_draw_format_time(char *out, size_t out_size, uint64_t ns)
{
    static const struct {
        uint64_t ns;
        const char *unit;
    } units[] = {{1000000000u, "s"}, {1000000u, "ms"}, {1000u, "us"}};
    if (ns == 0) {
        snprintf(out, out_size, "0");
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        uint64_t whole = ns / units[i].ns;
        if (whole == 0) {
            continue;
        }
        /* Up to three decimals, trailing zeros dropped: 1.5 ms, 1.25 ms, 2 ms. */
        uint64_t rest = (ns % units[i].ns) / (units[i].ns / 1000u);
        if (rest == 0) {
            snprintf(out, out_size, "%llu %s", (unsigned long long)whole, units[i].unit);
        } else if (rest % 100u == 0) {
            snprintf(out, out_size, "%llu.%llu %s", (unsigned long long)whole,
                     (unsigned long long)(rest / 100u), units[i].unit);
        } else if (rest % 10u == 0) {
            snprintf(out, out_size, "%llu.%02llu %s", (unsigned long long)whole,
                     (unsigned long long)(rest / 10u), units[i].unit);
        } else {
            snprintf(out, out_size, "%llu.%03llu %s", (unsigned long long)whole,
                     (unsigned long long)rest, units[i].unit);
        }
        return;
    }
    snprintf(out, out_size, "%llu ns", (unsigned long long)ns);
}
