/**
 * Judges one write to aws-auth (or one capture of the live object) against what came before, and
 * puts it in exactly one class with the findings that explain why.
 */
import { type AwsAuthWrite, tookEffect } from "./audit-event.js";
import { type AwsAuthModel, parseAwsAuth } from "./aws-auth.js";
import { diffModels, type SemanticDiff } from "./diff.js";
import { type GuardianPolicy, type Severity, severityRank, type WriteClass } from "./policy.js";
import type { ConfigMapObject } from "./ports.js";
import type { Finding, RecordKind, VersionRecord } from "./records.js";
import {
  awsInternalNodeChanges,
  BASELINE_RULES,
  CONTENT_RULES,
  deletion,
  judgeAwsInternal,
  type Rule,
  type RuleContext,
  touchesOnlyNodeMappings,
  WRITER_RULES,
} from "./rules.js";

/** Where a new record stands in the history of its cluster. */
export interface HistoryContext {
  /** The record immediately before it, of any kind. */
  previous?: VersionRecord;
  /** The newest earlier record whose content is known: what the new content is compared with. */
  base?: VersionRecord;
  /** The newest earlier version with content that was not classified dangerous. */
  lastGood?: VersionRecord;
}

export interface Classification {
  class: WriteClass;
  findings: Finding[];
  /** What kind of record the write leaves; "none" when it changed nothing stored. */
  recordKind: RecordKind | "none";
  diff?: SemanticDiff;
  /** The parsed content after the write, when known. */
  model?: AwsAuthModel;
  /** False when the new version still carries a dangerous change made before it (see records.ts). */
  good?: boolean;
}

const modelCache = new WeakMap<object, AwsAuthModel>();
/** Models of the contents parsed last, by their data as JSON text (a content read again elsewhere). */
const recentModels = new Map<string, AwsAuthModel>();
const RECENT_MODELS = 64;

/**
 * Parses a ConfigMap's data once per object, and once per content among the last few parsed: one
 * version is met as the write's object, as its record, and as the record read back from the store.
 */
export function modelOf(configMap: ConfigMapObject): AwsAuthModel {
  const cached = modelCache.get(configMap);
  if (cached) return cached;
  const text = configMap.data === undefined ? "" : JSON.stringify(configMap.data);
  let model = recentModels.get(text);
  if (model) {
    // Most recently used last: the oldest is dropped first.
    recentModels.delete(text);
  } else {
    model = parseAwsAuth(configMap.data);
    if (recentModels.size >= RECENT_MODELS) recentModels.delete(recentModels.keys().next().value as string);
  }
  recentModels.set(text, model);
  modelCache.set(configMap, model);
  return model;
}

function run(rules: Rule[], ctx: RuleContext): Finding[] {
  return rules.flatMap((rule) => rule(ctx));
}

function isDangerous(findings: Finding[]): boolean {
  return findings.some((f) => severityRank(f.severity) >= severityRank("high"));
}

function describeRecord(record: VersionRecord): string {
  const who = record.audit
    ? ` by ${record.audit.actor.username}`
    : record.capture
      ? record.capture.from === "file"
        ? " (read from a file)"
        : " (captured from the cluster)"
      : "";
  return `version ${record.id} (${record.time}${who})`;
}

function noEffect(write: AwsAuthWrite): Classification {
  if (write.dryRun) {
    return {
      class: "dry-run",
      recordKind: "none",
      findings: [
        {
          id: "dry-run",
          severity: "info",
          message: "Server-side dry run (dryRun=All): the API server validated the write and stored nothing.",
        },
      ],
    };
  }
  const findings: Finding[] = [];
  if (write.code === 403) {
    findings.push({
      id: "forbidden-attempt",
      severity: "medium",
      message: `${write.actor.canonicalArn ?? write.actor.username} tried to ${write.verb} aws-auth and was refused (403 Forbidden): RBAC stopped it, but someone tried.`,
      entries: [write.actor.canonicalArn ?? write.actor.username],
    });
  } else {
    findings.push({
      id: "write-rejected",
      severity: "info",
      message: `The API server refused this ${write.verb} with ${write.code}${write.statusMessage ? ` (${write.statusMessage})` : ""}; nothing was stored.`,
    });
  }
  return { class: "rejected", recordKind: "none", findings };
}

