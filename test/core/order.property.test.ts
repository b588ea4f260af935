/**
 * Order independence, as a seeded property (fast-check): the recorded incident (test/fixtures/audit/
 * lab, every aws-auth write of it) and the derived "Done when" sequence (audit/derived/classify, after
 * its baseline) are delivered to the pipeline in random orders, with random events delivered again at
 * random places. Whatever the order and the redeliveries, the store ends with exactly the records
 * (facts and verdicts), attempts, pointers and restore targets of the delivery in recorded order; and
 * what is stored is what `judgeSequence` gives for it, and what the store-free `Timeline` gives.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AwsAuthWrite } from "../../lambda/core/audit-event.js";
import { decodeAuditInput } from "../../lambda/core/audit-input.js";
import { judgeSequence, restoreTargetAt } from "../../lambda/core/judge.js";
import { MemoryBlobStore as AnalyzeBlobStore } from "../../lambda/core/memory-blob-store.js";
import { type PipelineDeps, processCapture, processWrite } from "../../lambda/core/pipeline.js";
import { makePolicy } from "../../lambda/core/policy.js";
import type { BlobStore, ConfigMapObject } from "../../lambda/core/ports.js";
import { contentVersionId, type VersionRecord } from "../../lambda/core/records.js";
import { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import { Timeline } from "../../lambda/core/timeline.js";
import { CLUSTER_ACCOUNT, LAB_FILES, labLines } from "../support/events.js";
import { MemoryBlobStore, RecordingNotifier } from "../support/memory-store.js";

const CLUSTER = "prod";
const POLICY = makePolicy({ clusterAccount: CLUSTER_ACCOUNT });
const SEED = 20261122;
const BASELINE_AT = "2026-11-22T13:59:00Z";

/** The aws-auth writes of a recording, in recorded order, decoded as the Lambda decodes them. */
function writesOf(text: string): AwsAuthWrite[] {
  return decodeAuditInput(text, "fixture").writes.map((w) => w.write);
}

const LAB_INCIDENT = writesOf(
  Object.values(LAB_FILES)
    .flatMap((f) => labLines(f))
    .join("\n"),
);
const CLASSIFY = new URL("../fixtures/audit/derived/classify/", import.meta.url);
const DONE_WHEN = writesOf(readFileSync(new URL("done-when.jsonl", CLASSIFY), "utf8"));
const DONE_WHEN_BASELINE = JSON.parse(
  readFileSync(new URL("baseline-rv204.json", CLASSIFY), "utf8"),
) as ConfigMapObject;

interface Outcome {
  records: VersionRecord[];
  attempts: Record<string, unknown>;
  pointers: Array<string | undefined>;
  restoreTargets: Array<string | null>;
  alerts: string[];
}

/**
 * The store a delivery files into: the test's plain fake, or analyze's own in-memory store, which
 * gives shared frozen records (judged again from memory, judge.ts `judgeRecordOnce`).
 */
type StoreKind = "plain" | "analyze";

function storeOf(kind: StoreKind): { blobs: BlobStore; store: SnapshotStore } {
  if (kind === "plain") {
    const blobs = new MemoryBlobStore();
    return { blobs, store: new SnapshotStore(blobs) };
  }
  const blobs = new AnalyzeBlobStore();
  return { blobs, store: new SnapshotStore(blobs, { shareRecords: true }) };
}

