/**
 * The way back for access entries: from the live picture to a chosen good version, re-create what
 * was deleted, remove what was added, put scopes and groups back. Same shape as the aws-auth restore:
 * a dry run shows the plan, the real run writes exactly that plan only while the live picture is
 * still the one the dry run saw, and reads back to verify.
 *
 * Refusals: never remove the guardian's own access entry or its policies (it is the lockout-proof way
 * in), and never leave the cluster without an admin path it had. The authentication mode cannot go
 * back (EKS switches one way): a target in an earlier mode is restored in the current one, and said so.
 */
import { createHash } from "node:crypto";
import {
  type AccessChange,
  type AccessPicture,
  changeLines,
  diffPictures,
  normalizePicture,
  type PictureEntry,
  readAccessPicture,
} from "./access-picture.js";
import { ADMIN_POLICIES, samePrincipal } from "./access-rules.js";
import {
  type AccessRecord,
  type AccessRestoreRecord,
  type AccessStore,
  accessRecordId,
} from "./access-store.js";
import {
  capSlack,
  literal,
  oneLine,
  option,
  shellCommand,
  slackCode,
  slackCodeBlock,
  slackText,
  subjectLine,
} from "./encode.js";
import { creatorWayIn } from "./explain-access.js";
import { RecordIntegrityError } from "./integrity.js";
import type { AccessEntryApi, AccessScope, Notifier, OutboundAlert } from "./ports.js";

export type AccessStep =
  | { op: "create"; principalArn: string; type: string; username?: string; kubernetesGroups: string[] }
  | { op: "update"; principalArn: string; username?: string; kubernetesGroups: string[] }
  | { op: "associate"; principalArn: string; policyArn: string; accessScope: AccessScope }
  | { op: "disassociate"; principalArn: string; policyArn: string }
  | { op: "delete"; principalArn: string };

export interface AccessRestorePlan {
  steps: AccessStep[];
  /** Why the plan must not run; empty when it may. */
  refusals: string[];
  /** What the restore leaves as it is, and why. */
  notes: string[];
  /** The changes from live to target, for humans. */
  lines: string[];
}

function adminPaths(picture: AccessPicture): string[] {
  return picture.entries
    .filter((e) =>
      e.policies.some(
        (p) =>
          p.accessScope.type === "cluster" &&
          (ADMIN_POLICIES as readonly string[]).includes(p.policyArn.slice(p.policyArn.lastIndexOf("/") + 1)),
      ),
    )
    .map((e) => e.principalArn);
}

/** A content fingerprint of a picture: the real run proceeds only over the picture the dry run saw. */
export function pictureFingerprint(picture: AccessPicture): string {
  return createHash("sha256")
    .update(JSON.stringify(normalizePicture(picture)))
    .digest("hex")
    .slice(0, 16);
}

function identityOf(entry: PictureEntry): { username?: string; kubernetesGroups: string[] } {
  return {
    ...(entry.username === undefined ? {} : { username: entry.username }),
    kubernetesGroups: entry.kubernetesGroups,
  };
}

