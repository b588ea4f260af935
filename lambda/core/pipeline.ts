/**
 * One write (or one capture) through the guardian: find its place in the cluster's history in the
 * snapshot store, judge it, store it, re-judge what follows it, set the pointers, alert. Every step
 * is idempotent and the result does not depend on arrival order: a version's id is its content
 * (records.ts `contentVersionId`), a record without content sits after the version it follows
 * (`followerId`), and after a write lands anywhere but at the end, the whole history is judged again
 * from scratch (judge.ts `judgeSequence`) and stored verdicts, record places and pointers are set to
 * what that says, by compare-and-swap. A verdict that gets worse alerts once (`found-late`); an
 * alert is marked as sent only after SNS accepted it (a crash between the two can repeat an alert,
 * never lose one).
 */
import { type AlertInput, renderAlert } from "./alert.js";
import { type AwsAuthWrite, tookEffect } from "./audit-event.js";
import {
  type Classification,
  classifyContent,
  classifyWrite,
  type HistoryContext,
  overallSeverity,
  shouldAlert,
} from "./classify.js";
import { literal, option, shellCommand } from "./encode.js";
import {
  contextAt,
  diffOf,
  identityOf,
  judgeRecord,
  judgeRepeat,
  judgeSequence,
  normalRecord,
  ownsVersionBefore,
  pointersOf,
  sameRecord,
  worsened,
  writeOfRecord,
} from "./judge.js";
import type { GuardianPolicy, WriteClass } from "./policy.js";
import type { ConfigMapObject, Notifier } from "./ports.js";
import {
  type AuditSummary,
  anchorFor,
  contentVersionId,
  digestOf,
  eventKeyOf,
  type Finding,
  followerId,
  isGoodRecord,
  keepConfigMap,
  padResourceVersion,
  summarizeWrite,
  timeDigits,
  type VersionRecord,
} from "./records.js";
import { kindOfId, type SnapshotStore, StoreDataError, type StoredRecord } from "./snapshot-store.js";
import {
  type CaptureSource,
  captureRef,
  placeRecord,
  recordForCapture,
  recordForWrite,
  recordKindOf,
} from "./timeline.js";

export interface PipelineDeps {
  store: SnapshotStore;
  notifier: Notifier;
  policy: GuardianPolicy;
  /** Asks the cluster-access function to read the live aws-auth; absent when none is configured. */
  requestCapture?: (cluster: string, reason: string) => Promise<void>;
  now: () => Date;
}

export interface WriteOptions {
  /** The CloudWatch Logs event id the write was delivered in, when it came that way. */
  deliveryId?: string;
}

export interface WriteOutcome {
  auditID: string;
  /** Digest of the audit event: its identity (records.ts `eventKeyOf`); the auditID is only data. */
  eventKey: string;
  cluster: string;
  class: WriteClass;
  /** The record the write left (or, for a write of content already stored, the version holding it). */
  recordId?: string;
  /** The event had been processed before; only unfinished steps were redone. */
  duplicate: boolean;
  alerted: boolean;
  captureRequested: boolean;
  /** A later record had already been filed: this write landed inside the history, which was judged again. */
  late: boolean;
  /** Records whose verdict got worse when judged again with this write in place (each alerted once). */
  foundLate: string[];
}

function alertInput(
  cluster: string,
  policy: GuardianPolicy,
  classification: Pick<Classification, "class" | "findings" | "diff" | "good">,
  history: HistoryContext,
  record: VersionRecord | undefined,
  audit: VersionRecord["audit"],
  storeLocation: string,
): AlertInput {
  const restoreTarget =
    classification.class === "dangerous" || classification.good === false ? history.lastGood : history.base;
  return {
    cluster,
    ...(policy.clusterAccount ? { clusterAccount: policy.clusterAccount } : {}),
    class: classification.class,
    severity: overallSeverity(classification.findings),
    findings: classification.findings,
    ...(audit ? { audit } : {}),
    ...(record ? { record } : {}),
    ...(history.base ? { comparedWith: history.base } : {}),
    ...(classification.diff ? { diff: classification.diff } : {}),
    ...(restoreTarget ? { restoreTarget } : {}),
    storeLocation,
  };
}