/** A write whose new content the event does not carry. */
function contentUnknown(write: AwsAuthWrite, policy: GuardianPolicy): Classification {
  const why = write.truncated
    ? "the event was truncated (too large for CloudWatch Logs)"
    : write.unreadable
      ? `the object in the event could not be used: ${write.unreadable}`
      : write.verb === "create"
        ? "EKS logs creates of aws-auth at Metadata level, without the object"
        : "the event carries no response object";
  const findings = [
    ...run(WRITER_RULES, { write, policy }),
    {
      id: "content-unknown",
      severity: "medium" as Severity,
      message: `The new content of aws-auth is not known: ${why}. It stays unverified until the guardian captures the live ConfigMap.`,
    },
  ];
  return { class: isDangerous(findings) ? "dangerous" : "unverified", recordKind: "unverified", findings };
}

function classifyDeletion(
  write: AwsAuthWrite,
  policy: GuardianPolicy,
  history: HistoryContext,
): Classification {
  const findings = [...run([deletion], { write, policy }), ...run(WRITER_RULES, { write, policy })];
  const before = history.base?.configMap ? modelOf(history.base.configMap) : undefined;
  return {
    class: "dangerous",
    recordKind: "tombstone",
    findings,
    ...(before ? { diff: diffModels(before, undefined) } : {}),
  };
}

/**
 * A version that is not dangerous against its predecessor can still carry a dangerous change made
 * earlier (an EKS housekeeping rewrite right after an escalation keeps the escalated role). Judged
 * against the last good version, such a version is not good: it must never become a restore target.
 */
function carriedDanger(
  after: AwsAuthModel,
  history: HistoryContext,
  policy: GuardianPolicy,
): Finding | undefined {
  const lastGood = history.lastGood;
  if (!lastGood?.configMap || lastGood.id === history.base?.id) return undefined;
  const before = modelOf(lastGood.configMap);
  const carried = run(CONTENT_RULES, {
    policy,
    before,
    after,
    diff: diffModels(before, after),
  } as RuleContext).filter((f) => severityRank(f.severity) >= severityRank("high"));
  if (carried.length === 0) return undefined;
  return {
    id: "carries-dangerous-change",
    severity: "low",
    message: `Compared with the last good ${describeRecord(lastGood)}, this version still carries: ${carried.map((f) => f.message).join(" ")} It is not a restore target.`,
    entries: [...new Set(carried.flatMap((f) => f.entries ?? []))],
  };
}

/** Adds the "still carries earlier damage" verdict to a classification that is not dangerous. */
function withCarriedDanger(
  classification: Classification,
  after: AwsAuthModel,
  history: HistoryContext,
  policy: GuardianPolicy,
): Classification {
  if (classification.class === "dangerous") return { ...classification, good: false };
  const carried = carriedDanger(after, history, policy);
  return carried
    ? { ...classification, findings: [...classification.findings, carried], good: false }
    : classification;
}

/**
 * Judges new content (from an audit event, or captured from the cluster when `write` is absent)
 * against the history before it.
 */
export function classifyContent(
  content: ConfigMapObject,
  write: AwsAuthWrite | undefined,
  history: HistoryContext,
  policy: GuardianPolicy,
): Classification {
  const after = modelOf(content);
  return withCarriedDanger(judgeContent(after, write, history, policy), after, history, policy);
}

