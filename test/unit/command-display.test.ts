// D35's display text and D37's bounded report: pure, no files.
import { describe, expect, test } from "bun:test";
import { displayCommand } from "../../src/commands/command-display.ts";
import { removalReport } from "../../src/commands/removal-report.ts";

describe("displayCommand (D35)", () => {
  test("a shell string as given; argv words quoted only where a shell would need it", () => {
    expect(displayCommand(["make && ls"], [])).toEqual({ command: "make && ls", truncated: false });
    expect(displayCommand(["ls", "-la", "a b", "it's", "", "x=1"], [])).toEqual({
      command: `ls -la 'a b' 'it'\\''s' '' x=1`,
      truncated: false,
    });
  });
  test("masked values become ***, the longer of two overlapping ones first; empty values are no secret", () => {
    const secrets = ["ab", "xaby"];
    expect(displayCommand(["echo", "xaby", "ab", "plain"], secrets).command).toBe("echo *** *** plain");
  });
  test("at most 200 characters, counted as code points, the last one an ellipsis", () => {
    const d = displayCommand([`echo ${"😀".repeat(300)}`], []);
    expect({ n: Array.from(d.command).length, last: d.command.at(-1), truncated: d.truncated }).toEqual({
      n: 200,
      last: "…",
      truncated: true,
    });
    expect(displayCommand(["x".repeat(200)], []).truncated).toBe(false);
  });
});

describe("removalReport (D37)", () => {
  const e = (id: string, action: "deleted" | "would_delete" | "skipped") => ({ job_id: id, action });
  test("counts every action, lists deleted first in their order, cuts at the limit, 0 = all", () => {
    const all = [e("a", "skipped"), e("b", "deleted"), e("c", "skipped"), e("d", "deleted")];
    expect(removalReport(all, 3, 2)).toEqual({
      deleted: 2,
      would_delete: 0,
      skipped: 4,
      jobs: [e("b", "deleted"), e("d", "deleted"), e("a", "skipped")],
      truncated: true,
    });
    expect(removalReport(all, 0).jobs.map((j) => j.job_id)).toEqual(["b", "d", "a", "c"]);
    expect(removalReport(all, 4).truncated).toBe(false);
  });
});
