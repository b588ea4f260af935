/**
 * `verify` through the cluster-access function prints the access-entry half of the answer: the mode, the
 * trail, the filed record, the creator's way in, the blind spots; and exits 2 on an access-entry blind spot
 * even when aws-auth is in sync.
 */
import { describe, expect, it } from "vitest";
import { verifyCommand } from "../../bin/commands/verify.js";
import { recordingIo } from "./io.js";

const CREATOR = "arn:aws:iam::111122223333:role/ClusterCreator";

function answer(accessEntries: Record<string, unknown> | undefined) {
  return {
    operation: "verify",
    cluster: "prod",
    outcome: "in-sync",
    blindSpot: false,
    alerted: false,
    detail: "the live aws-auth is the latest record",
    warnings: [],
    access: { endpoint: "https://x", authenticationMode: "API_AND_CONFIG_MAP", auditLoggingEnabled: true },
    ...(accessEntries ? { accessEntries } : {}),
  };
}

async function verify(accessEntries: Record<string, unknown> | undefined) {
  const recorded = recordingIo();
  const asked: unknown[] = [];
  const code = await verifyCommand({
    args: [],
    options: { cluster: "prod", function: "cluster-access" },
    io: recorded.io,
    deps: {
      invoke: async (event) => {
        asked.push(event);
        return answer(accessEntries);
      },
    },
  });
  return { code, out: recorded.out(), asked };
}

describe("verify with access entries", () => {
  it("says aloud that no trail records management events, names the creator, and exits 2", async () => {
    // Act
    const { code, out, asked } = await verify({
      cluster: "prod",
      facts: {
        cluster: "prod",
        at: "2026-12-05T12:00:00.000Z",
        authenticationMode: "API_AND_CONFIG_MAP",
        creator: CREATOR,
        creatorSource: "cloudtrail",
        trail: "none",
      },
      problems: ["No CloudTrail trail records management events in this region: …"],
      blindSpot: true,
      alerted: false,
    });

    // Assess
    expect(asked).toEqual([{ action: "verify", cluster: "prod" }]);
    expect(code).toBe(2);
    expect(out.split("\n")).toEqual([
      "Cluster prod: in-sync: the live aws-auth is the latest record",
      "Access entries: mode API_AND_CONFIG_MAP; NO trail records management events (blind to access-entry calls)",
      `Way in of last resort: the cluster creator ${CREATOR} (implicit admin in mode CONFIG_MAP; in the other modes, admin through its bootstrapped access entry while it has one) (found from CreateCluster in CloudTrail)`,
      "BLIND SPOT: No CloudTrail trail records management events in this region: …",
      "",
    ]);
  });

  it("exits 0 when aws-auth and the access entries are both in sync, and without an access answer", async () => {
    // Act
    const clean = await verify({
      cluster: "prod",
      facts: {
        cluster: "prod",
        at: "2026-12-05T12:00:00.000Z",
        authenticationMode: "API",
        trail: "recording",
      },
      problems: [],
      blindSpot: false,
      alerted: false,
      recordId: "20261205T120000000Z-capture",
    });
    const without = await verify(undefined);

    // Assess
    expect(clean.code).toBe(0);
    expect(clean.out).toContain(
      "Access entries: mode API; a trail records management events; filed 20261205T120000000Z-capture",
    );
    expect(clean.out).toContain("Cluster creator: unknown");
    expect(without.code).toBe(0);
    expect(without.out).toBe("Cluster prod: in-sync: the live aws-auth is the latest record\n");
  });
});