/** The alert about a stored, judged record, in its place in the history. */
function recordAlert(
  deps: PipelineDeps,
  cluster: string,
  record: VersionRecord,
  history: HistoryContext,
): AlertInput {
  const diff = diffOf(record, history);
  return alertInput(
    cluster,
    deps.policy,
    { class: record.class, findings: record.findings, ...(diff ? { diff } : {}), ...goodOf(record) },
    history,
    record,
    record.audit,
    deps.store.root(),
  );
}

function goodOf(record: VersionRecord): { good?: boolean } {
  return record.good === false ? { good: false } : {};
}

/** Publishes once per event key: skipped when the marker says it was already sent. */
export async function alertOnce(
  deps: PipelineDeps,
  cluster: string,
  eventKey: string,
  input: AlertInput,
): Promise<boolean> {
  if (await deps.store.alertSent(cluster, eventKey)) return false;
  await deps.notifier.publish(renderAlert(input));
  await deps.store.markAlertSent(cluster, eventKey, deps.now().toISOString());
  return true;
}

function describe(record: VersionRecord | undefined): string {
  if (!record) return "no earlier record";
  const who = record.audit
    ? ` by ${record.audit.actor.canonicalArn ?? record.audit.actor.username}`
    : record.capture
      ? " (captured)"
      : "";
  return `${record.kind} ${record.id} (${record.time}${who})`;
}

/** Why a record's verdict changed when the history was judged again. */
function foundLateFinding(before: VersionRecord, after: VersionRecord, history: HistoryContext): Finding {
  const was = `${before.class}${isGoodRecord(before) ? ", a restore target" : ""}`;
  const now = `${after.class}${isGoodRecord(after) ? "" : ", not a restore target"}`;
  const follows =
    before.predecessorId !== history.previous?.id
      ? ` It now follows ${describe(history.previous)}, which arrived after it was judged (it was compared with ${before.predecessorId ?? "nothing"}).`
      : ` An earlier record it is compared with (${describe(history.base)}) arrived or was judged again after it.`;
  return {
    id: "found-late",
    severity: "info",
    message: `Found late: this record was judged ${was} when it arrived; with every write known before it in resourceVersion order it is ${now}.${follows}`,
    ...(history.previous ? { entries: [history.previous.id] } : {}),
  };
}

export interface SettleOutcome {
  /** The judged history, when it was judged as a whole (undefined: the new record was simply appended). */
  judged?: VersionRecord[];
  /** Ids of records whose verdict got worse. */
  foundLate: string[];
}

/**
 * Brings the stored history of `cluster` in line with `judgeSequence`: every record in its place and
 * judged, pointers where the judged history puts them. `appended`: the ids listed before a new record
 * was filed, and that record; when nothing else changed and it is the newest, judging it against the
 * stored history was enough and the pointers only move forward to it. Otherwise the whole history is
 * read and judged; records are rewritten by compare-and-swap (the bucket keeps each earlier verdict
 * as an object version), moved records are written at their new key before the old key is removed,
 * and the pass repeats until a pass changed nothing concurrently (the listing it judged is still the
 * listing after its writes, and no compare-and-swap failed). `fresh`: the identity of the record this
 * invocation just filed: its own alert follows, so it gets no `found-late` alert.
 */