/** Pure: the steps from `live` to `target`, in a safe order (grant first, take away last). */
export function planAccessRestore(
  live: AccessPicture,
  target: AccessPicture,
  options: { guardianRoleArn?: string } = {},
): AccessRestorePlan {
  const guardian = options.guardianRoleArn;
  const isGuardian = (arn: string) => samePrincipal(arn, guardian);
  const changes: AccessChange[] = diffPictures(live, target);
  const notes: string[] = [];
  const grants: AccessStep[] = [];
  const removals: AccessStep[] = [];
  const targetEntries = new Map(target.entries.map((e) => [e.principalArn, e]));
  for (const change of changes) {
    switch (change.kind) {
      case "mode-changed":
        notes.push(
          `The authentication mode stays ${live.authenticationMode}: EKS cannot switch back to ${target.authenticationMode}.`,
        );
        break;
      case "entry-added": {
        const entry = targetEntries.get(change.principalArn);
        if (!entry) break;
        grants.push({
          op: "create",
          principalArn: entry.principalArn,
          type: entry.type,
          ...(entry.type === "STANDARD" ? identityOf(entry) : { kubernetesGroups: [] }),
        });
        break;
      }
      case "entry-changed": {
        const entry = targetEntries.get(change.principalArn);
        if (!entry) break;
        if (entry.type !== "STANDARD") {
          notes.push(
            `${entry.principalArn} is a ${entry.type} entry: EKS fixes its identity, nothing to update.`,
          );
          break;
        }
        grants.push({ op: "update", principalArn: entry.principalArn, ...identityOf(entry) });
        break;
      }
      case "policy-associated":
        grants.push({
          op: "associate",
          principalArn: change.principalArn,
          policyArn: change.policyArn,
          accessScope: change.accessScope,
        });
        break;
      case "policy-disassociated":
        if (isGuardian(change.principalArn)) {
          notes.push(`Keeps ${change.policyArn} of the guardian's own entry ${change.principalArn}.`);
          break;
        }
        removals.push({ op: "disassociate", principalArn: change.principalArn, policyArn: change.policyArn });
        break;
      case "entry-removed":
        if (isGuardian(change.principalArn)) {
          notes.push(`Keeps the guardian's own access entry ${change.principalArn}.`);
          break;
        }
        removals.push({ op: "delete", principalArn: change.principalArn });
        break;
    }
  }
  // Entries deleted in the plan need no separate disassociation.
  const deleted = new Set(removals.filter((s) => s.op === "delete").map((s) => s.principalArn));
  const steps = [...grants, ...removals.filter((s) => s.op === "delete" || !deleted.has(s.principalArn))];
  const refusals: string[] = [];
  const after = simulate(live, steps);
  const liveAdmins = adminPaths(live);
  if (liveAdmins.length > 0 && adminPaths(after).length === 0 && after.authenticationMode === "API") {
    refusals.push(
      `This would remove the last admin path (${liveAdmins.join(", ")}) from a cluster in API mode, where aws-auth cannot stand in: restore a version that keeps an administrator.`,
    );
  }
  return { steps, refusals, notes, lines: changeLines(changes.filter((c) => c.kind !== "mode-changed")) };
}

/** The picture after the steps, as EKS would apply them. */
export function simulate(live: AccessPicture, steps: readonly AccessStep[]): AccessPicture {
  const entries = new Map(live.entries.map((e) => [e.principalArn, structuredClone(e)]));
  for (const step of steps) {
    const entry = entries.get(step.principalArn);
    switch (step.op) {
      case "create":
        entries.set(step.principalArn, {
          principalArn: step.principalArn,
          type: step.type,
          ...(step.username === undefined ? {} : { username: step.username }),
          kubernetesGroups: step.kubernetesGroups,
          policies: [],
        });
        break;
      case "update":
        if (entry) {
          entry.kubernetesGroups = step.kubernetesGroups;
          if (step.username !== undefined) entry.username = step.username;
        }
        break;
      case "associate":
        if (entry) {
          entry.policies = [
            ...entry.policies.filter((p) => p.policyArn !== step.policyArn),
            { policyArn: step.policyArn, accessScope: step.accessScope },
          ];
        }
        break;
      case "disassociate":
        if (entry) entry.policies = entry.policies.filter((p) => p.policyArn !== step.policyArn);
        break;
      case "delete":
        entries.delete(step.principalArn);
        break;
    }
  }
  return normalizePicture({ authenticationMode: live.authenticationMode, entries: [...entries.values()] });
}

