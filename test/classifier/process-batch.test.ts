/**
 * Per-event isolation in one CloudWatch Logs delivery (issue 8, "blinding"): nothing one event
 * contains fails the delivery or costs another event its judgement; only the store, the notifier
 * or Lambda fail it. Real snapshot store (in memory, with S3's key rules), recording notifier,
 * recorded events.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { describe, expect, it } from "vitest";
import {
  type BatchDeps,
  DependencyError,
  guardBlobStore,
  guardNotifier,
  processLogsEvent,
} from "../../lambda/classifier/process-batch.js";
import { makePolicy } from "../../lambda/core/policy.js";
import type { BlobStore } from "../../lambda/core/ports.js";
import { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import { ACCOUNT, awslogsEvent } from "../fuzz/fuzzer.js";
import { MemoryBlobStore, RecordingNotifier } from "../fuzz/memory-store.js";
import { type AuditEventJson, LAB_FILES, labEvent, labLines } from "../support/events.js";

const ESCALATION = labEvent(LAB_FILES.escalationPatch, "patch");
const FORBIDDEN = labEvent(LAB_FILES.forbiddenPatch, "patch");
const HISTORY = [
  labEvent(LAB_FILES.nodeManagerUpdate, "update"),
  labEvent(LAB_FILES.fargateManagerUpdate, "update"),
  labEvent(LAB_FILES.terraformJsonPatch, "patch"),
  labEvent(LAB_FILES.ssoEditPatch, "patch"),
];

function deps(blobs: BlobStore, notifier = new RecordingNotifier()): BatchDeps {
  return {
    pipeline: {
      store: new SnapshotStore(guardBlobStore(blobs)),
      notifier: guardNotifier(notifier),
      policy: makePolicy({ clusterAccount: ACCOUNT }),
      now: () => new Date("2026-11-22T13:05:00Z"),
    },
    logger: new Logger({ serviceName: "test", logLevel: "SILENT" }),
    metrics: new Metrics({ namespace: "Test", serviceName: "test" }),
  };
}

/** A store that already holds the recorded history before the escalation. */
async function storeWithHistory(): Promise<MemoryBlobStore> {
  const blobs = new MemoryBlobStore();
  await processLogsEvent(awslogsEvent(HISTORY.map((e) => JSON.stringify(e))), deps(blobs));
  return blobs;
}

function line(event: unknown): string {
  return JSON.stringify(event);
}

