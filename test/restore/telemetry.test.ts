import { afterEach, describe, expect, it, vi } from "vitest";

describe("recordVerifyDrift", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it("prints the EMF record the stack's VerifyDriftAlarm queries (AwsAuthGuardian/VerifyDrift, per cluster)", async () => {
    // Prepare: vitest.config.ts disables metrics for the other tests; this one needs them on.
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
    vi.resetModules();
    const { recordVerifyDrift } = await import("../../lambda/restore/telemetry.js");
    const written: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });

    // Act
    recordVerifyDrift("prod", true);
    recordVerifyDrift("prod", false);

    // Assess
    const records = written.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          { Namespace: "AwsAuthGuardian", Metrics: [{ Name: "VerifyDrift", Unit: "Count" }] },
        ],
      },
      cluster: "prod",
      VerifyDrift: 1,
    });
    expect(records[1]).toMatchObject({ VerifyDrift: 0 });
  });
});