export async function settle(
  deps: PipelineDeps,
  cluster: string,
  options: { appended?: { ids: readonly string[]; record: VersionRecord }; fresh?: string } = {},
): Promise<SettleOutcome> {
  const { store, policy } = deps;
  let ids = await store.listIds(cluster);
  const appended = options.appended;
  if (
    appended &&
    ids.length === appended.ids.length + 1 &&
    ids.at(-1) === appended.record.id &&
    appended.ids.every((id, i) => ids[i] === id) &&
    !followsInTime(store, ids, appended.record)
  ) {
    await store.advancePointer("latest", appended.record);
    if (isGoodRecord(appended.record)) await store.advancePointer("last-good", appended.record);
    return { foundLate: [] };
  }
  const foundLate = new Set<string>();
  for (let pass = 0; pass < 10; pass++) {
    const stored = await store.readRecords(cluster, ids);
    const byIdentity = new Map<string, StoredRecord[]>();
    for (const item of stored) {
      const key = identityOf(item.record);
      byIdentity.set(key, [...(byIdentity.get(key) ?? []), item]);
    }
    const judged = judgeSequence(
      stored.map((s) => s.record),
      policy,
    );
    let conflict = false;
    for (const [index, record] of judged.entries()) {
      const copies = byIdentity.get(identityOf(record)) ?? [];
      const inPlace = copies.find((c) => c.record.id === record.id);
      const before = inPlace?.record ?? copies[0]?.record;
      if (
        before &&
        identityOf(record) !== options.fresh &&
        worsened(before, record) &&
        shouldAlertFoundLate(before, record, policy)
      ) {
        const history = contextAt(judged, index);
        const input = recordAlert(deps, cluster, record, history);
        input.findings = [...input.findings, foundLateFinding(before, record, history)];
        input.severity = overallSeverity(input.findings);
        const subject = `found-late-${digestOf({ id: record.id, class: record.class, good: record.good ?? true, findings: record.findings.map((f) => f.id) })}`;
        // Sent before the record is rewritten: a crash in between re-judges and finds the change again.
        await alertOnce(deps, cluster, subject, input);
        foundLate.add(record.id);
      }
      if (inPlace) {
        if (!sameRecord(inPlace.record, record) && !(await store.replaceRecord(record, inPlace.etag)))
          conflict = true;
      } else if (!(await store.putRecord(record))) {
        // A concurrent pass put it there first; the next pass compares it.
        conflict = true;
      }
      for (const copy of copies) {
        if (copy.record.id !== record.id) await store.removeRecord(cluster, copy.record.id);
      }
    }
    const pointers = pointersOf(judged);
    await store.setPointer(cluster, "latest", pointers.latest);
    await store.setPointer(cluster, "last-good", pointers.lastGood);
    const after = await store.listIds(cluster);
    const listed = judged.map((r) => r.id);
    if (!conflict && after.length === listed.length && after.every((id, i) => listed[i] === id)) {
      return { judged, foundLate: [...foundLate] };
    }
    ids = after;
  }
  throw new StoreDataError(`could not settle the history of ${cluster}: too many concurrent writers`);
}

/**
 * Is there a deletion or content-less write, filed under an earlier version, that was written no
 * earlier than this new version? Then the new version is the one it follows, and it must move. Its
 * time is in its id (records.ts `followerId`), so no record needs to be read to know.
 */
function followsInTime(store: SnapshotStore, ids: readonly string[], record: VersionRecord): boolean {
  if (record.kind !== "version") return false;
  const at = timeDigits(record.time);
  return store.followerIdsIn(ids).some((id) => {
    const time = id.split("~")[1];
    return time !== undefined && /^\d{23}$/.test(time) && time >= at;
  });
}

/** A worse verdict alerts when the new one would alert, or when a restore target was lost. */
function shouldAlertFoundLate(before: VersionRecord, after: VersionRecord, policy: GuardianPolicy): boolean {
  return shouldAlert(after.class, after.findings, policy) || (isGoodRecord(before) && !isGoodRecord(after));
}

/** The history around a record after settling: from the judged sequence, or read from the store. */
async function placeOf(
  cluster: string,
  settled: SettleOutcome,
  identity: string,
  fallback: { record: VersionRecord; history: HistoryContext },
): Promise<{ record: VersionRecord; history: HistoryContext }> {
  if (!settled.judged) return fallback;
  const index = settled.judged.findIndex((r) => identityOf(r) === identity);
  const record = settled.judged[index];
  if (!record)
    throw new StoreDataError(`record ${fallback.record.id} vanished from the history of ${cluster}`);
  return { record, history: contextAt(settled.judged, index) };
}

/** The version stored with this write's resourceVersion, if one is already filed. */
function sameVersionId(ids: readonly string[], stored: ConfigMapObject): string | undefined {
  const prefix = `${padResourceVersion(stored.metadata.resourceVersion)}-`;
  // The last digit of the resourceVersion first: it tells most ids apart for the price of one read.
  const at = prefix.length - 2;
  const digit = prefix.charCodeAt(at);
  return ids.find((id) => id.charCodeAt(at) === digit && id.startsWith(prefix) && kindOfId(id) === "version");
}