export function stepLine(step: AccessStep): string {
  switch (step.op) {
    case "create":
      return `create access entry ${step.principalArn} (${step.type})${step.kubernetesGroups.length ? ` in ${step.kubernetesGroups.join(", ")}` : ""}`;
    case "update":
      return `update access entry ${step.principalArn}: groups ${step.kubernetesGroups.join(", ") || "(none)"}${step.username ? `, username "${step.username}"` : ""}`;
    case "associate":
      return `associate ${step.policyArn} with ${step.principalArn} at ${step.accessScope.type === "cluster" ? "cluster scope" : `namespaces ${step.accessScope.namespaces.join(", ")}`}`;
    case "disassociate":
      return `disassociate ${step.policyArn} from ${step.principalArn}`;
    case "delete":
      return `delete access entry ${step.principalArn}`;
  }
}

export interface AccessRestoreRequest {
  cluster: string;
  /** A record id, `last-good`, `latest` or `previous`. @default "last-good" */
  to?: string;
  dryRun?: boolean;
  /** Restore a target that is not good (dangerous, or carrying danger). Never overrides refusals. */
  force?: boolean;
  reason?: string;
  requestedBy?: string;
  /** The real run proceeds only while the live picture still has this fingerprint (from the dry run). */
  expectLiveFingerprint?: string;
}

export interface AccessRestoreResult {
  cluster: string;
  target: string;
  targetTime?: string;
  outcome: AccessRestoreRecord["outcome"];
  dryRun: boolean;
  steps: string[];
  lines: string[];
  notes: string[];
  refusals: string[];
  liveFingerprint?: string;
  /** Steps that ran before a failure. */
  done: string[];
  error?: string;
  verification: { ok: boolean; detail: string };
  /** The cluster's creator, named when a restore fails. */
  creator?: string;
  /** How the creator still gets in (explain-access.ts `creatorWayIn`), with what the restore saw of the cluster. */
  creatorWayIn?: string;
  recordLocation?: string;
}

export interface AccessRestoreDeps {
  api: AccessEntryApi;
  store: AccessStore;
  notifier?: Notifier;
  guardianRoleArn?: string;
  now: () => Date;
}

function result(
  request: AccessRestoreRequest,
  partial: Partial<AccessRestoreResult> & Pick<AccessRestoreResult, "outcome" | "verification">,
): AccessRestoreResult {
  return {
    cluster: request.cluster,
    target: request.to ?? "last-good",
    dryRun: request.dryRun === true,
    steps: [],
    lines: [],
    notes: [],
    refusals: [],
    done: [],
    ...partial,
  };
}