describe("one delivery holding a hostile event and a real escalation", () => {
  it("a read-only user's 403 PATCH with a malformed %-escape does not fail the delivery, and the escalation is judged dangerous and alerted", async () => {
    // Prepare
    const blobs = await storeWithHistory();
    const notifier = new RecordingNotifier();
    const hostile: AuditEventJson = {
      ...structuredClone(FORBIDDEN),
      requestURI: "/api/v1/namespaces/kube-system/configmaps/aws-auth?fieldManager=%E0%A4%A",
    };
    // Act
    const result = await processLogsEvent(
      awslogsEvent([line(hostile), line(ESCALATION)]),
      deps(blobs, notifier),
    );
    // Assess
    const escalation = result.processed.find((o) => o.auditID === ESCALATION.auditID);
    expect(escalation?.class).toBe("dangerous");
    expect(escalation?.alerted).toBe(true);
    expect(result.processed.find((o) => o.auditID === FORBIDDEN.auditID)?.class).toBe("rejected");
    expect(notifier.published.some((a) => a.attributes.class === "dangerous")).toBe(true);
  });

  it("a numeric resourceVersion does not drop the write: it is filed as content unknown, and the escalation is judged", async () => {
    const blobs = await storeWithHistory();
    const numeric = structuredClone(ESCALATION) as AuditEventJson & {
      responseObject: { metadata: Record<string, unknown> };
    };
    numeric.auditID = "numeric-resource-version";
    numeric.responseObject.metadata.resourceVersion = 207;
    const result = await processLogsEvent(awslogsEvent([line(numeric), line(ESCALATION)]), deps(blobs));
    expect(result.processed.find((o) => o.auditID === "numeric-resource-version")?.class).toMatch(
      /^(unverified|dangerous)$/,
    );
    expect(result.processed.find((o) => o.auditID === ESCALATION.auditID)?.class).toBe("dangerous");
    const records = [...blobs.objects.entries()].filter(([key]) => key.includes("/versions/"));
    const unverified = records.find(
      ([key, body]) => key.includes("unverified") && /"auditID": ?"numeric-resource-version"/.test(body),
    );
    expect(unverified?.[1]).toContain("responseObject.metadata.resourceVersion: expected string, got number");
  });

  it.each([
    ["an array nested 10,000 deep", `${"[".repeat(10_000)}${"]".repeat(10_000)}`],
    ["an object nested 10,000 deep", `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`],
    [
      "labels nested 10,000 deep",
      line({
        ...HISTORY[0],
        auditID: "deep-labels",
        responseObject: {
          ...(HISTORY[0]?.responseObject as object),
          metadata: { labels: "\u0000DEEP\u0000" },
        },
      }).replace('"\\u0000DEEP\\u0000"', () => `{"x":${"[".repeat(10_000)}${"]".repeat(10_000)}}`),
    ],
    ["a 2 MB userAgent", line({ ...FORBIDDEN, auditID: "huge", userAgent: "%".repeat(2_000_000) })],
    [
      "a prototype key",
      line({ ...FORBIDDEN, auditID: "proto" }).replace(
        '{"kind":"Event"',
        '{"__proto__":{"verb":"delete","auditID":"x"},"kind":"Event"',
      ),
    ],
    ["truncated mid-event", `${line({ ...FORBIDDEN, auditID: "cut" }).slice(0, 900)}[Truncated...]`],
  ])(
    "%s beside the escalation: the delivery succeeds, and every write in it is judged",
    async (_, hostile) => {
      const blobs = await storeWithHistory();
      const result = await processLogsEvent(awslogsEvent([hostile, line(ESCALATION)]), deps(blobs));
      expect(result.processed.find((o) => o.auditID === ESCALATION.auditID)?.class).toBe("dangerous");
      // The hostile event, when it is a write to aws-auth, is judged too, never dropped.
      const hostileID = ["deep-labels", "huge", "proto", "cut"].find((id) =>
        hostile.includes(`"auditID":"${id}"`),
      );
      if (hostileID) expect(result.processed.map((o) => o.auditID)).toContain(hostileID);
    },
  );

  it("a write whose judging throws is filed as content unknown instead of being lost", async () => {
    // Prepare: a store that refuses to file the version record of this one write with a plain
    // error (a fault tied to this event's content, not an outage), but takes everything else.
    const blobs = await storeWithHistory();
    const picky: BlobStore = {
      ...blobs,
      get: (key) => blobs.get(key),
      list: (prefix) => blobs.list(prefix),
      putIfMatch: (key, body, etag) => blobs.putIfMatch(key, body, etag),
      delete: (key) => blobs.delete(key),
      putIfAbsent: async (key, body) => {
        if (key.includes("/versions/") && !key.includes("unverified") && body.includes("contractor"))
          throw new TypeError("content the record writer cannot take");
        return blobs.putIfAbsent(key, body);
      },
      locate: (key) => blobs.locate(key),
    };
    const d = deps(blobs);
    d.pipeline.store = new SnapshotStore(picky);
    // Act
    const result = await processLogsEvent(awslogsEvent([line(ESCALATION)]), d);
    // Assess
    const outcome = result.processed.find((o) => o.auditID === ESCALATION.auditID);
    expect(outcome?.recordId).toContain("unverified");
    const record = [...blobs.objects.entries()].find(([key]) => key.includes("unverified"))?.[1] ?? "";
    expect(record).toContain("could not be judged (content the record writer cannot take)");
  });

  it("fails the delivery when the store fails, so that Lambda retries it", async () => {
    const blobs = await storeWithHistory();
    const down: BlobStore = {
      ...blobs,
      get: () => Promise.reject(new Error("503 Slow Down")),
      list: () => Promise.reject(new Error("503 Slow Down")),
      putIfAbsent: () => Promise.reject(new Error("503 Slow Down")),
      putIfMatch: () => Promise.reject(new Error("503 Slow Down")),
      delete: () => Promise.reject(new Error("503 Slow Down")),
      locate: (key) => key,
    };
    await expect(processLogsEvent(awslogsEvent([line(ESCALATION)]), deps(down))).rejects.toBeInstanceOf(
      DependencyError,
    );
  });

  it("reads the recorded incident unchanged", async () => {
    const blobs = new MemoryBlobStore();
    const lines = Object.values(LAB_FILES).flatMap((file) => labLines(file));
    const result = await processLogsEvent(awslogsEvent(lines), deps(blobs));
    expect(result.malformed).toBe(0);
    expect(result.processed.map((o) => o.class)).toContain("dangerous");
  });
});