/** Where a new deletion or content-less write goes: after the newest version written no later. */
async function anchorOf(
  store: SnapshotStore,
  cluster: string,
  ids: readonly string[],
  time: string,
  deletedUid: string | undefined,
): Promise<VersionRecord | undefined> {
  const versions = ids.filter((id) => kindOfId(id) === "version");
  let byTime: VersionRecord | undefined;
  for (let i = versions.length - 1; i >= 0; i--) {
    const record = await store.getRecord(cluster, versions[i] as string);
    if (!record) continue;
    if (deletedUid !== undefined && record.configMap?.metadata.uid === deletedUid) return record;
    byTime ??= anchorFor([record], time) !== undefined ? record : undefined;
    if (byTime && deletedUid === undefined) return byTime;
  }
  return byTime;
}

/** Processes one write to aws-auth of `cluster`. Throws only on store or notifier failures. */
export async function processWrite(
  deps: PipelineDeps,
  cluster: string,
  write: AwsAuthWrite,
  options: WriteOptions = {},
): Promise<WriteOutcome> {
  const { store, policy } = deps;
  const eventKey = eventKeyOf(write, options.deliveryId);
  const base = {
    auditID: write.auditID,
    eventKey,
    cluster,
    captureRequested: false,
    late: false,
    foundLate: [] as string[],
  };
  const ids = await store.listIds(cluster);

  if (!tookEffect(write)) return fileAttempt(deps, cluster, write, eventKey, ids, base);

  const kind = recordKindOf(write);
  const existingId =
    kind === "version" && write.stored
      ? sameVersionId(ids, write.stored)
      : store.findIdForEvent(ids, eventKey);
  if (existingId) {
    const existing = await store.getRecord(cluster, existingId);
    if (!existing) throw new StoreDataError(`record ${existingId} listed but not readable`);
    if (existing.eventKey !== eventKey && kind === "version") {
      return sameContent(deps, cluster, write, eventKey, existing, ids, base);
    }
    // Redelivery or retry: the record is there; finish what may not have completed (a crash may
    // have cut the settling short, so judge the whole history).
    const settled = await settle(deps, cluster, { fresh: identityOf(existing) });
    const placed = await placeOf(cluster, settled, identityOf(existing), {
      record: existing,
      history: await store.historyBefore(cluster, ids, existing.id),
    });
    const alerted = shouldAlert(placed.record.class, placed.record.findings, policy)
      ? await alertOnce(deps, cluster, eventKey, recordAlert(deps, cluster, placed.record, placed.history))
      : false;
    return {
      ...base,
      class: placed.record.class,
      recordId: placed.record.id,
      duplicate: true,
      alerted,
      foundLate: settled.foundLate,
    };
  }

  // A new record: its place, its verdict against the stored history before it, then the rest.
  const anchor =
    kind === "version"
      ? undefined
      : await anchorOf(store, cluster, ids, write.time, kind === "tombstone" ? write.objectUid : undefined);
  const id =
    kind === "version" && write.stored
      ? contentVersionId(write.stored)
      : followerId(kind === "tombstone" ? "tombstone" : "unverified", anchor?.id, write.time, eventKey);
  const resourceVersion =
    kind === "version"
      ? (write.stored?.metadata.resourceVersion ?? write.resourceVersion)
      : anchor?.resourceVersion;
  const history = await store.historyBefore(cluster, ids, id);
  const first = classifyWrite(write, history, policy);
  if (first.recordKind === "none") return fileAttempt(deps, cluster, write, eventKey, ids, base);
  const facts = recordForWrite(
    cluster,
    write,
    { ...first, recordKind: first.recordKind },
    { id, ...(resourceVersion ? { resourceVersion } : {}) },
    history,
  );
  const record = judgeRecord({ ...facts, eventKey }, history, policy);
  const created = await store.putRecord(record);
  const late = ids.length > 0 && (ids.at(-1) as string) > record.id;
  const settled = await settle(deps, cluster, {
    ...(created ? { appended: { ids, record } } : {}),
    fresh: identityOf(record),
  });
  const final = await placeOf(cluster, settled, identityOf(record), { record, history });

  let captureRequested = false;
  if (final.record.kind === "unverified" && deps.requestCapture) {
    await deps.requestCapture(cluster, `content of ${write.verb} ${write.auditID} is not in the audit event`);
    captureRequested = true;
  }
  const input = recordAlert(deps, cluster, final.record, final.history);
  if (final.record.kind === "unverified" && !deps.requestCapture) {
    input.findings = [
      ...input.findings,
      {
        id: "capture-not-configured",
        severity: "medium",
        message: `No cluster-access function is configured to read the content; capture it with: ${shellCommand([literal("aws-auth-guardian capture"), ...option("--cluster", cluster)])}`,
      },
    ];
  }
  // When another invocation filed the same event a moment earlier, it owns the alert: it either
  // publishes or fails, and then its retry publishes.
  const alerted =
    created && shouldAlert(final.record.class, final.record.findings, policy)
      ? await alertOnce(deps, cluster, eventKey, input)
      : false;
  return {
    ...base,
    class: final.record.class,
    recordId: final.record.id,
    duplicate: !created,
    alerted,
    captureRequested,
    late,
    foundLate: settled.foundLate,
  };
}

