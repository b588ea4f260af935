/**
 * What the guardian keys its records and alerts on. The auditID comes from the client's `Audit-ID`
 * header: whoever writes aws-auth chooses it. A replayed auditID, or one that is a suffix or prefix of
 * another, must never make a write look like one already filed.
 */
import { describe, expect, it } from "vitest";
import { Analyzer } from "../../lambda/core/analyze.js";
import { type PipelineDeps, processCapture, processWrite } from "../../lambda/core/pipeline.js";
import {
  asConfigMapObject,
  CLUSTER_ACCOUNT,
  configMapWith,
  goodData,
  jsonl,
  LAB_FILES,
  labEvent,
  writeOf,
} from "../support/events.js";
import { type MemoryBlobStore, pipelineRig } from "../support/memory-store.js";

const CLUSTER = "demo";

const rig = pipelineRig;

/** The recorded routine edit (rv 206) and the recorded escalation (rv 208), the latter re-labelled. */
function routineAndEscalation(escalationAuditID: (routine: string) => string) {
  const routine = labEvent(LAB_FILES.ssoEditPatch, "patch");
  const escalation = labEvent(LAB_FILES.escalationPatch, "patch");
  escalation.auditID = escalationAuditID(routine.auditID);
  return { routine, escalation };
}

async function withBaseline(deps: PipelineDeps) {
  await processCapture(deps, CLUSTER, asConfigMapObject(configMapWith(goodData(), "204")), "baseline");
}

const REUSES: Array<[string, (routine: string) => string]> = [
  ["the same auditID", (a) => a],
  ["a suffix of it", (a) => a.slice(a.lastIndexOf("-") + 1)],
  ["a prefix of it", (a) => a.slice(0, 8)],
  ["an id that ends like a version id", (a) => `x-${a}`],
];

describe("a write whose auditID reuses another's is still filed and alerted (pipeline)", () => {
  for (const [name, reuse] of REUSES) {
    it(`escalation carrying ${name} of the routine write before it`, async () => {
      // Prepare
      const { deps, store, notifier } = rig();
      await withBaseline(deps);
      notifier.sent.length = 0;
      const { routine, escalation } = routineAndEscalation(reuse);

      // Act
      await processWrite(deps, CLUSTER, writeOf(routine));
      const outcome = await processWrite(deps, CLUSTER, writeOf(escalation));

      // Assess
      expect(outcome.class).toBe("dangerous");
      expect(outcome.duplicate).toBe(false);
      const records = await Promise.all(
        (await store.listIds(CLUSTER)).map((id) => store.getRecord(CLUSTER, id)),
      );
      expect(records.map((r) => [r?.resourceVersion, r?.class])).toEqual([
        ["204", "routine"],
        ["206", "routine"],
        ["208", "dangerous"],
      ]);
      expect(records[2]?.audit?.auditID).toBe(escalation.auditID);
      expect(notifier.sent.map((a) => a.attributes.class)).toEqual(["routine", "dangerous"]);
    });
  }

  it("the same event delivered twice is one record and one alert", async () => {
    const { deps, store, notifier } = rig();
    await withBaseline(deps);
    notifier.sent.length = 0;
    const escalation = labEvent(LAB_FILES.escalationPatch, "patch");

    await processWrite(deps, CLUSTER, writeOf(escalation));
    const again = await processWrite(deps, CLUSTER, writeOf(escalation));

    expect(again.duplicate).toBe(true);
    expect(await store.listIds(CLUSTER)).toHaveLength(2);
    expect(notifier.sent).toHaveLength(1);
  });

  it("a refused write that reuses the auditID of an earlier refused one is alerted too", async () => {
    const { deps, notifier } = rig();
    await withBaseline(deps);
    notifier.sent.length = 0;
    const first = labEvent(LAB_FILES.forbiddenPatch, "patch");
    const second = labEvent(LAB_FILES.forbiddenPatch, "patch");
    second.stageTimestamp = "2026-11-22T13:09:50.624391Z";
    second.sourceIPs = ["10.1.2.3"];

    await processWrite(deps, CLUSTER, writeOf(first));
    await processWrite(deps, CLUSTER, writeOf(second));

    // A 403 is medium severity: it alerts only with a severity threshold; count the attempts filed.
    const { blobs } = rigOf(deps);
    expect([...blobs.objects.keys()].filter((k) => k.includes("/attempts/"))).toHaveLength(2);
  });
});

function rigOf(deps: PipelineDeps): { blobs: MemoryBlobStore } {
  return { blobs: deps.store.blobs as MemoryBlobStore };
}

describe("a write whose auditID reuses another's is still judged (analyze)", () => {
  for (const [name, reuse] of REUSES) {
    it(`escalation carrying ${name} of the routine write before it`, async () => {
      const { routine, escalation } = routineAndEscalation(reuse);
      const analyzer = new Analyzer({
        cluster: CLUSTER,
        policy: { clusterAccount: CLUSTER_ACCOUNT },
        baseline: asConfigMapObject(configMapWith(goodData(), "204")),
      });

      const writes = await analyzer.add(jsonl([routine, escalation]), "input.jsonl");

      expect(writes.map((w) => [w.processed.write.auditID, w.processed.classification.class])).toEqual([
        [routine.auditID, "routine"],
        [escalation.auditID, "dangerous"],
      ]);
      expect(analyzer.result.duplicates).toBe(0);
    });
  }
});