function judgeContent(
  after: AwsAuthModel,
  write: AwsAuthWrite | undefined,
  history: HistoryContext,
  policy: GuardianPolicy,
): Classification {
  const baseRecord = history.base;
  const before = baseRecord?.configMap ? modelOf(baseRecord.configMap) : undefined;
  const diff = diffModels(before, after);
  const ctx: RuleContext = {
    ...(write ? { write } : {}),
    policy,
    after,
    diff,
    ...(before ? { before } : {}),
  } as RuleContext;
  const writerFindings = write ? run(WRITER_RULES, ctx) : [];
  const context: Finding[] = [];
  const explainedBy = history.previous?.kind === "unverified" ? history.previous.audit : undefined;
  if (!write && explainedBy) {
    context.push({
      id: "captures-unverified-write",
      severity: "info",
      message: `Content captured from the cluster for the ${explainedBy.verb} by ${explainedBy.actor.canonicalArn ?? explainedBy.actor.username} at ${explainedBy.time}, whose audit event did not carry it.`,
    });
  }
  if (history.previous && baseRecord && history.previous.id !== baseRecord.id) {
    context.push({
      id: "compared-with-last-known",
      severity: "info",
      message: `Compared with ${describeRecord(baseRecord)}, the newest version whose content is known (the record in between is a ${history.previous.kind}).`,
    });
  }

  if (!before) {
    const findings = [
      ...writerFindings,
      ...run(BASELINE_RULES, ctx),
      {
        id: "baseline",
        severity: "info" as Severity,
        message:
          "First version of aws-auth the guardian knows: nothing to compare it with, so only its content is checked.",
      },
      ...context,
    ];
    return {
      class: isDangerous(findings) ? "dangerous" : "routine",
      recordKind: "version",
      findings,
      diff,
      model: after,
    };
  }

  const lastGood = history.lastGood;
  const restoresLastGood =
    lastGood?.configMap !== undefined &&
    history.previous !== undefined &&
    history.previous.id !== lastGood.id &&
    diffModels(modelOf(lastGood.configMap), after).effectiveEqual;
  if (restoresLastGood && lastGood?.configMap) {
    // Judged against the last good version it returns to: re-granting what the damage removed is not
    // an escalation, but anything else the write brings (a dead entry, a typo'd key) still counts.
    const good = modelOf(lastGood.configMap);
    const againstGood = { ...ctx, before: good, diff: diffModels(good, after) } as RuleContext;
    const findings = [
      ...writerFindings,
      ...run(CONTENT_RULES, againstGood),
      ...context.filter((f) => f.id !== "compared-with-last-known"),
      {
        id: "restores-last-good",
        severity: "info" as Severity,
        message: `Puts back the mappings of the last good ${describeRecord(lastGood)}: undoing damage, not an escalation.`,
        entries: [lastGood.id],
      },
    ];
    return {
      class: isDangerous(findings) ? "dangerous" : "routine",
      recordKind: "version",
      findings,
      diff,
      model: after,
    };
  }

  const verdict = write ? judgeAwsInternal(write.actor, policy.clusterAccount) : "not-eks";
  const fromAws = verdict === "genuine" || verdict === "genuine-unverified-account";
  if (fromAws && touchesOnlyNodeMappings(diff) && !isDangerous(writerFindings)) {
    return {
      class: "aws-internal",
      recordKind: "version",
      findings: [...writerFindings, ...context, ...awsInternalNodeChanges(diff)],
      diff,
      model: after,
    };
  }

  const findings = [...writerFindings, ...run(CONTENT_RULES, ctx), ...context];
  if (!write && history.previous?.id === baseRecord?.id && !diff.equivalent) {
    findings.push({
      id: "unrecorded-change",
      severity: "high",
      message: `The live aws-auth differs from ${describeRecord(baseRecord as VersionRecord)} and no audit event explains it: the guardian missed a write (audit logging off, subscription filter removed or delivery skipped).`,
    });
  }
  const cls: WriteClass = isDangerous(findings) ? "dangerous" : diff.effectiveEqual ? "cosmetic" : "routine";
  return { class: cls, recordKind: "version", findings, diff, model: after };
}

/** Judges one write to aws-auth against its history. Total: never throws on odd input. */
export function classifyWrite(
  write: AwsAuthWrite,
  history: HistoryContext,
  policy: GuardianPolicy,
): Classification {
  if (!tookEffect(write)) return noEffect(write);
  if (write.verb === "delete" || write.verb === "deletecollection")
    return classifyDeletion(write, policy, history);
  if (!write.stored || write.truncated) return contentUnknown(write, policy);
  return classifyContent(write.stored, write, history, policy);
}

/** Does this record send an alert under the policy? The guardian's own restores announce themselves. */
export function shouldAlert(cls: WriteClass, findings: Finding[], policy: GuardianPolicy): boolean {
  const byGuardian = findings.some((f) => f.id === "guardian-write");
  if (byGuardian && !isDangerous(findings)) return false;
  if (policy.alertClasses.includes(cls)) return true;
  const min = policy.alertMinSeverity;
  return min !== undefined && findings.some((f) => severityRank(f.severity) >= severityRank(min));
}

/** The most severe finding's severity; `info` when there are none. */
export function overallSeverity(findings: Finding[]): Severity {
  return findings.reduce<Severity>(
    (worst, f) => (severityRank(f.severity) > severityRank(worst) ? f.severity : worst),
    "info",
  );
}
