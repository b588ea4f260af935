/**
 * The whole history of one cluster's aws-auth, judged from scratch: every record against its true
 * predecessor in resourceVersion order, whatever order the writes arrived in. The classifier Lambda
 * (through `pipeline.ts`), `analyze` and the demo all judge through this one function, so a late
 * write, a redelivery or a shuffled export gives the same verdicts, the same records, the same
 * pointers and the same restore targets.
 *
 * A record holds facts (what was written, by whom, when: fixed once filed) and a verdict (class,
 * findings, `good`, `predecessorId`: what the facts mean given everything before them). Only the
 * verdict of a version depends on history; a deletion or a write whose content is not known is
 * judged on itself, and only its place (the version it follows) can change.
 */
import type { AwsAuthWrite } from "./audit-event.js";
import {
  type Classification,
  classifyContent,
  classifyWrite,
  type HistoryContext,
  modelOf,
} from "./classify.js";
import { diffModels, type SemanticDiff } from "./diff.js";
import type { GuardianPolicy } from "./policy.js";
import { severityRank } from "./policy.js";
import {
  anchorFor,
  canonicalJson,
  deletedUidOf,
  followerId,
  isGoodRecord,
  type VersionRecord,
  widenContext,
} from "./records.js";

/** Findings that state facts about a record rather than judge it: kept when it is judged again. */
const STANDING_FINDINGS = new Set(["guardian-write"]);

/** The write a record was filed for, rebuilt from what the record keeps, for judging it again. */
export function writeOfRecord(record: VersionRecord): AwsAuthWrite | undefined {
  const a = record.audit;
  if (!a) return undefined;
  return {
    auditID: a.auditID,
    verb: a.verb,
    requestURI: a.requestURI,
    time: a.time,
    ...(a.code !== undefined ? { code: a.code } : {}),
    actor: a.actor,
    dryRun: a.dryRun,
    truncated: a.truncated,
    ...(a.patchKind ? { patchKind: a.patchKind } : {}),
    ...(a.fieldManager ? { fieldManager: a.fieldManager } : {}),
    ...(a.objectUid ? { objectUid: a.objectUid } : {}),
    ...(record.kind === "version" && record.configMap ? { stored: record.configMap } : {}),
    ...(record.kind === "version" && record.resourceVersion
      ? { resourceVersion: record.resourceVersion }
      : {}),
  };
}

/** The record with its fields in one fixed order, so equal records serialise to equal text. */
export function normalRecord(record: VersionRecord): VersionRecord {
  return {
    kind: record.kind,
    id: record.id,
    ...(record.eventKey !== undefined ? { eventKey: record.eventKey } : {}),
    cluster: record.cluster,
    ...(record.resourceVersion !== undefined ? { resourceVersion: record.resourceVersion } : {}),
    time: record.time,
    ...(record.configMap !== undefined ? { configMap: record.configMap } : {}),
    ...(record.audit !== undefined ? { audit: record.audit } : {}),
    ...(record.capture !== undefined ? { capture: record.capture } : {}),
    class: record.class,
    findings: record.findings,
    ...(record.good === false ? { good: false } : {}),
    ...(record.predecessorId !== undefined ? { predecessorId: record.predecessorId } : {}),
  };
}

/** Where record `index` of a judged, sorted history stands: its predecessor, base and last good. */
export function contextAt(judged: readonly VersionRecord[], index: number): HistoryContext {
  const context: HistoryContext = {};
  for (let i = index - 1; i >= 0; i--) if (widenContext(context, judged[i] as VersionRecord)) break;
  return context;
}

/**
 * Judges one record against the history before it. A version is classified again from its content
 * and its write; any other record keeps the verdict it was filed with (it does not depend on history).
 */
