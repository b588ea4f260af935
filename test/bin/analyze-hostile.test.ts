/**
 * `analyze` on hostile input (issue 8, "blinding"), in-process through the CLI's `main`: a bad line
 * is counted and reported and the rest goes on, whatever the number of bad lines.
 */
import { describe, expect, it } from "vitest";
import { LAB_FILES, labEvent } from "../support/events.js";
import { runCli } from "./io.js";

const ESCALATION = labEvent(LAB_FILES.escalationPatch, "patch");
const FORBIDDEN = labEvent(LAB_FILES.forbiddenPatch, "patch");

async function analyze(
  input: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string[] }> {
  const { code, out, err } = await runCli(["analyze", "-", "--format", "json", ...args], { stdin: input });
  return { code, out, err: err.split("\n").filter(Boolean) };
}

describe("analyze on hostile input", () => {
  it("counts and reports each of 150,000 unusable lines (more than a call takes arguments) and judges the write after them", async () => {
    // Prepare
    const bad = Array.from({ length: 150_000 }, (_, i) => (i % 2 ? "{" : `{"auditID":${i},"verb":"patch"}`));
    // Act
    const { code, out, err } = await analyze([...bad, JSON.stringify(ESCALATION)].join("\n"));
    // Assess
    expect(code).toBe(0);
    expect(err.filter((l) => l.startsWith("warning: stdin:"))).toHaveLength(150_000);
    expect(err.some((l) => l.startsWith("error:"))).toBe(false);
    expect(JSON.parse(out.trim()).auditID).toBe(ESCALATION.auditID);
  });

  it("does not stop at a malformed %-escape: the line is judged and the next one too", async () => {
    const hostile = {
      ...FORBIDDEN,
      requestURI: `${FORBIDDEN.requestURI.split("?")[0]}?fieldManager=%E0%A4%A`,
    };
    const { code, out, err } = await analyze(`${JSON.stringify(hostile)}\n${JSON.stringify(ESCALATION)}\n`);
    expect(code).toBe(0);
    expect(err.filter((l) => !l.startsWith("read "))).toEqual([]);
    const lines = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    // Printed in history order: the escalation (13:04:04) before the refused patch (13:04:50).
    expect(lines.map((l) => [l.auditID, l.class])).toEqual([
      [ESCALATION.auditID, expect.any(String)],
      [FORBIDDEN.auditID, "rejected"],
    ]);
  });

  it("reports a line nested 10,000 deep and a numeric resourceVersion, and goes on", async () => {
    const numeric = structuredClone(ESCALATION) as typeof ESCALATION & {
      responseObject: { metadata: Record<string, unknown> };
    };
    numeric.responseObject.metadata.resourceVersion = 208;
    const input = [
      `${"[".repeat(10_000)}${"]".repeat(10_000)}`,
      JSON.stringify(numeric),
      JSON.stringify(FORBIDDEN),
    ].join("\n");
    const { code, out, err } = await analyze(input);
    expect(code).toBe(0);
    expect(err).toHaveLength(3);
    expect(err[2]).toMatch(/^read \d+ audit events? from 1 input: /);
    expect(err[0]).toMatch(/^warning: stdin:1/);
    expect(err[1]).toMatch(
      /^warning: stdin:2: .*responseObject\.metadata\.resourceVersion: expected string, got number/,
    );
    expect(
      out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).class),
    ).toEqual(["unverified", "rejected"]);
  });
});