async function deliver(
  writes: readonly AwsAuthWrite[],
  baseline?: ConfigMapObject,
  kind: StoreKind = "plain",
): Promise<Outcome> {
  const { blobs, store } = storeOf(kind);
  const notifier = new RecordingNotifier();
  const deps: PipelineDeps = {
    store,
    notifier,
    policy: POLICY,
    now: () => new Date("2026-11-22T15:00:00Z"),
  };
  if (baseline) await processCapture(deps, CLUSTER, baseline, "baseline", { from: "file", at: BASELINE_AT });
  for (const write of writes) await processWrite(deps, CLUSTER, write);
  const records = (await deps.store.readRecords(CLUSTER, await deps.store.listIds(CLUSTER))).map(
    (r) => r.record,
  );
  const attempts: Record<string, unknown> = {};
  for (const key of await blobs.list(`clusters/${CLUSTER}/attempts/`)) {
    attempts[key] = JSON.parse((await blobs.get(key))?.body ?? "null");
  }
  return {
    records,
    attempts,
    pointers: [
      (await deps.store.getPointer(CLUSTER, "latest"))?.id,
      (await deps.store.getPointer(CLUSTER, "last-good"))?.id,
    ],
    restoreTargets: records.map((_, i) => restoreTargetAt(records, i)?.id ?? null),
    alerts: notifier.sent.map((a) => a.email),
  };
}

/** A delivery: every event once in a random order, plus some events again at random places. */
function deliveries(count: number) {
  const indices = Array.from({ length: count }, (_, i) => i);
  return fc
    .tuple(
      fc.shuffledSubarray(indices, { minLength: count, maxLength: count }),
      fc.array(fc.tuple(fc.nat({ max: count - 1 }), fc.nat()), { maxLength: 4 }),
    )
    .map(([order, repeats]) => {
      const sequence = [...order];
      for (const [which, at] of repeats) sequence.splice(at % (sequence.length + 1), 0, which);
      return sequence;
    });
}

const SEQUENCES: Array<[string, AwsAuthWrite[], ConfigMapObject | undefined]> = [
  ["the recorded incident (lab)", LAB_INCIDENT, undefined],
  ["the Done-when sequence after its baseline", DONE_WHEN, DONE_WHEN_BASELINE],
];

describe("every arrival order and every redelivery ends in the same history", () => {
  for (const [name, writes, baseline] of SEQUENCES) {
    it(`${name}: records, verdicts, attempts, pointers and restore targets`, async () => {
      // Prepare: the delivery in recorded order is the reference.
      const reference = await deliver(writes, baseline);
      expect(reference.records.length).toBeGreaterThan(3);
      expect(reference.records).toEqual(judgeSequence(reference.records, POLICY));

      // Act & Assess
      await fc.assert(
        fc.asyncProperty(deliveries(writes.length), async (order) => {
          const shuffled = await deliver(
            order.map((i) => writes[i] as AwsAuthWrite),
            baseline,
          );
          expect(shuffled.records).toEqual(reference.records);
          expect(shuffled.attempts).toEqual(reference.attempts);
          expect(shuffled.pointers).toEqual(reference.pointers);
          expect(shuffled.restoreTargets).toEqual(reference.restoreTargets);
        }),
        { seed: SEED, numRuns: 25 },
      );
    });
  }

  for (const [name, writes, baseline] of SEQUENCES) {
    it(`${name}: analyze's store (shared records, judged again from memory) files the same history`, async () => {
      // Prepare: the plain store, in recorded order, is the reference.
      const reference = await deliver(writes, baseline);

      // Act & Assess
      await fc.assert(
        fc.asyncProperty(deliveries(writes.length), async (order) => {
          const shuffled = await deliver(
            order.map((i) => writes[i] as AwsAuthWrite),
            baseline,
            "analyze",
          );
          expect(shuffled.records).toEqual(reference.records);
          expect(shuffled.attempts).toEqual(reference.attempts);
          expect(shuffled.pointers).toEqual(reference.pointers);
          expect(shuffled.restoreTargets).toEqual(reference.restoreTargets);
          expect(shuffled.alerts).toEqual(
            (
              await deliver(
                order.map((i) => writes[i] as AwsAuthWrite),
                baseline,
              )
            ).alerts,
          );
        }),
        { seed: SEED, numRuns: 15 },
      );
    });

    it(`${name}: in any order, the Timeline (a version that goes last judged on its own) holds what judging it all again gives`, () => {
      const timelineOf = (order: readonly number[]) => {
        const timeline = new Timeline(CLUSTER, POLICY);
        if (baseline) timeline.capture(baseline, "baseline", BASELINE_AT, "file");
        for (const i of order) timeline.process(writes[i] as AwsAuthWrite);
        return timeline.all();
      };
      const inOrder = timelineOf(writes.map((_, i) => i));
      expect(inOrder).toEqual(judgeSequence(inOrder, POLICY));
      fc.assert(
        fc.property(deliveries(writes.length), (order) => {
          const records = timelineOf(order);
          expect(records).toEqual(judgeSequence(records, POLICY));
          // And the same records as in recorded order: the earliest write owns a repeated version.
          expect(records).toEqual(inOrder);
        }),
        { seed: SEED, numRuns: 25 },
      );
    });
  }

  it("the store-free Timeline gives the records the pipeline files, in any order", () => {
    fc.assert(
      fc.property(deliveries(LAB_INCIDENT.length), (order) => {
        const timeline = new Timeline(CLUSTER, POLICY);
        for (const i of order) timeline.process(LAB_INCIDENT[i] as AwsAuthWrite);
        const inOrder = new Timeline(CLUSTER, POLICY);
        for (const write of LAB_INCIDENT) inOrder.process(write);
        expect(timeline.all()).toEqual(inOrder.all());
      }),
      { seed: SEED, numRuns: 25 },
    );
  });

  it("the pipeline's records equal the Timeline's for the recorded incident", async () => {
    const timeline = new Timeline(CLUSTER, POLICY);
    for (const write of LAB_INCIDENT) timeline.process(write);
    expect((await deliver(LAB_INCIDENT)).records).toEqual(timeline.all());
  });
});

