/**
 * Puts a known version of aws-auth back, shared by the cluster-access function and
 * `restore --direct`: read the live object, plan (core/restore-plan.ts), write with optimistic
 * concurrency, read back and verify, record the restore, announce it. Every outcome, refusals and
 * failures included, is recorded and returned as data. Only reading the target from the store may
 * throw; a failure to record or announce after the cluster was touched becomes a warning in the result.
 */
import { diffLines } from "../core/alert.js";
import { modelOf } from "../core/classify.js";
import { diffModels } from "../core/diff.js";
import { literal, oneLine, option, quoted, shellCommand } from "../core/encode.js";
import { RecordIntegrityError } from "../core/integrity.js";
import { type AwsAuthClient, type ConfigMapObject, ConflictError, type Notifier } from "../core/ports.js";
import type { VersionRecord } from "../core/records.js";
import {
  differingDataKeys,
  planRestore,
  type RecreatePlan,
  type RestoreAction,
  type RestorePlan,
} from "../core/restore-plan.js";
import type { RestoreRecord, SnapshotStore } from "../core/snapshot-store.js";
import { renderRestoreAlert } from "./restore-alert.js";

/** Default bound on re-read/re-plan/retry rounds after a 409 from a concurrent writer. */
export const DEFAULT_CONFLICT_RETRIES = 3;

export interface RestoreRequest {
  cluster: string;
  /** `last-good` (default), `previous`, `latest` or a version id; ignored when `target` is given. */
  to?: string;
  /** A target that is not read from the store (`restore --direct --snapshot FILE`). */
  target?: VersionRecord;
  dryRun?: boolean;
  force?: boolean;
  reason?: string;
  /** Who asked, as the caller says (not authenticated); kept in the record. */
  requestedBy?: string;
  /**
   * Go ahead only while the live aws-auth is still at this resourceVersion (`""`: still absent):
   * what the dry run that the user confirmed was planned against. Any change in between refuses.
   */
  expectLiveResourceVersion?: string;
}

export interface RestoreDeps {
  client: AwsAuthClient;
  /** Where a named target is read and the restore recorded; absent only with an explicit `target`. */
  store?: SnapshotStore;
  notifier: Notifier;
  now: () => Date;
  /** Shown with the result and in the notification (e.g. no lockout-proof access). */
  warnings?: string[];
  /** The cluster's creator (the way in of last resort), named in the alert of a failed or refused restore. */
  creator?: string;
  /** @default 3 */
  conflictRetries?: number;
  /** Creates tried after deleting an immutable aws-auth, before giving up and saying how to recover. @default 3 */
  createAttempts?: number;
  /** Waits between those creates; injected so tests do not wait. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  log?: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;
}

export type RestoreOutcome = RestoreRecord["outcome"];

export interface Verification {
  /** True only when the object read back grants the target's mappings with the target's exact data strings. */
  ok: boolean;
  detail: string;
}