export function judgeRecord(
  record: VersionRecord,
  history: HistoryContext,
  policy: GuardianPolicy,
): VersionRecord {
  const { good: _good, predecessorId: _predecessor, ...facts } = record;
  const predecessor = history.previous ? { predecessorId: history.previous.id } : {};
  if (record.kind !== "version" || !record.configMap) {
    return normalRecord({ ...facts, ...(record.good === false ? { good: false } : {}), ...predecessor });
  }
  const judged = classifyContent(record.configMap, writeOfRecord(record), history, policy);
  const standing = record.findings.filter(
    (f) => STANDING_FINDINGS.has(f.id) && !judged.findings.some((j) => j.id === f.id),
  );
  return normalRecord({
    ...facts,
    class: judged.class,
    findings: [...judged.findings, ...standing],
    ...(judged.good === false ? { good: false } : {}),
    ...predecessor,
  });
}

/** What identifies a record whatever its place: its event for a record that can move, else its id. */
export function identityOf(record: VersionRecord): string {
  return isMovable(record) ? `event:${record.eventKey}` : `id:${record.id}`;
}

/** A deletion or content-less write filed from an audit event: placed by the version it follows. */
function isMovable(record: VersionRecord): record is VersionRecord & { eventKey: string } {
  return record.kind !== "version" && record.eventKey !== undefined && record.audit !== undefined;
}

/**
 * The records of one cluster, each in its place and judged against its true predecessor. Pure and
 * total: the result depends only on the set of records given (their facts), never on their order,
 * on the verdicts they were stored with (but for a record without content, whose verdict is its own),
 * or on duplicates (one record per identity is kept).
 */
export function judgeSequence(records: readonly VersionRecord[], policy: GuardianPolicy): VersionRecord[] {
  const unique = new Map<string, VersionRecord>();
  for (const record of records) {
    const key = identityOf(record);
    const kept = unique.get(key);
    // Two copies of one event (a move cut short): keep either, deterministically.
    if (!kept || record.id < kept.id) unique.set(key, record);
  }
  const all = [...unique.values()];
  const versions = all.filter((r) => r.kind === "version");
  const placed = all.map((record) => {
    if (!isMovable(record)) return record;
    const anchorId = anchorFor(versions, record.time, deletedUidOf(record));
    const anchor = anchorId ? versions.find((v) => v.id === anchorId) : undefined;
    const { resourceVersion: _rv, ...rest } = record;
    return {
      ...rest,
      id: followerId(record.kind as "tombstone" | "unverified", anchorId, record.time, record.eventKey),
      ...(anchor?.resourceVersion ? { resourceVersion: anchor.resourceVersion } : {}),
    };
  });
  placed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const judged: VersionRecord[] = [];
  for (const [index, record] of placed.entries()) {
    judged.push(judgeRecordOnce(record, contextAt(judged, index), policy));
  }
  return judged;
}

/** Freezes a record and everything in it (its content may be frozen already: it is shared). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** The last verdict given to a frozen record: in what context, and the judged record (frozen). */
interface Judgement {
  policy: GuardianPolicy;
  previous: VersionRecord | undefined;
  base: VersionRecord | undefined;
  lastGood: VersionRecord | undefined;
  judged: VersionRecord;
}

const judgements = new WeakMap<VersionRecord, Judgement>();

/**
 * `judgeRecord`, remembered for a frozen record (one that cannot change: analyze's in-memory store
 * gives the same frozen object for a record until it is rewritten). Judged again in the same context
 * (the same predecessor, base and last good objects, the same policy), it gets the same judged
 * object back without being classified again; judged in another context to an equal verdict, it
 * gets the earlier object, so that the records after it see the same context too. Judging a
 * history again after a late write then classifies only what the write changed.
 */