/** Plans, and unless dry run, applies and verifies an access-entry restore. Files a restore record. */
export async function executeAccessRestore(
  deps: AccessRestoreDeps,
  request: AccessRestoreRequest,
): Promise<AccessRestoreResult> {
  const { store, api } = deps;
  const creator = await store.creatorOf(request.cluster).catch(() => undefined);
  const withCreator = (picture?: AccessPicture, mode?: string) =>
    creator ? { creator, creatorWayIn: creatorWayIn(creator, picture, mode) } : {};
  let target: AccessRecord | undefined;
  try {
    target = await store.resolve(request.cluster, request.to ?? "last-good");
  } catch (error) {
    if (!(error instanceof RecordIntegrityError)) throw error;
    // Not the guardian's record: refused, filed and announced, dry run or not.
    const refused = result(request, {
      outcome: "refused",
      refusals: [error.message],
      verification: { ok: false, detail: "nothing restored: the version failed its integrity check" },
    });
    await alertRestore(deps, refused, request).catch(() => undefined);
    return file(deps, request, refused);
  }
  if (!target) {
    return file(
      deps,
      request,
      result(request, {
        outcome: "refused",
        refusals: [`no access record ${request.to ?? "last-good"} for cluster ${request.cluster}`],
        verification: { ok: false, detail: "nothing restored" },
      }),
    );
  }
  const refusals: string[] = [];
  if (target.state !== "verified" || !target.picture) {
    refusals.push(
      `version ${target.id} is unverified: its access picture was never read, so it cannot be restored`,
    );
  } else if (!target.good && !request.force) {
    refusals.push(
      `version ${target.id} is not a good version (${target.class}${target.findings.length ? `: ${target.findings.map((f) => f.id).join(", ")}` : ""}); pass --force to restore it anyway`,
    );
  }
  const base = { target: target.id, targetTime: target.time };
  if (refusals.length || !target.picture) {
    return file(
      deps,
      request,
      result(request, {
        ...base,
        outcome: "refused",
        refusals,
        verification: { ok: false, detail: "nothing restored" },
      }),
    );
  }
  const live = await readAccessPicture(api, request.cluster);
  const liveFingerprint = pictureFingerprint(live);
  const plan = planAccessRestore(live, target.picture, {
    ...(deps.guardianRoleArn ? { guardianRoleArn: deps.guardianRoleArn } : {}),
  });
  const planned = {
    ...base,
    steps: plan.steps.map(stepLine),
    lines: plan.lines,
    notes: plan.notes,
    refusals: plan.refusals,
    liveFingerprint,
  };
  if (plan.refusals.length) {
    return file(
      deps,
      request,
      result(request, {
        ...planned,
        outcome: "refused",
        verification: { ok: false, detail: "nothing restored" },
      }),
    );
  }
  if (plan.steps.length === 0) {
    return file(
      deps,
      request,
      result(request, {
        ...planned,
        outcome: "already-equal",
        verification: { ok: true, detail: "the live access entries already match the version" },
      }),
    );
  }
  if (request.dryRun) {
    return result(request, {
      ...planned,
      outcome: "dry-run",
      verification: { ok: true, detail: "dry run: nothing written" },
    });
  }
  if (request.expectLiveFingerprint !== undefined && request.expectLiveFingerprint !== liveFingerprint) {
    return file(
      deps,
      request,
      result(request, {
        ...planned,
        outcome: "refused",
        refusals: [
          "the live access entries changed since the dry run; run the restore again to see the new plan",
        ],
        verification: { ok: false, detail: "nothing restored" },
      }),
    );
  }
  const done: string[] = [];
  try {
    for (const step of plan.steps) {
      await apply(api, request.cluster, step);
      done.push(stepLine(step));
    }
  } catch (error) {
    const failed = result(request, {
      ...planned,
      // Some steps may have run: only the mode is sure, not which entries are left.
      ...withCreator(undefined, live.authenticationMode),
      outcome: "failed",
      done,
      error: `${(error as { code?: string }).code ?? (error as Error).name}: ${(error as Error).message}`,
      verification: { ok: false, detail: `stopped after ${done.length} of ${plan.steps.length} steps` },
    });
    await alertRestore(deps, failed, request);
    return file(deps, request, failed);
  }
  const after = await readAccessPicture(api, request.cluster);
  const expected = simulate(live, plan.steps);
  const same = pictureFingerprint(after) === pictureFingerprint(expected);
  const outcome = result(request, {
    ...planned,
    ...(same ? {} : withCreator(after)),
    outcome: same ? "restored" : "failed",
    done,
    verification: same
      ? { ok: true, detail: `read back: the access entries match version ${target.id}` }
      : { ok: false, detail: `read back differs: ${changeLines(diffPictures(expected, after)).join("; ")}` },
  });
  await recordRestored(deps, request, target, after);
  await alertRestore(deps, outcome, request);
  return file(deps, request, outcome);
}

async function apply(api: AccessEntryApi, cluster: string, step: AccessStep): Promise<void> {
  switch (step.op) {
    case "create":
      await api.createAccessEntry(cluster, {
        principalArn: step.principalArn,
        type: step.type,
        ...(step.type === "STANDARD"
          ? {
              ...(step.username === undefined ? {} : { username: step.username }),
              kubernetesGroups: step.kubernetesGroups,
            }
          : {}),
      });
      return;
    case "update":
      await api.updateAccessEntry(cluster, step.principalArn, {
        kubernetesGroups: step.kubernetesGroups,
        ...(step.username === undefined ? {} : { username: step.username }),
      });
      return;
    case "associate":
      await api.associateAccessPolicy(cluster, step.principalArn, step.policyArn, step.accessScope);
      return;
    case "disassociate":
      await api.disassociateAccessPolicy(cluster, step.principalArn, step.policyArn);
      return;
    case "delete":
      await api.deleteAccessEntry(cluster, step.principalArn);
      return;
  }
}

