#!/usr/bin/env python3
"""moat-polc draw: the SVGs are well-formed XML, show what the policy says (frames in
proportion, plan switches, channel and event arrows pointing from writer/sender to
reader/receiver, the kernel actions), are byte-for-byte deterministic, need no subject
image, and are not written for a policy with errors.

usage: test_draw.py MOAT_POLC SOURCE_ROOT
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

NS = {"s": "http://www.w3.org/2000/svg"}
POLC = None
ROOT = None


def draw(policy, *, cwd=None):
    """Both drawings of policy as (schedule bytes, flows bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        sched = os.path.join(tmp, "schedule.svg")
        flows = os.path.join(tmp, "flows.svg")
        r = subprocess.run([POLC, "draw", policy, "--schedule", sched, "--flows", flows],
                           capture_output=True, text=True, cwd=cwd)
        if r.returncode != 0:
            raise AssertionError(f"moat-polc draw {policy}: {r.returncode}\n{r.stderr}")
        with open(sched, "rb") as a, open(flows, "rb") as b:
            return a.read(), b.read()


def texts(elem):
    return ["".join(t.itertext()) for t in elem.iter("{%s}text" % NS["s"])]


def groups(root, cls):
    return [g for g in root.iter("{%s}g" % NS["s"]) if g.get("class") == cls]


def title(elem):
    t = elem.find("s:title", NS)
    return t.text if t is not None else None


class Drawings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.good = os.path.join(ROOT, "policy", "tests", "good", "pipeline.xml")
        s, f = draw(cls.good)
        cls.sched_bytes, cls.flows_bytes = s, f
        cls.sched = ET.fromstring(s)
        cls.flows = ET.fromstring(f)

    def test_both_are_svg_with_a_size_and_a_title(self):
        for root, what in ((self.sched, "schedule"), (self.flows, "information flows")):
            self.assertEqual(root.tag, "{%s}svg" % NS["s"])
            self.assertGreater(float(root.get("width")), 400)
            self.assertGreater(float(root.get("height")), 200)
            self.assertIn(f"System 'pipeline': {what}", title(root))

    def test_every_example_and_good_policy_draws_as_well_formed_xml(self):
        policies = [os.path.join(ROOT, "examples", d, "system.xml")
                    for d in sorted(os.listdir(os.path.join(ROOT, "examples")))
                    if os.path.exists(os.path.join(ROOT, "examples", d, "system.xml"))]
        policies += [os.path.join(ROOT, "tests", "systems", "faults", "system.xml")]
        self.assertGreaterEqual(len(policies), 4)
        for p in policies:
            s, f = draw(p)
            ET.fromstring(s)
            ET.fromstring(f)

    # ---- schedule ----
    def frames(self, plan):
        g = self.sched.find(f".//s:g[@id='plan-{plan}']", NS)
        self.assertIsNotNone(g, f"no group for plan {plan}")
        out = []
        for fg in g.findall("s:g", NS):
            rect = fg.find("s:rect", NS)
            out.append((rect.get("class"), title(fg), float(rect.get("x")),
                        float(rect.get("width")), float(rect.get("y"))))
        return g, out

    def test_schedule_has_every_frame_of_every_plan_in_proportion(self):
        g, frames = self.frames("normal")
        names = [t.split(" on CPU")[0] for _, t, *_ in frames]
        self.assertEqual(names, ["subject producer", "subject filter", "subject logger",
                                 "subject control"])
        widths = {n: w for n, (_, _, _, w, _) in zip(names, frames)}
        self.assertAlmostEqual(widths["subject producer"], widths["subject filter"], places=0)
        self.assertAlmostEqual(widths["subject logger"], 3 * widths["subject control"], delta=0.3)
        # CPU 1's frames follow each other: control starts where logger ends.
        logger, control = frames[2], frames[3]
        self.assertAlmostEqual(logger[2] + logger[3], control[2], delta=0.2)
        self.assertIn("ticks 15-20 (1.5 ms to 2 ms)", control[1])
        self.assertIn("plan 'normal' (initial): major frame 20 ticks = 2 ms", texts(g))
        self.assertIn("1.5 ms", texts(g))

    def test_schedule_shows_idle_time_as_idle(self):
        _, frames = self.frames("safe")
        kinds = [(k, t.split(" on CPU")[0]) for k, t, *_ in frames]
        self.assertEqual(kinds, [("frame", "subject filter"), ("idle", "idle"),
                                 ("frame", "subject logger"), ("frame", "subject control")])
        self.assertIn("idle", texts(self.frames("safe")[0]))

    def test_cpus_are_rows_in_id_order(self):
        g, frames = self.frames("normal")
        self.assertIn("CPU 0", texts(g))
        self.assertIn("CPU 1", texts(g))
        y = {t.split(" on CPU ")[1][0]: fy for _, t, _, _, fy in frames}
        self.assertLess(y["0"], y["1"])

    def test_schedule_shows_the_plan_switches_and_who_sends_them(self):
        normal, _ = self.frames("normal")
        safe, _ = self.frames("safe")
        self.assertIn("-> plan 'safe' when control sends event 'degraded'", texts(normal))
        self.assertIn("-> plan 'safe' when control sends event 'degraded' (stays in this plan)",
                      texts(safe))
        arrows = groups(self.sched, "switch")
        self.assertEqual(len(arrows), 1, "one switch between different plans")
        self.assertIn("from plan 'normal'", title(arrows[0]))
        path = arrows[0].find("s:path", NS)
        self.assertEqual(path.get("marker-end"), "url(#arrow-switch)")
        # It leaves 'normal' and arrives in 'safe': starts above where it ends.
        d = path.get("d").replace("M", "").split()
        y_start = float(d[0].split(",")[1])
        y_end = float(d[2][1:])
        top_safe = float(safe.find("s:rect", NS).get("y"))
        self.assertLess(y_start, top_safe)
        self.assertGreater(y_end, top_safe)

    def test_a_switch_starts_only_from_plans_its_sender_runs_in(self):
        s, _ = draw(os.path.join(ROOT, "policy", "tests", "draw", "switches.xml"))
        root = ET.fromstring(s)
        lines = {}
        for plan in ("day", "night", "service"):
            g = root.find(f".//s:g[@id='plan-{plan}']", NS)
            lines[plan] = [t for t in texts(g) if t.startswith("->")]
        self.assertEqual(lines, {
            "day": ["-> plan 'night' when a sends event 'to_night'"],
            "night": ["-> plan 'night' when a sends event 'to_night' (stays in this plan)",
                      "-> plan 'day' when c sends event 'to_day'",
                      "-> plan 'service' when c sends event 'to_service'"],
            "service": ["-> plan 'day' when c sends event 'to_day'",
                        "-> plan 'service' when c sends event 'to_service' (stays in this plan)"],
        })
        arrows = sorted(title(g) for g in groups(root, "switch"))
        self.assertEqual(arrows, [
            "-> plan 'day' when c sends event 'to_day' (from plan 'night')",
            "-> plan 'day' when c sends event 'to_day' (from plan 'service')",
            "-> plan 'night' when a sends event 'to_night' (from plan 'day')",
            "-> plan 'service' when c sends event 'to_service' (from plan 'night')",
        ])
        night = root.find(".//s:g[@id='plan-night']", NS)
        self.assertIn("plan 'night' (initial): major frame 2 ticks = 500 us", texts(night))
        # CPUs listed 1, 0 in 'day' are drawn 0 above 1.
        day = root.find(".//s:g[@id='plan-day']", NS)
        rows = {title(fg).split(" on CPU ")[1][0]: float(fg.find("s:rect", NS).get("y"))
                for fg in day.findall("s:g", NS)}
        self.assertLess(rows["0"], rows["1"])

    def test_a_plan_nobody_can_leave_says_so(self):
        s, _ = draw(os.path.join(ROOT, "examples", "pipeline", "system.xml"))
        self.assertIn("No plan switch starts here: no subject of this plan may send one.",
                      texts(ET.fromstring(s)))

    # ---- flows ----
    def lifelines(self):
        """Subject (or 'kernel') -> x of its column."""
        out = {}
        for g in groups(self.flows, "subject") + groups(self.flows, "kernel"):
            name = "".join(g.find("s:text", NS).itertext())
            rect = g.find("s:rect", NS)
            out[name] = float(rect.get("x")) + float(rect.get("width")) / 2
        return out

    def test_every_subject_is_a_box_with_its_resources(self):
        boxes = {"".join(g.find("s:text", NS).itertext()): texts(g)
                 for g in groups(self.flows, "subject")}
        self.assertEqual(list(boxes), ["producer", "filter", "logger", "control"])
        self.assertIn("CPU 0, on fault: restart", boxes["producer"])
        self.assertIn("timer tick", boxes["producer"])
        self.assertIn("irq uart_rx (line 4)", boxes["logger"])

    def test_kernel_actions_are_listed_in_the_senders_box(self):
        boxes = {"".join(g.find("s:text", NS).itertext()): texts(g)
                 for g in groups(self.flows, "subject")}
        self.assertIn("may poweroff (event shutdown)", boxes["control"])
        self.assertIn("may restart filter (event revive)", boxes["control"])
        self.assertIn("may switch to plan safe (event degraded)", boxes["control"])
        self.assertIn("may unmask irq uart_rx (line 4) (event rx_done)", boxes["logger"])
        for who in ("producer", "filter"):
            self.assertFalse([t for t in boxes[who] if t.startswith("may ")], who)

    def arrows(self, cls):
        """(title, label, [(x1, x2, marker)]) per row of class cls."""
        out = []
        for g in groups(self.flows, cls):
            lines = [(float(l.get("x1")), float(l.get("x2")), l.get("marker-end"))
                     for l in g.findall("s:line", NS)]
            out.append((title(g), "".join(g.find("s:text", NS).itertext()), lines))
        return out

    def test_channels_point_from_the_writer_to_each_reader(self):
        x = self.lifelines()
        rows = self.arrows("channel")
        self.assertEqual([r[1] for r in rows],
                         ["channel samples (16K, 64-byte elements): producer -> filter, logger",
                          "channel log (8K, 128-byte elements): filter -> logger"])
        samples = rows[0][2]
        self.assertEqual(sorted(x2 for _, x2, _ in samples), sorted([x["filter"], x["logger"]]))
        for x1, _, marker in samples:
            self.assertEqual(x1, x["producer"])
            self.assertEqual(marker, "url(#arrow-channel)")
        self.assertEqual(rows[1][2], [(x["filter"], x["logger"], "url(#arrow-channel)")])

    def test_notify_events_point_from_sender_to_receiver(self):
        x = self.lifelines()
        rows = self.arrows("event")
        self.assertEqual([(r[1], r[2]) for r in rows], [
            ("event samples_ready: producer -> filter",
             [(x["producer"], x["filter"], "url(#arrow-event)")]),
            ("event flush: filter -> logger", [(x["filter"], x["logger"], "url(#arrow-event)")]),
        ])

    def test_restart_and_stop_point_at_the_subject_they_act_on(self):
        x = self.lifelines()
        rows = self.arrows("action")
        self.assertEqual([(r[1], r[2]) for r in rows], [
            ("restart filter (event revive)", [(x["control"], x["filter"], "url(#arrow-action)")])])

    def test_kernel_log_channels_start_at_the_kernel(self):
        _, f = draw(os.path.join(ROOT, "examples", "pipeline", "system.xml"))
        root = ET.fromstring(f)
        kernel = groups(root, "kernel")
        self.assertEqual(len(kernel), 1)
        k = kernel[0].find("s:rect", NS)
        kx = float(k.get("x")) + float(k.get("width")) / 2
        rows = [g for g in groups(root, "channel") if "kernel.cpu0.log" in title(g)]
        self.assertEqual(len(rows), 1)
        self.assertEqual(float(rows[0].find("s:line", NS).get("x1")), kx)
        # The pipeline has no kernel-log-less variant here: a policy without <kernel-log>
        # has no kernel column.
        self.assertEqual(groups(self.flows, "kernel"), [])

    def test_vm_subjects_draw_and_their_consoles_start_at_the_kernel(self):
        s, f = draw(os.path.join(ROOT, "policy", "tests", "good", "vm.xml"))
        ET.fromstring(s)
        root = ET.fromstring(f)
        boxes = ["".join(g.find("s:text", NS).itertext()) for g in groups(root, "subject")]
        self.assertEqual(boxes, ["log-server", "linux", "tiny", "control"])
        linux = [texts(g) for g in groups(root, "subject")][1]
        self.assertIn("VM (Linux), guest RAM 64M", linux)
        kernel = groups(root, "kernel")
        self.assertEqual(len(kernel), 1)
        k = kernel[0].find("s:rect", NS)
        kx = float(k.get("x")) + float(k.get("width")) / 2
        for name in ("linux.log", "tiny.log"):
            rows = [g for g in groups(root, "channel") if name in (title(g) or "")]
            self.assertEqual(len(rows), 1, name)
            self.assertEqual(float(rows[0].find("s:line", NS).get("x1")), kx)

    def test_no_arrow_row_shares_a_line_with_another(self):
        ys = []
        for cls in ("channel", "event", "action"):
            for g in groups(self.flows, cls):
                ys.append(float(g.find("s:line", NS).get("y1")))
        self.assertEqual(len(ys), len(set(ys)))

    # ---- properties of the command ----
    def test_the_same_policy_gives_the_same_bytes(self):
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "system.xml")
            shutil.copy(self.good, copy)
            s, f = draw("system.xml", cwd=tmp)
        self.assertEqual(s, self.sched_bytes)
        self.assertEqual(f, self.flows_bytes)
        s, f = draw(self.good)
        self.assertEqual((s, f), (self.sched_bytes, self.flows_bytes))

    def test_drawing_needs_no_subject_image(self):
        # The copy above sits in a folder without good.elf; check says so, draw does not care.
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, "system.xml")
            shutil.copy(self.good, copy)
            r = subprocess.run([POLC, "check", copy], capture_output=True, text=True)
            self.assertEqual(r.returncode, 1, r.stderr)
            draw(copy)

    def test_a_policy_with_errors_is_not_drawn(self):
        bad = os.path.join(ROOT, "policy", "tests", "bad", "channel_reader_is_writer.xml")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "s.svg")
            r = subprocess.run([POLC, "draw", bad, "--schedule", out], capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 1)
            self.assertIn("is also its writer", r.stderr)
            self.assertFalse(os.path.exists(out))

    def test_image_folders_are_accepted_and_change_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "s.svg")
            for extra in (["-I", tmp], ["-I" + tmp]):
                r = subprocess.run([POLC, "draw", self.good] + extra + ["--schedule", out],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(out, "rb") as f:
                    self.assertEqual(f.read(), self.sched_bytes)

    def test_usage_errors(self):
        for args in ([self.good], ["--schedule"], [self.good, "--bogus", "x"],
                     [self.good, "--schedule", "x.svg", "-I"]):
            r = subprocess.run([POLC, "draw"] + args, capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn("moat-polc", r.stderr)


if __name__ == "__main__":
    POLC = os.path.abspath(sys.argv[1])
    ROOT = os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v"])