type OutcomeBase = Pick<
  WriteOutcome,
  "auditID" | "eventKey" | "cluster" | "captureRequested" | "late" | "foundLate"
>;

/** Files `write` as an attempt with its verdict; `fresh` is false when it was filed before. */
async function putAttempt(
  store: SnapshotStore,
  cluster: string,
  eventKey: string,
  write: AwsAuthWrite,
  classification: Pick<Classification, "class" | "findings">,
): Promise<{ audit: AuditSummary; fresh: boolean }> {
  const audit = summarizeWrite(write);
  const fresh = await store.putAttempt({
    cluster,
    eventKey,
    auditID: write.auditID,
    time: write.time,
    class: classification.class,
    findings: classification.findings,
    audit,
  });
  return { audit, fresh };
}

/** A write that changed nothing stored (refused, dry run): filed as an attempt. */
async function fileAttempt(
  deps: PipelineDeps,
  cluster: string,
  write: AwsAuthWrite,
  eventKey: string,
  ids: readonly string[],
  base: OutcomeBase,
): Promise<WriteOutcome> {
  const { store, policy } = deps;
  const history = await store.historyBefore(cluster, ids, "~");
  const classification = classifyWrite(write, history, policy);
  const { audit, fresh } = await putAttempt(store, cluster, eventKey, write, classification);
  const alerted = shouldAlert(classification.class, classification.findings, policy)
    ? await alertOnce(
        deps,
        cluster,
        eventKey,
        alertInput(cluster, policy, classification, history, undefined, audit, store.root()),
      )
    : false;
  return { ...base, class: classification.class, duplicate: !fresh, alerted };
}

/**
 * A write whose content (same uid, resourceVersion and data) is already stored: an identical PUT, a
 * second event for one write, or content first read by a capture. One version holds it, owned by
 * the earliest write (by time, then event digest) so that the record is the same whichever arrived
 * first; every other write of it is filed as an attempt.
 */
