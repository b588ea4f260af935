/**
 * The fixed-seed fuzz pass run by `npm test` (issue 8): 10,000 mutated recordings through the
 * decoder, the classifier's delivery handling (real snapshot store, recording notifier) and
 * `analyze`. Zero errors may escape, zero deliveries may fail by event content, no write may be
 * dropped. `npm run fuzz -- --seed N --count N` runs longer with other seeds.
 */
import { describe, expect, it } from "vitest";
import { formatReport, fuzz } from "./fuzzer.js";

describe("fuzz", () => {
  it("10,000 mutated recordings: nothing escapes, no delivery fails, no write is dropped", async () => {
    // Act
    const report = await fuzz({ seed: 20261122, count: 10_000 });
    // Assess
    expect(report.inputs).toBe(10_000);
    expect(report.byTarget.pipeline).toBeGreaterThan(2000);
    expect(report.byTarget.cli).toBeGreaterThan(2000);
    expect(report.failures, formatReport(report)).toEqual([]);
  }, 600_000);
});