export interface RestoreResult {
  outcome: RestoreOutcome;
  cluster: string;
  /** The version restored (its id), or what was asked for when it could not be resolved. */
  target: string;
  targetTime?: string;
  targetClass?: VersionRecord["class"];
  action: RestoreAction;
  /** Live → target, `+`/`-`/`~`/`!` lines as in alerts; empty when access does not change. */
  diffLines: string[];
  /** Keys of `data` whose strings the write changes (live → target). */
  dataKeysChanged: string[];
  /** The live resourceVersion the final plan was made against; absent when aws-auth did not exist. */
  liveResourceVersion?: string;
  resourceVersionWritten?: string;
  verification: Verification;
  refusal?: string[];
  /** Refusals that `force` overrode. */
  overridden: string[];
  /** The exact object written (or, for a dry run, that would be written). */
  body?: ConfigMapObject;
  /** Writes attempted (more than one after conflicts). */
  attempts: number;
  dryRun: boolean;
  forced: boolean;
  warnings: string[];
  /** Where the restore record was stored. */
  recordLocation?: string;
  notified: boolean;
  /** Why a failed restore failed (cluster error, conflicts, verification). */
  error?: string;
  /** Set when the live aws-auth was immutable: the delete's preconditions and why it was deleted and created. */
  recreate?: RecreatePlan;
  /** True when this restore deleted the (immutable) live aws-auth. */
  deletedLive?: boolean;
  /**
   * When the delete went through but no create did: the exact object to create by hand (JSON, as
   * `kubectl create -f -` reads it). The cluster has no aws-auth until someone does.
   */
  recovery?: string;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function verifyReadBack(
  target: ConfigMapObject,
  targetId: string,
  written: ConfigMapObject,
  readBack: ConfigMapObject | undefined,
): Verification {
  const writtenVersion = written.metadata.resourceVersion;
  if (readBack === undefined) {
    return {
      ok: false,
      detail: `wrote resourceVersion ${writtenVersion ?? "?"}, but aws-auth was not found when read back: something deleted it right after the write`,
    };
  }
  const readVersion = readBack.metadata.resourceVersion;
  const semantic = diffModels(modelOf(target), modelOf(readBack));
  const keys = differingDataKeys(target, readBack);
  const later =
    readVersion !== writtenVersion
      ? ` (read back resourceVersion ${readVersion ?? "?"}, not the ${writtenVersion ?? "?"} written: another write landed after ours)`
      : "";
  const frozen = readBack.immutable === true;
  if (semantic.effectiveEqual && keys.length === 0 && !frozen) {
    return {
      ok: true,
      detail: `read back resourceVersion ${readVersion ?? "?"}: the effective mappings and every data string equal version ${targetId}${later}`,
    };
  }
  const problems: string[] = [];
  if (!semantic.effectiveEqual) {
    problems.push(`the mappings differ from version ${targetId} (${diffLines(semantic).join("; ")})`);
  }
  if (keys.length > 0) problems.push(`data ${keys.map((k) => `"${k}"`).join(", ")} differ from the snapshot`);
  if (frozen) problems.push("aws-auth is immutable again");
  return { ok: false, detail: `read back after the write: ${problems.join(" and ")}${later}` };
}

interface Finish {
  outcome: RestoreOutcome;
  plan?: RestorePlan;
  live?: ConfigMapObject;
  target?: VersionRecord;
  targetName: string;
  verification: Verification;
  refusal?: string[];
  resourceVersionWritten?: string;
  error?: string;
  attempts: number;
  deletedLive?: boolean;
  recovery?: string;
  /** Announce even a dry run: the refusal is news (a record failed its integrity check). */
  announce?: boolean;
}

export async function executeRestore(deps: RestoreDeps, request: RestoreRequest): Promise<RestoreResult> {
  const { client, store, notifier } = deps;
  const log = deps.log ?? (() => {});
  const maxRetries = deps.conflictRetries ?? DEFAULT_CONFLICT_RETRIES;
  const dryRun = request.dryRun === true;
  const force = request.force === true;
  const warnings = [...(deps.warnings ?? [])];
  if (!store) warnings.push("This restore is not recorded: no snapshot store was given.");

  const finish = async (f: Finish): Promise<RestoreResult> => {
    const plan = f.plan;
    const result: RestoreResult = {
      outcome: f.outcome,
      cluster: request.cluster,
      target: f.target?.id ?? f.targetName,
      ...(f.target ? { targetTime: f.target.time, targetClass: f.target.class } : {}),
      action: plan?.action ?? "none",
      diffLines: plan ? diffLines(plan.diff) : [],
      dataKeysChanged: plan?.body ? differingDataKeys(f.live, plan.body) : [],
      ...(plan?.liveResourceVersion !== undefined ? { liveResourceVersion: plan.liveResourceVersion } : {}),
      ...(f.resourceVersionWritten !== undefined ? { resourceVersionWritten: f.resourceVersionWritten } : {}),
      verification: f.verification,
      ...(f.refusal ? { refusal: f.refusal } : {}),
      overridden: plan?.overridden ?? [],
      ...(plan?.body ? { body: plan.body } : {}),
      attempts: f.attempts,
      dryRun,
      forced: force,
      warnings,
      notified: false,
      ...(f.error !== undefined ? { error: f.error } : {}),
      ...(plan?.recreate ? { recreate: plan.recreate } : {}),
      ...(f.deletedLive ? { deletedLive: true } : {}),
      ...(f.recovery !== undefined ? { recovery: f.recovery } : {}),
    };
    if (store) {
      const record: RestoreRecord = {
        cluster: request.cluster,
        at: deps.now().toISOString(),
        target: result.target,
        ...(request.reason ? { reason: request.reason } : {}),
        ...(request.requestedBy ? { by: request.requestedBy } : {}),
        dryRun,
        forced: force,
        outcome: result.outcome,
        ...(result.resourceVersionWritten !== undefined
          ? { resourceVersionWritten: result.resourceVersionWritten }
          : {}),
        detail: result.error ?? result.refusal?.join(" ") ?? result.verification.detail,
        action: result.action,
        diffLines: result.diffLines,
        dataKeysChanged: result.dataKeysChanged,
        ...(result.liveResourceVersion !== undefined
          ? { liveResourceVersion: result.liveResourceVersion }
          : {}),
        verification: result.verification,
        ...(result.refusal ? { refusal: result.refusal } : {}),
        overridden: result.overridden,
        attempts: result.attempts,
        warnings,
        clusterTarget: client.target,
        ...(result.recreate ? { recreate: result.recreate } : {}),
        ...(result.deletedLive ? { deletedLive: true } : {}),
        ...(result.recovery !== undefined ? { recovery: result.recovery } : {}),
      };
      try {
        const key = await store.putRestore(record);
        result.recordLocation = store.locate(key);
      } catch (error) {
        // The cluster may already hold our write: report that, never hide it behind a store failure.
        warnings.push(`The restore could not be recorded in ${store.root()}: ${errorText(error)}`);
        log("error", "restore record failed", { error: errorText(error) });
      }
    }
    // Dry runs (refused ones included) and no-ops change nothing: recorded, not announced.
    if (
      f.announce ||
      (!dryRun &&
        (result.outcome === "restored" || result.outcome === "failed" || result.outcome === "refused"))
    ) {
      try {
        await notifier.publish(
          renderRestoreAlert(result, {
            ...(request.reason ? { reason: request.reason } : {}),
            ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
            ...(store ? { storeLocation: store.root() } : {}),
            ...(deps.creator ? { creator: deps.creator } : {}),
          }),
        );
        result.notified = true;
      } catch (error) {
        warnings.push(`The restore notification could not be published: ${errorText(error)}`);
        log("error", "restore notification failed", { error: errorText(error) });
      }
    }
    log(result.outcome === "failed" ? "error" : "info", `restore ${result.outcome}`, {
      target: result.target,
      restoreAction: result.action,
      attempts: result.attempts,
      ...(result.resourceVersionWritten ? { resourceVersionWritten: result.resourceVersionWritten } : {}),
      verified: result.verification.ok,
    });
    return result;
  };

  const notWritten = (why: string): Verification => ({ ok: false, detail: `nothing written: ${why}` });

  // 1. The target: given, or read from the store once; it stays the same over conflict retries.
  const targetName = request.target?.id ?? request.to ?? "last-good";
  let target = request.target;
  if (!target) {
    if (!store) throw new Error("executeRestore: a store or an explicit target is required");
    try {
      target = await store.resolve(request.cluster, targetName);
    } catch (error) {
      if (!(error instanceof RecordIntegrityError)) throw error;
      // Someone other than the guardian wrote the record (or altered it): refused, recorded, announced.
      log("warn", "restore target failed its integrity check", { location: error.location });
      return finish({
        outcome: "refused",
        targetName,
        refusal: [error.message],
        verification: notWritten("the version failed its integrity check"),
        attempts: 0,
        announce: true,
      });
    }
    if (!target) {
      const history = shellCommand([
        literal("aws-auth-guardian history"),
        ...option("--cluster", request.cluster),
      ]);
      const message = `No version ${quoted(targetName, 200)} of cluster ${oneLine(request.cluster, 200)} in ${store.root()}; list the versions with: ${history}`;
      return finish({
        outcome: "refused",
        targetName,
        refusal: [message],
        verification: notWritten("no such version"),
        attempts: 0,
      });
    }
  }

  let attempts = 0;
  for (;;) {
    // 2. The live object and the plan, afresh on every round.
    let live: ConfigMapObject | undefined;
    try {
      live = await client.read();
    } catch (error) {
      const message = `cannot read aws-auth from ${client.target}: ${errorText(error)}`;
      return finish({
        outcome: "failed",
        target,
        targetName,
        error: message,
        verification: notWritten(message),
        attempts,
      });
    }
    const plan = planRestore(target, live, { force, dryRun });
    // Every end of this round reports what the round read and planned.
    const endRound = (f: Omit<Finish, "plan" | "live" | "target" | "targetName" | "attempts">) =>
      finish({ ...f, plan, live, target, targetName, attempts });

    const expected = request.expectLiveResourceVersion;
    const liveVersion = live?.metadata.resourceVersion ?? "";
    if (expected !== undefined && expected !== liveVersion) {
      const was = expected === "" ? "absent" : `at resourceVersion ${expected}`;
      const now = live === undefined ? "absent" : `at resourceVersion ${liveVersion}`;
      const refusal = [
        `aws-auth changed after the dry run you confirmed (it was ${was}, it is now ${now}); nothing was written. Run the restore again to review the new diff.`,
      ];
      return endRound({ outcome: "refused", refusal, verification: notWritten("changed since the dry run") });
    }
    if (plan.refusal) {
      return endRound({ outcome: "refused", refusal: plan.refusal, verification: notWritten("refused") });
    }
    if (plan.action === "none" || !plan.body) {
      return endRound({
        outcome: "already-equal",
        verification: { ok: true, detail: plan.note ?? "nothing to write" },
      });
    }
    if (dryRun) {
      return endRound({
        outcome: "dry-run",
        verification: notWritten(`dry run; would ${plan.action} aws-auth with the body shown`),
      });
    }

    // 3. The write, guarded by the resourceVersion just read (replace) or by absence (create).
    attempts += 1;
    let written: ConfigMapObject;
    if (plan.action === "recreate" && plan.recreate) {
      const outcome = await recreate(client, plan.body, plan.recreate, {
        createAttempts: deps.createAttempts ?? DEFAULT_CREATE_ATTEMPTS,
        sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        log,
      });
      if (outcome.kind === "changed") {
        // The immutable object changed or vanished before our delete: nothing written; plan again.
        log("warn", "restore delete precondition failed", { attempt: attempts, error: outcome.detail });
        if (attempts <= maxRetries) continue;
        const message = `gave up after ${attempts} attempts: aws-auth kept changing before the delete (${outcome.detail}); nothing of ours was written`;
        return endRound({ outcome: "failed", error: message, verification: notWritten(message) });
      }
      if (outcome.kind === "failed") {
        return endRound({
          outcome: "failed",
          error: outcome.detail,
          verification: notWritten(outcome.detail),
          ...(outcome.deleted ? { deletedLive: true, recovery: recoveryManifest(plan.body) } : {}),
        });
      }
      written = outcome.created;
    } else
      try {
        written = plan.action === "create" ? await client.create(plan.body) : await client.replace(plan.body);
      } catch (error) {
        let message: string;
        if (error instanceof ConflictError) {
          log("warn", "restore write conflict", { attempt: attempts, error: error.message });
          if (attempts <= maxRetries) continue;
          message = `gave up after ${attempts} attempts: every write met a concurrent change to aws-auth (${error.message}); nothing of ours was written`;
        } else {
          message = `the ${plan.action} of aws-auth on ${client.target} failed: ${errorText(error)}`;
        }
        return endRound({ outcome: "failed", error: message, verification: notWritten(message) });
      }
    const resourceVersionWritten = written.metadata.resourceVersion;
    const targetMap = target.configMap as ConfigMapObject;

    // 4. Read back: what the cluster now holds must be the target, mapping for mapping, string for string.
    let verification: Verification;
    try {
      verification = verifyReadBack(targetMap, target.id, written, await client.read());
    } catch (error) {
      verification = { ok: false, detail: `written, but the read-back failed: ${errorText(error)}` };
    }
    return endRound({
      outcome: verification.ok ? "restored" : "failed",
      verification,
      ...(resourceVersionWritten !== undefined ? { resourceVersionWritten } : {}),
      ...(verification.ok ? {} : { error: `verification failed: ${verification.detail}` }),
      ...(plan.action === "recreate" ? { deletedLive: true } : {}),
    });
  }
}

/** Creates tried after the delete of an immutable aws-auth. */
export const DEFAULT_CREATE_ATTEMPTS = 3;
/** Short waits: every one of them is time without aws-auth. */
const CREATE_BACKOFF_MS = [100, 400];

type RecreateOutcome =
  | { kind: "created"; created: ConfigMapObject }
  | { kind: "changed"; detail: string }
  | { kind: "failed"; detail: string; deleted: boolean };

/**
 * Delete-then-create of an immutable aws-auth, with nothing between the two calls: the delete only
 * succeeds while the object is still the one planned against (uid and resourceVersion), the create
 * follows at once and is retried a few times; if it still fails, the caller gets the exact object
 * to create by hand. Never throws.
 */
async function recreate(
  client: AwsAuthClient,
  body: ConfigMapObject,
  expected: RecreatePlan,
  options: {
    createAttempts: number;
    sleep: (ms: number) => Promise<void>;
    log: NonNullable<RestoreDeps["log"]>;
  },
): Promise<RecreateOutcome> {
  try {
    const deleted = await client.delete({ uid: expected.uid, resourceVersion: expected.resourceVersion });
    if (!deleted) return { kind: "changed", detail: "aws-auth was deleted by someone else" };
  } catch (error) {
    if (error instanceof ConflictError) return { kind: "changed", detail: error.message };
    return {
      kind: "failed",
      deleted: false,
      detail: `the delete of the immutable aws-auth on ${client.target} failed, nothing was changed: ${errorText(error)}`,
    };
  }
  const errors: string[] = [];
  for (let attempt = 1; attempt <= Math.max(1, options.createAttempts); attempt += 1) {
    try {
      return { kind: "created", created: await client.create(body) };
    } catch (error) {
      errors.push(errorText(error));
      options.log("error", "create after deleting the immutable aws-auth failed", {
        attempt,
        error: errorText(error),
      });
      if (error instanceof ConflictError) {
        return {
          kind: "failed",
          deleted: true,
          detail: `the immutable aws-auth was deleted, but someone else created aws-auth before our create (${errorText(error)}): what they wrote is live now, not the version; run the restore again to review it`,
        };
      }
      const wait = CREATE_BACKOFF_MS[attempt - 1];
      if (attempt < options.createAttempts && wait !== undefined) await options.sleep(wait);
    }
  }
  return {
    kind: "failed",
    deleted: true,
    detail: `the immutable aws-auth was DELETED, and creating the version failed ${errors.length} times (last: ${errors.at(-1) ?? "?"}): the cluster has no aws-auth now. Create it by hand with the object in "recovery" (kubectl create -f FILE), or run the restore again`,
  };
}

/** The object to create by hand, as `kubectl create -f -` reads it. */
export function recoveryManifest(body: ConfigMapObject): string {
  return `${JSON.stringify(body, null, 2)}\n`;
}