/** The restored picture becomes a record of its own, so history shows the way back. */
async function recordRestored(
  deps: AccessRestoreDeps,
  request: AccessRestoreRequest,
  target: AccessRecord,
  picture: AccessPicture,
): Promise<void> {
  const now = deps.now().toISOString();
  const record: AccessRecord = {
    kind: "access",
    id: accessRecordId(now, "restore"),
    cluster: request.cluster,
    time: now,
    state: "verified",
    picture,
    capture: { reason: `restored to ${target.id}${request.reason ? `: ${request.reason}` : ""}`, at: now },
    class: "routine",
    findings: [],
    good:
      target.picture !== undefined &&
      pictureFingerprint(picture) ===
        pictureFingerprint({ ...target.picture, authenticationMode: picture.authenticationMode }),
    predecessorId: (await deps.store.getPointer(request.cluster, "latest"))?.id ?? target.id,
  };
  await deps.store.putRecord(record);
  await deps.store.advancePointer("latest", record);
  if (record.good) await deps.store.advancePointer("last-good", record);
}

async function alertRestore(
  deps: AccessRestoreDeps,
  outcome: AccessRestoreResult,
  request: AccessRestoreRequest,
): Promise<void> {
  if (!deps.notifier) return;
  await deps.notifier.publish(
    renderAccessRestoreAlert(outcome, {
      ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
      ...(request.reason ? { reason: request.reason } : {}),
    }),
  );
}

/** One value (an EKS message, a requester, a reason) never takes more than this on a line. */
const VALUE_CHARS = 600;

function accessRestoreTitle(outcome: AccessRestoreResult): string {
  if (outcome.outcome === "restored") return "RESTORED";
  if (outcome.outcome === "refused") return "RESTORE REFUSED";
  return "RESTORE FAILED";
}

function accessRestoreHeadline(outcome: AccessRestoreResult): string {
  if (outcome.outcome === "restored") return `back to ${outcome.target}`;
  if (outcome.outcome === "refused") return outcome.refusals[0] ?? "refused";
  return outcome.verification.detail;
}

/** How the creator still gets in, as the restore saw it (older results carry only the creator). */
export function wayIn(outcome: AccessRestoreResult, creator: string): string {
  return outcome.creatorWayIn ?? creatorWayIn(creator);
}

/**
 * The notification of an access-entry restore that wrote, failed or was refused, in the three shapes of every
 * alert. Every value that a caller, a record or EKS supplied (target, steps, reasons, requester, errors,
 * the creator) is encoded for its medium: folded to one line in the e-mail, Slack-escaped in the Chatbot
 * notification, printable ASCII in the subject, shell-quoted in commands.
 */
