import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { decode, formatPath, problemText } from "../../lambda/core/decode.js";

const Event = z.object({
  auditID: z.string(),
  user: z.optional(z.object({ groups: z.optional(z.array(z.string())) })),
  labels: z.optional(z.record(z.string(), z.string())),
});

describe("decode", () => {
  it("returns the typed value when the input conforms", () => {
    // Act
    const decoded = decode(Event, { auditID: "a", user: { groups: ["x"] }, extra: 1 });
    // Assess
    expect(decoded).toEqual({ ok: true, value: { auditID: "a", user: { groups: ["x"] } } });
  });

  it("fails with the path and what was found instead of throwing", () => {
    const decoded = decode(Event, { auditID: "a", user: { groups: ["x", 7] } }, "event");
    expect(decoded).toEqual({
      ok: false,
      problem: { path: "event.user.groups[1]", message: "expected string, got number" },
    });
    if (!decoded.ok)
      expect(problemText(decoded.problem)).toBe("event.user.groups[1]: expected string, got number");
  });

  it("fails on a missing field and counts the other issues", () => {
    const decoded = decode(Event, { user: { groups: [1, 2] } });
    expect(decoded.ok).toBe(false);
    if (!decoded.ok)
      expect(decoded.problem).toEqual({ path: "auditID", message: "missing string (and 2 more)" });
  });

  it("quotes and shortens keys chosen by the input", () => {
    const key = `evil\n${"k".repeat(100)}`;
    const decoded = decode(Event, { auditID: "a", labels: { [key]: 5 } });
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.problem.path).toBe(`labels[${JSON.stringify(`${key.slice(0, 40)}…`)}]`);
      expect(decoded.problem.path).not.toContain("\n");
    }
  });

  it("fails on values nested 10,000 deep without recursing into them", () => {
    const deep = JSON.parse(`{"auditID":"a","labels":{"x":${"[".repeat(10_000)}${"]".repeat(10_000)}}}`);
    const decoded = decode(Event, deep);
    expect(decoded).toEqual({
      ok: false,
      problem: { path: "labels.x", message: "expected string, got array" },
    });
  });

  it("neither follows nor installs prototype keys", () => {
    const decoded = decode(Event, JSON.parse('{"auditID":"a","__proto__":{"auditID":7},"constructor":{}}'));
    expect(decoded.ok).toBe(true);
    expect(({} as Record<string, unknown>).auditID).toBeUndefined();
  });

  it("reports a schema that throws as a problem", () => {
    const Throwing = z.string().check(() => {
      throw new RangeError("Maximum call stack size exceeded");
    });
    expect(decode(Throwing, "x", "field")).toEqual({
      ok: false,
      problem: { path: "field", message: "could not be validated: Maximum call stack size exceeded" },
    });
  });

  it("formats paths", () => {
    expect(formatPath([])).toBe("");
    expect(formatPath([0, "a"], "items")).toBe("items[0].a");
    expect(formatPath(["a.b/c"])).toBe('["a.b/c"]');
    expect(formatPath(Array.from({ length: 20 }, () => 0))).toBe(`${"[0]".repeat(12)}…`);
  });
});
