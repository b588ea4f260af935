/**
 * One write (or one capture) through the guardian: find its place in the cluster's history in the
 * snapshot store, classify it, store it, move the pointers, alert. Every step is idempotent, so a
 * redelivered event or a retried invocation completes what failed before and repeats nothing:
 * records are create-once, pointers only move forward, and an alert is marked as sent only after
 * SNS accepted it (a crash between the two can repeat an alert; it can never lose one).
 */
import { type AlertInput, renderAlert } from "./alert.js";
import type { AwsAuthWrite } from "./audit-event.js";
import {
  type Classification,
  classifyContent,
  classifyWrite,
  type HistoryContext,
  modelOf,
  overallSeverity,
  shouldAlert,
} from "./classify.js";
import { diffModels } from "./diff.js";
import { literal, option, shellCommand } from "./encode.js";
import type { GuardianPolicy, WriteClass } from "./policy.js";
import type { ConfigMapObject, Notifier } from "./ports.js";
import { eventKeyOf, isGoodRecord, summarizeWrite, type VersionRecord } from "./records.js";
import type { SnapshotStore } from "./snapshot-store.js";
import { captureRef, placeRecord, recordForCapture, recordForWrite, recordKindOf } from "./timeline.js";

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
  recordId?: string;
  /** The event had been processed before; only unfinished steps were redone. */
  duplicate: boolean;
  alerted: boolean;
  captureRequested: boolean;
  /** A later version had already been filed: this event arrived out of order. */
  late: boolean;
}

function latestResourceVersionOf(ids: readonly string[]): string | undefined {
  const last = ids.at(-1);
  const digits = last?.slice(0, 20).replace(/^0+/, "");
  return digits ? digits : undefined;
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

async function advancePointers(store: SnapshotStore, record: VersionRecord): Promise<void> {
  await store.advancePointer("latest", record);
  if (isGoodRecord(record)) {
    await store.advancePointer("last-good", record);
  }
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
  const base = { auditID: write.auditID, eventKey, cluster, captureRequested: false, late: false };
  const kind = recordKindOf(write);
  const ids = await store.listIds(cluster);

  const existingId = store.findIdForEvent(ids, eventKey);
  if (existingId) {
    // Redelivery or retry: the record is there; finish the steps that may not have completed.
    const record = await store.getRecord(cluster, existingId);
    if (!record) throw new Error(`record ${existingId} listed but not readable`);
    await advancePointers(store, record);
    const history = await store.historyBefore(
      cluster,
      ids,
      record.id,
      kind === "version" ? write.resourceVersion : undefined,
    );
    const classification = { class: record.class, findings: record.findings, ...diffFor(record, history) };
    const alerted = shouldAlert(record.class, record.findings, policy)
      ? await alertOnce(
          deps,
          cluster,
          eventKey,
          alertInput(cluster, policy, classification, history, record, record.audit, store.root()),
        )
      : false;
    return { ...base, class: record.class, recordId: record.id, duplicate: true, alerted };
  }

  const placed = placeRecord(kind, latestResourceVersionOf(ids), write.resourceVersion, eventKey);
  const history = await store.historyBefore(
    cluster,
    ids,
    placed.id,
    kind === "version" ? write.resourceVersion : undefined,
  );
  const classification = classifyWrite(write, history, policy);

  if (classification.recordKind === "none") {
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

  const latestId = ids.at(-1);
  const late = latestId !== undefined && latestId.slice(0, 20) > placed.id.slice(0, 20);
  if (late) {
    classification.findings.push({
      id: "late-arrival",
      severity: "info",
      message: `This event arrived after a later record (${latestId}) had been filed; that record was judged without it.`,
    });
  }
  const record = recordForWrite(
    cluster,
    write,
    { ...classification, recordKind: classification.recordKind },
    placed,
    history,
  );
  const created = await store.putRecord(record);
  await advancePointers(store, record);

  let captureRequested = false;
  if (record.kind === "unverified" && deps.requestCapture) {
    await deps.requestCapture(cluster, `content of ${write.verb} ${write.auditID} is not in the audit event`);
    captureRequested = true;
  }
  const input = alertInput(cluster, policy, classification, history, record, record.audit, store.root());
  if (record.kind === "unverified" && !deps.requestCapture) {
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
    created && shouldAlert(record.class, record.findings, policy)
      ? await alertOnce(deps, cluster, eventKey, input)
      : false;
  return {
    ...base,
    class: record.class,
    recordId: record.id,
    duplicate: !created,
    alerted,
    captureRequested,
    late,
  };
}

/** The diff a stored record was judged on, rebuilt for an alert that must be (re)sent. */
function diffFor(record: VersionRecord, history: HistoryContext): Pick<Classification, "diff"> {
  if (record.kind === "unverified") return {};
  const before = history.base?.configMap ? modelOf(history.base.configMap) : undefined;
  const after = record.configMap ? modelOf(record.configMap) : undefined;
  return { diff: diffModels(before, after) };
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

/** Files the live aws-auth read from the cluster as a version (capture, baseline, verify). */
export async function processCapture(
  deps: PipelineDeps,
  cluster: string,
  live: ConfigMapObject,
  reason: string,
): Promise<CaptureOutcome> {
  const { store, policy } = deps;
  const at = deps.now().toISOString();
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
  const placed = placeRecord("version", latestResourceVersionOf(ids), resourceVersion, captureRef(at));
  const history = await store.historyBefore(cluster, ids, placed.id);
  const classification = classifyContent(live, undefined, history, policy);
  const record = recordForCapture(cluster, live, reason, at, classification, placed, history);
  const stored = await store.putRecord(record);
  await advancePointers(store, record);
  const drift = classification.findings.some((f) => f.id === "unrecorded-change");
  const alerted =
    shouldAlert(record.class, record.findings, policy) || drift
      ? await alertOnce(
          deps,
          cluster,
          `capture-${record.id}`,
          alertInput(cluster, policy, classification, history, record, undefined, store.root()),
        )
      : false;
  return { cluster, recordId: record.id, class: record.class, stored, alerted, drift };
}