export function renderAccessRestoreAlert(
  outcome: AccessRestoreResult,
  context: { requestedBy?: string; reason?: string } = {},
): OutboundAlert {
  const ok = outcome.outcome === "restored";
  const v = (text: string) => oneLine(text, VALUE_CHARS);
  const lastResort = outcome.creator
    ? shellCommand([
        literal("aws-auth-guardian restore --access-entries --direct"),
        ...option("--cluster", outcome.cluster),
        ...option("--to", outcome.target),
      ])
    : undefined;
  const lines = [
    `Cluster:   ${v(outcome.cluster)}`,
    `Target:    ${v(outcome.target)}`,
    `Outcome:   ${v(outcome.outcome)} (${v(outcome.verification.detail)})`,
    ...(context.requestedBy ? [`By:        ${v(context.requestedBy)}`] : []),
    ...(context.reason ? [`Reason:    ${v(context.reason)}`] : []),
    ...(outcome.refusals.length
      ? ["", "Refused because", ...outcome.refusals.map((r) => `  - ${v(r)}`)]
      : []),
    "",
    "Steps",
    ...(outcome.done.length ? outcome.done.map((s) => `  done: ${v(s)}`) : ["  (none ran)"]),
    ...(outcome.error ? ["", `Error: ${v(outcome.error)}`] : []),
    ...(outcome.outcome === "failed"
      ? [
          "",
          outcome.creator && lastResort
            ? `Way in of last resort: ${v(wayIn(outcome, outcome.creator))}; restore with its credentials: ${lastResort}`
            : "The cluster's creator is not known to the guardian; see the lockout runbook in the README.",
        ]
      : []),
  ];
  const slack = [
    `*Outcome:* ${slackText(outcome.outcome)}  *Target:* ${slackCode(outcome.target, VALUE_CHARS)}`,
    `*Verified:* ${outcome.verification.ok ? "yes" : "no"}: ${slackText(outcome.verification.detail, VALUE_CHARS)}`,
    context.requestedBy ? `*By:* ${slackCode(context.requestedBy, VALUE_CHARS)}` : "",
    context.reason ? `*Reason:* ${slackText(context.reason, VALUE_CHARS)}` : "",
    outcome.refusals.length
      ? `*Refused:*\n${outcome.refusals.map((r) => `• ${slackText(r, VALUE_CHARS)}`).join("\n")}`
      : "",
    outcome.done.length
      ? `*Steps done:*\n${slackCodeBlock(outcome.done.slice(0, 50).map((s) => oneLine(s, VALUE_CHARS)))}`
      : "*Steps done:* none",
    outcome.error ? `*Error:* ${slackText(outcome.error, VALUE_CHARS)}` : "",
    outcome.outcome === "failed"
      ? outcome.creator && lastResort
        ? `*Way in of last resort:* ${slackText(wayIn(outcome, outcome.creator), VALUE_CHARS)}: ${slackCode(lastResort)}`
        : "*Way in of last resort:* the cluster's creator is not known to the guardian; see the lockout runbook in the README."
      : "",
  ]
    .filter(Boolean)
    .join("\n");
  const subject = subjectLine(
    `[access-entry ${accessRestoreTitle(outcome)}] ${outcome.cluster}: ${oneLine(accessRestoreHeadline(outcome))}`,
  );
  return {
    subject,
    email: `${subject}\n\n${lines.join("\n")}\n`,
    chatbot: JSON.stringify({
      version: "1.0",
      source: "custom",
      content: {
        textType: "client-markdown",
        title: slackText(
          `access-entry ${accessRestoreTitle(outcome)} on ${outcome.cluster}: ${accessRestoreHeadline(outcome)}`,
          250,
        ),
        description: capSlack(slack, 3500),
      },
      metadata: {
        threadId: `aws-auth-guardian/${oneLine(outcome.cluster, 100)}`,
        eventType: `access-entry-restore-${outcome.outcome}`,
      },
    }),
    attributes: {
      severity: ok ? "info" : outcome.outcome === "refused" ? "medium" : "critical",
      class: ok ? "routine" : outcome.outcome === "refused" ? "restore" : "dangerous",
      cluster: oneLine(outcome.cluster, 256),
      source: "access-entries",
    },
  };
}

async function file(
  deps: AccessRestoreDeps,
  request: AccessRestoreRequest,
  outcome: AccessRestoreResult,
): Promise<AccessRestoreResult> {
  const key = await deps.store.putRestore({
    cluster: request.cluster,
    at: deps.now().toISOString(),
    target: outcome.target,
    ...(request.requestedBy ? { by: request.requestedBy } : {}),
    ...(request.reason ? { reason: request.reason } : {}),
    dryRun: outcome.dryRun,
    outcome: outcome.outcome,
    detail: outcome.error ?? (outcome.refusals.join("; ") || outcome.verification.detail),
    steps: outcome.done,
  });
  return { ...outcome, recordLocation: deps.store.blobs.locate(key) };
}
