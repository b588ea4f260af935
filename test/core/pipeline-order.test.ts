/**
 * A write that arrives late (after writes with a higher resourceVersion) lands in its place, and the
 * history after it is judged again: a verdict that gets worse is rewritten and alerted once, with a
 * `found-late` finding that says which earlier write it now follows; the pointers move to where the
 * judged history puts them, backwards if need be.
 */
import { describe, expect, it } from "vitest";
import { judgeSequence } from "../../lambda/core/judge.js";
import { processWrite } from "../../lambda/core/pipeline.js";
import { makePolicy } from "../../lambda/core/policy.js";
import { contentVersionId, eventKeyOf, type VersionRecord } from "../../lambda/core/records.js";
import type { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import { CLUSTER_ACCOUNT, LAB_FILES, labEvent, labLines, writeOf } from "../support/events.js";
import { pipelineRig } from "../support/memory-store.js";

const CLUSTER = "demo";
const POLICY = makePolicy({ clusterAccount: CLUSTER_ACCOUNT });

const rig = pipelineRig;

const routine = () => writeOf(labEvent(LAB_FILES.ssoEditPatch, "patch"));
const escalation = () => writeOf(labEvent(LAB_FILES.escalationPatch, "patch"));
const deletion = () => writeOf(labEvent(LAB_FILES.delete, "delete"));

async function records(store: SnapshotStore): Promise<VersionRecord[]> {
  const ids = await store.listIds(CLUSTER);
  return (await store.readRecords(CLUSTER, ids)).map((r) => r.record);
}

function emailOf(alert: { email: string } | undefined): string {
  return alert?.email ?? "";
}

describe("a late write re-judges the history after it", () => {
  it("an escalation filed first is found dangerous once the write before it arrives; one found-late alert", async () => {
    // Prepare: the escalation (rv 208) arrives alone and is judged as the first version known.
    const { deps, store, notifier } = rig();
    const first = await processWrite(deps, CLUSTER, escalation());
    const escalationId = contentVersionId(escalation().stored as never);
    expect(first.recordId).toBe(escalationId);
    const judgedFirst = (await store.getRecord(CLUSTER, escalationId))?.class;
    const alertsBefore = notifier.sent.length;

    // Act: the routine edit it followed (rv 206) arrives, then again (a redelivery).
    const late = await processWrite(deps, CLUSTER, routine());
    const again = await processWrite(deps, CLUSTER, routine());

    // Assess
    const routineId = contentVersionId(routine().stored as never);
    const rejudged = await store.getRecord(CLUSTER, escalationId);
    expect(late.late).toBe(true);
    expect(late.foundLate).toEqual(judgedFirst === "dangerous" ? [] : [escalationId]);
    expect(rejudged?.class).toBe("dangerous");
    expect(rejudged?.predecessorId).toBe(routineId);
    expect(rejudged?.findings.map((f) => f.id)).not.toContain("found-late");
    expect((await store.getPointer(CLUSTER, "last-good"))?.id).toBe(routineId);
    expect((await store.getPointer(CLUSTER, "latest"))?.id).toBe(escalationId);
    const foundLate = notifier.sent.slice(alertsBefore).filter((a) => emailOf(a).includes("found-late"));
    expect(foundLate).toHaveLength(judgedFirst === "dangerous" ? 0 : 1);
    expect(emailOf(foundLate[0])).toContain(routineId);
    expect(again.duplicate).toBe(true);
    expect(again.foundLate).toEqual([]);
    // What is stored is exactly what judging the whole history from scratch gives.
    expect(await records(store)).toEqual(judgeSequence(await records(store), POLICY));
  });

  it("a version judged good turns not-good when the escalation before it is found late; last-good moves back", async () => {
    // Prepare: a later version (rv 209) that keeps the escalated role arrives first and is judged
    // as the first version known (good); then the escalation (208) it follows.
    const { deps, store, notifier } = rig();
    const keepsEscalation = escalation();
    const stored = structuredClone(keepsEscalation.stored);
    if (!stored) throw new Error("fixture has content");
    stored.metadata.resourceVersion = "209";
    const after = {
      ...keepsEscalation,
      auditID: "later-edit",
      time: "2026-11-22T13:05:00.000000Z",
      resourceVersion: "209",
      stored: { ...stored, data: { ...stored.data, mapUsers: "[]\n" } },
    };
    const afterId = contentVersionId(after.stored);
    await processWrite(deps, CLUSTER, after);
    await processWrite(deps, CLUSTER, escalation());
    const judgedGood = (await store.getPointer(CLUSTER, "last-good"))?.id;

    // Act: the routine edit (206) before the escalation arrives last.
    const sentBefore = notifier.sent.length;
    const late = await processWrite(deps, CLUSTER, routine());

    // Assess
    const routineId = contentVersionId(routine().stored as never);
    const rejudged = await store.getRecord(CLUSTER, afterId);
    expect(judgedGood).not.toBe(routineId);
    expect(rejudged?.good).toBe(false);
    expect((await store.getPointer(CLUSTER, "last-good"))?.id).toBe(routineId);
    expect(late.foundLate).toContain(afterId);
    const lateAlerts = notifier.sent.slice(sentBefore).filter((a) => a.email.includes("found-late"));
    const aboutAfter = lateAlerts.filter((a) => a.email.includes(`Found late`) && a.email.includes(afterId));
    expect(aboutAfter.length).toBeGreaterThanOrEqual(1);
    expect(aboutAfter[0]?.email).toContain(`--to ${routineId}`);
  });

  it("a deletion filed before the version it deleted moves after it, and its alert names the version before the escalation", async () => {
    // Prepare
    const { deps, store, notifier } = rig();
    await processWrite(deps, CLUSTER, routine());

    // Act: the deletion arrives, then the escalation it deleted.
    const deleted = await processWrite(deps, CLUSTER, deletion());
    await processWrite(deps, CLUSTER, escalation());

    // Assess
    const ids = await store.listIds(CLUSTER);
    const escalationId = contentVersionId(escalation().stored as never);
    const routineId = contentVersionId(routine().stored as never);
    expect(ids).toHaveLength(3);
    expect(ids[2]).toMatch(new RegExp(`^${escalationId}~\\d{23}~deleted-${eventKeyOf(deletion())}$`));
    expect(ids).not.toContain(deleted.recordId);
    expect((await store.getPointer(CLUSTER, "latest"))?.id).toBe(ids[2]);
    expect((await store.getPointer(CLUSTER, "last-good"))?.id).toBe(routineId);
    expect((await store.getRecord(CLUSTER, ids[2] as string))?.predecessorId).toBe(escalationId);
    // The deletion was alerted when it arrived; the escalation's own alert gives the right target.
    const escalationAlert = notifier.sent.find((a) => a.subject.includes("system:masters"));
    expect(escalationAlert?.email).toContain(`--to ${routineId}`);
  });

  it("a second write of the same content (same uid, resourceVersion and data) is an attempt, whichever came first", async () => {
    // Prepare: the recorded edit, and an identical PUT that kept its resourceVersion, a second later.
    const original = routine();
    const repeat = {
      ...routine(),
      auditID: "identical-put",
      verb: "update" as const,
      time: "2026-11-22T13:04:01.000000Z",
    };
    const inOrder = rig();
    const reversed = rig();

    // Act
    await processWrite(inOrder.deps, CLUSTER, original);
    await processWrite(inOrder.deps, CLUSTER, repeat);
    await processWrite(reversed.deps, CLUSTER, repeat);
    await processWrite(reversed.deps, CLUSTER, original);

    // Assess
    expect(await records(reversed.store)).toEqual(await records(inOrder.store));
    const [only] = await records(inOrder.store);
    expect(only?.audit?.auditID).toBe(original.auditID);
    for (const rig of [inOrder, reversed]) {
      const attempts = [...rig.blobs.objects.keys()].filter((k) => k.includes("/attempts/"));
      expect(attempts).toEqual([`clusters/${CLUSTER}/attempts/${eventKeyOf(repeat)}.json`]);
    }
  });

  it("concurrent deliveries (interleaved at every store call) settle on the in-order history", async () => {
    // Prepare
    const writes = Object.values(LAB_FILES).flatMap((f) =>
      labLines(f)
        .map((line) => JSON.parse(line))
        .filter((e) => e.verb !== "get")
        .map((e) => writeOf(e)),
    );
    const inOrder = rig();
    for (const write of writes) await processWrite(inOrder.deps, CLUSTER, write);
    const together = rig();

    // Act: every write at once, newest first, each twice.
    await Promise.all(
      [...writes, ...writes].reverse().map((write) => processWrite(together.deps, CLUSTER, write)),
    );

    // Assess
    expect(await records(together.store)).toEqual(await records(inOrder.store));
    for (const name of ["latest", "last-good"] as const) {
      expect(await together.store.getPointer(CLUSTER, name)).toEqual(
        await inOrder.store.getPointer(CLUSTER, name),
      );
    }
  });
});