async function sameContent(
  deps: PipelineDeps,
  cluster: string,
  write: AwsAuthWrite,
  eventKey: string,
  existing: VersionRecord,
  ids: readonly string[],
  base: OutcomeBase,
): Promise<WriteOutcome> {
  const { store, policy } = deps;
  // Only a write of exactly that content (same id) takes the version over; anything else filed under
  // the same resourceVersion (which the API server never does) is an attempt judged against it.
  const sameId = write.stored !== undefined && contentVersionId(write.stored) === existing.id;
  if (sameId && ownsVersionBefore(write, eventKey, existing) && existing.eventKey && existing.audit) {
    // This write made the version; the one filed under it repeated it. Swap them.
    const blob = await store.readRecords(cluster, [existing.id]);
    const current = blob[0];
    if (current?.record.eventKey === existing.eventKey) {
      const owner = normalRecord({
        ...current.record,
        eventKey,
        time: write.time,
        ...(write.stored ? { configMap: keepConfigMap(write.stored) } : {}),
        audit: summarizeWrite(write),
      });
      if (!(await store.replaceRecord(owner, current.etag))) return processWrite(deps, cluster, write);
      const displaced = writeOfRecord(existing) as AwsAuthWrite;
      const judged = judgeRepeat(displaced, owner, policy);
      await store.putAttempt({
        cluster,
        eventKey: existing.eventKey,
        auditID: existing.audit.auditID,
        time: existing.time,
        class: judged.class,
        findings: judged.findings,
        audit: existing.audit,
      });
      const settled = await settle(deps, cluster, {});
      return {
        ...base,
        class: owner.class,
        recordId: owner.id,
        duplicate: false,
        alerted: false,
        foundLate: settled.foundLate,
      };
    }
  }
  const classification = judgeRepeat(write, existing, policy);
  const { audit, fresh } = await putAttempt(store, cluster, eventKey, write, classification);
  const history = await store.historyBefore(cluster, ids, existing.id);
  const alerted = shouldAlert(classification.class, classification.findings, policy)
    ? await alertOnce(
        deps,
        cluster,
        eventKey,
        alertInput(
          cluster,
          policy,
          classification,
          { ...history, base: existing },
          existing,
          audit,
          store.root(),
        ),
      )
    : false;
  return { ...base, class: classification.class, recordId: existing.id, duplicate: !fresh, alerted };
}

export interface CaptureOutcome {
  cluster: string;
  recordId: string;
  class: WriteClass;
  /** False when a version with this resourceVersion was already stored. */
  stored: boolean;
  alerted: boolean;
  /** The live object differs from the latest record and no audit event explains it. */
  drift: boolean;
}

export interface CaptureOptions {
  /** The live object is what this restore (described for people) wrote: no alert, no blind spot. */
  writtenByRestore?: string;
  /** The content was read from a file the operator gave, not from the cluster. @default "cluster" */
  from?: CaptureSource;
  /** When the content was read, as given (e.g. a baseline file's creationTimestamp); default: now. */
  at?: string;
}

/** Files the live aws-auth read from the cluster as a version (capture, baseline, verify). */
export async function processCapture(
  deps: PipelineDeps,
  cluster: string,
  live: ConfigMapObject,
  reason: string,
  options: CaptureOptions = {},
): Promise<CaptureOutcome> {
  const { store, policy } = deps;
  const at = options.at ?? deps.now().toISOString();
  const ids = await store.listIds(cluster);
  const resourceVersion = live.metadata.resourceVersion;
  const existing = resourceVersion
    ? ids.find((id) => id.startsWith(`${resourceVersion.padStart(20, "0")}-`))
    : undefined;
  if (existing) {
    const record = await store.getRecord(cluster, existing);
    return {
      cluster,
      recordId: existing,
      class: record?.class ?? "routine",
      stored: false,
      alerted: false,
      drift: false,
    };
  }
  const placed = placeRecord("version", undefined, resourceVersion, captureRef(at, options.from));
  const history = await store.historyBefore(cluster, ids, placed.id);
  const judged = classifyContent(live, undefined, history, policy);
  // The guardian's own restore wrote it: it announced itself when it did; say so, and stay quiet.
  const classification = options.writtenByRestore
    ? {
        ...judged,
        findings: [
          ...judged.findings,
          {
            id: "guardian-write",
            severity: "info" as const,
            message: `Written by the guardian's restore: ${options.writtenByRestore}.`,
          },
        ],
      }
    : judged;
  const record = normalRecord(
    recordForCapture(cluster, live, reason, at, classification, placed, history, options.from),
  );
  const stored = await store.putRecord(record);
  const settled = await settle(deps, cluster, {
    ...(stored ? { appended: { ids, record } } : {}),
    fresh: identityOf(record),
  });
  const final = await placeOf(cluster, settled, identityOf(record), { record, history });
  const drift = final.record.findings.some((f) => f.id === "unrecorded-change");
  const alerted =
    shouldAlert(final.record.class, final.record.findings, policy) || drift
      ? await alertOnce(
          deps,
          cluster,
          `capture-${final.record.id}`,
          recordAlert(deps, cluster, final.record, final.history),
        )
      : false;
  return { cluster, recordId: final.record.id, class: final.record.class, stored, alerted, drift };
}