function judgeRecordOnce(
  record: VersionRecord,
  history: HistoryContext,
  policy: GuardianPolicy,
): VersionRecord {
  if (!Object.isFrozen(record)) return judgeRecord(record, history, policy);
  const known = judgements.get(record);
  if (
    known &&
    known.policy === policy &&
    known.previous === history.previous &&
    known.base === history.base &&
    known.lastGood === history.lastGood
  )
    return known.judged;
  const fresh = judgeRecord(record, history, policy);
  const judged = known && sameRecord(known.judged, fresh) ? known.judged : deepFreeze(fresh);
  judgements.set(record, {
    policy,
    previous: history.previous,
    base: history.base,
    lastGood: history.lastGood,
    judged,
  });
  return judged;
}

/** The version an alert about record `index` tells the operator to restore. */
export function restoreTargetAt(judged: readonly VersionRecord[], index: number): VersionRecord | undefined {
  const record = judged[index];
  if (!record) return undefined;
  const history = contextAt(judged, index);
  return record.class === "dangerous" || record.good === false ? history.lastGood : history.base;
}

/** Where the pointers belong: the newest record, and the newest version that can be restored to. */
export function pointersOf(judged: readonly VersionRecord[]): {
  latest?: VersionRecord;
  lastGood?: VersionRecord;
} {
  const latest = judged.at(-1);
  const lastGood = judged.findLast(isGoodRecord);
  return { ...(latest ? { latest } : {}), ...(lastGood ? { lastGood } : {}) };
}

/** The diff a record was judged on. */
export function diffOf(record: VersionRecord, history: HistoryContext): SemanticDiff | undefined {
  if (record.kind === "unverified") return undefined;
  const before = history.base?.configMap ? modelOf(history.base.configMap) : undefined;
  const after = record.kind === "version" && record.configMap ? modelOf(record.configMap) : undefined;
  return diffModels(before, after);
}

/** Did the verdict get worse: more severe, newly dangerous, or no longer a restore target? */
export function worsened(before: VersionRecord, after: VersionRecord): boolean {
  if (after.class === "dangerous" && before.class !== "dangerous") return true;
  if (isGoodRecord(before) && !isGoodRecord(after)) return true;
  return worstSeverity(after) > worstSeverity(before);
}

function worstSeverity(record: VersionRecord): number {
  return record.findings.reduce((worst, f) => Math.max(worst, severityRank(f.severity)), 0);
}

/** Same facts and same verdict. */
export function sameRecord(a: VersionRecord, b: VersionRecord): boolean {
  if (a === b) return true;
  // Two frozen records compared before compare the same way again (a history judged again).
  const frozen = Object.isFrozen(a) && Object.isFrozen(b);
  const known = frozen ? comparisons.get(a) : undefined;
  if (known?.other === b) return known.same;
  const same = canonicalJson(normalRecord(a)) === canonicalJson(normalRecord(b));
  if (frozen) comparisons.set(a, { other: b, same });
  return same;
}

/** The last comparison of each frozen record with another frozen record. */
const comparisons = new WeakMap<VersionRecord, { other: VersionRecord; same: boolean }>();

/**
 * A write of content a version already holds (same uid, resourceVersion and data: an identical PUT,
 * or the content first read by a capture), judged against that version. It changes nothing stored.
 */
export function judgeRepeat(
  write: AwsAuthWrite,
  version: VersionRecord,
  policy: GuardianPolicy,
): Classification {
  const history: HistoryContext = { previous: version, base: version, lastGood: version };
  const judged =
    version.configMap && write.stored
      ? classifyContent(write.stored, write, history, policy)
      : classifyWrite(write, history, policy);
  return { ...judged, recordKind: "none" };
}

/**
 * Of two writes of the same content, the one that owns the version: the earliest (by time, then by
 * event digest), so that the record is the same whichever arrived first. A capture never takes over
 * from a write, nor a write from a capture: the first filed keeps it.
 */
export function ownsVersionBefore(write: { time: string }, eventKey: string, holder: VersionRecord): boolean {
  if (holder.audit === undefined || holder.eventKey === undefined) return false;
  return write.time < holder.time || (write.time === holder.time && eventKey < holder.eventKey);
}