describe("an escalation delivered before the write it follows, then the deletion", () => {
  const byVerb = (verb: string, needle?: string) =>
    LAB_INCIDENT.find(
      (w) => w.verb === verb && (needle === undefined || JSON.stringify(w.stored ?? {}).includes(needle)),
    ) as AwsAuthWrite;
  const escalation = byVerb("patch", "contractor-debug");
  const edit = LAB_INCIDENT.find((w) => w.resourceVersion === "206") as AwsAuthWrite;
  const deletion = byVerb("delete");

  it("is judged as in order; the deletion's alert names the version before the escalation", async () => {
    // Prepare: the escalation arrives first of all (nothing known before it), the edit it followed later.
    expect(escalation.resourceVersion).toBe("208");
    expect(edit.resourceVersion).toBe("206");
    const rest = LAB_INCIDENT.filter((w) => w !== escalation && w !== edit && w !== deletion);
    const order = [escalation, ...rest, edit, deletion];

    // Act
    const shuffled = await deliver(order);
    const reference = await deliver(LAB_INCIDENT);

    // Assess
    const editId = contentVersionId(edit.stored as ConfigMapObject);
    const escalationId = contentVersionId(escalation.stored as ConfigMapObject);
    expect(shuffled.records).toEqual(reference.records);
    expect(shuffled.pointers).toEqual([expect.stringMatching(/~deleted-/), editId]);
    const escalated = shuffled.records.find((r) => r.id === escalationId);
    expect(escalated?.class).toBe("dangerous");
    const deletionAlert = shuffled.alerts.find((a) => a.includes("aws-auth was deleted"));
    expect(deletionAlert).toContain(`aws-auth-guardian restore --cluster ${CLUSTER} --to ${editId}`);
    expect(deletionAlert).not.toContain(`--to ${escalationId}`);
    // The escalation was judged the first version when it arrived: it was found late, and said so once.
    const foundLate = shuffled.alerts.filter((a) => a.includes("found-late"));
    expect(foundLate).toHaveLength(1);
    expect(foundLate[0]).toContain(escalationId);
  });
});
