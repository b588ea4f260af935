/**
 * One access-entry call through the guardian: judge it, read the cluster's whole access picture back
 * (read-only), file a versioned record, move the pointers, alert once. Idempotent per CloudTrail
 * `eventID`: a redelivery finishes what an earlier delivery left undone and repeats nothing.
 */
import { renderAccessAlert } from "./access-alert.js";
import type { AccessEvent } from "./access-event.js";
import {
  type AccessChange,
  type AccessPicture,
  changesOfEvent,
  diffPictures,
  readAccessPicture,
} from "./access-picture.js";
import { carriedDangers, judgeAccessEvent } from "./access-rules.js";
import { type AccessRecord, type AccessStore, accessRecordId } from "./access-store.js";
import type { GuardianPolicy } from "./policy.js";
import type { AccessEntryApi, Notifier } from "./ports.js";
import type { SnapshotStore } from "./snapshot-store.js";

export interface AccessPipelineDeps {
  store: AccessStore;
  /** The aws-auth store: its alert markers are shared, so one event never alerts twice. */
  markers: Pick<SnapshotStore, "alertSent" | "markAlertSent">;
  notifier: Notifier;
  /** Read-only use: describe cluster, list/describe entries, list associated policies. */
  api: AccessEntryApi;
  policy: GuardianPolicy;
  guardianRoleArn?: string;
  /** The principal that keeps implicit admin, when discovery recorded it. */
  creatorOf?: (cluster: string) => Promise<string | undefined>;
  now: () => Date;
}

export interface AccessOutcome {
  eventID: string;
  cluster: string;
  eventName: string;
  class: AccessRecord["class"];
  recordId?: string;
  state?: AccessRecord["state"];
  duplicate: boolean;
  alerted: boolean;
}

function alertKey(eventID: string): string {
  return `cloudtrail-${eventID}`;
}

/** Throws only when the store or the notifier fail (the caller retries the delivery). */
export async function processAccessEvent(
  deps: AccessPipelineDeps,
  event: AccessEvent,
): Promise<AccessOutcome> {
  const { store, policy } = deps;
  const cluster = event.cluster;
  const clusterAccount = policy.clusterAccount ?? event.account;
  const base = { eventID: event.eventID, cluster, eventName: event.eventName };

  if (event.errorCode !== undefined) {
    // A refused call changed nothing: keep it as an attempt, no picture to read.
    const verdict = judgeAccessEvent({ event, changes: [], policy, ...ctxOf(deps, clusterAccount) });
    const fresh = await store.putAttempt({
      cluster,
      time: deps.now().toISOString(),
      event,
      class: verdict.class,
      findings: verdict.findings,
    });
    const alerted =
      verdict.alert &&
      (await alertOnce(deps, cluster, event.eventID, {
        cluster,
        ...(clusterAccount ? { clusterAccount } : {}),
        class: verdict.class,
        severity: verdict.severity,
        findings: verdict.findings,
        event,
        changes: [],
      }));
    return { ...base, class: verdict.class, duplicate: !fresh, alerted };
  }

  const now = deps.now().toISOString();
  const plannedId = accessRecordId(now, event.eventID);
  const claimedId = await store.claimEvent(cluster, event.eventID, plannedId);
  const duplicate = claimedId !== plannedId;
  let record = duplicate ? await store.getRecord(cluster, claimedId) : undefined;
  const ids = await store.listIds(cluster);
  const history = await store.historyBefore(cluster, ids, claimedId);
  // What the call changed, against a picture read BEFORE the call: a picture read later (an earlier event's
  // record, read after several calls landed together) may already hold this call's effect, and would turn
  // "+ ClusterAdmin at cluster scope" into "(was cluster scope)".
  const changes: AccessChange[] = changesOfEvent(
    event,
    await pictureReadBefore(store, cluster, ids, claimedId, event.eventTime),
  );
  const verdict = judgeAccessEvent({ event, changes, policy, ...ctxOf(deps, clusterAccount) });
  if (record === undefined) {
    const read = await readPicture(deps.api, cluster);
    const carried =
      read.picture && history.lastGood?.picture
        ? carriedDangers({
            changes: diffPictures(history.lastGood.picture, read.picture),
            policy,
            ...ctxOf(deps, clusterAccount),
          })
        : [];
    record = {
      kind: "access",
      id: claimedId,
      cluster,
      time: duplicate ? deps.now().toISOString() : now,
      state: read.picture ? "verified" : "unverified",
      ...(read.picture ? { picture: read.picture } : { readError: read.error }),
      event,
      class: verdict.class,
      findings: [
        ...verdict.findings,
        ...(verdict.class !== "dangerous" && carried.length
          ? [
              {
                id: "access-carries-earlier-danger",
                severity: "medium" as const,
                message: `This state still carries an earlier dangerous change (${carried.map((f) => f.id).join(", ")}); it is not a restore target.`,
              },
            ]
          : []),
      ],
      good: read.picture !== undefined && verdict.class !== "dangerous" && carried.length === 0,
      ...(history.previous ? { predecessorId: history.previous.id } : {}),
    };
    await store.putRecord(record);
  }
  await store.advancePointer("latest", record);
  if (record.good) await store.advancePointer("last-good", record);

  const alerted =
    verdict.alert || record.state === "unverified"
      ? await alertOnce(deps, cluster, event.eventID, {
          cluster,
          ...(clusterAccount ? { clusterAccount } : {}),
          class: verdict.class,
          severity: verdict.severity,
          findings: record.findings,
          event,
          changes,
          record,
          ...(history.lastGood ? { restoreTarget: history.lastGood } : {}),
          storeLocation: store.root(),
          ...(await creatorLine(deps, cluster, verdict.class)),
        })
      : false;
  return { ...base, class: verdict.class, recordId: record.id, state: record.state, duplicate, alerted };
}

function ctxOf(deps: AccessPipelineDeps, clusterAccount: string | undefined) {
  return {
    ...(clusterAccount ? { clusterAccount } : {}),
    ...(deps.guardianRoleArn ? { guardianRoleArn: deps.guardianRoleArn } : {}),
  };
}

async function creatorLine(
  deps: AccessPipelineDeps,
  cluster: string,
  cls: string,
): Promise<{ creator?: string }> {
  if (cls !== "dangerous" || !deps.creatorOf) return {};
  const creator = await deps.creatorOf(cluster).catch(() => undefined);
  return creator ? { creator } : {};
}

/** How far back a search for a picture read before an event goes (records, newest first). */
const PICTURE_LOOKBACK = 20;

/**
 * The newest verified picture read strictly before `eventTime` (CloudTrail's time, whole seconds: the call
 * happened within that second), among the records before `id`; undefined when none is known to predate it.
 */
export async function pictureReadBefore(
  store: AccessStore,
  cluster: string,
  ids: readonly string[],
  id: string,
  eventTime: string,
): Promise<AccessPicture | undefined> {
  const happened = Date.parse(eventTime);
  if (Number.isNaN(happened)) return undefined;
  const earlier = ids.filter((other) => other < id);
  for (let i = earlier.length - 1, seen = 0; i >= 0 && seen < PICTURE_LOOKBACK; i--, seen++) {
    const record = await store.getRecord(cluster, earlier[i] as string);
    if (record?.state !== "verified" || !record.picture) continue;
    if (Date.parse(record.time) < Math.floor(happened / 1000) * 1000) return record.picture;
  }
  return undefined;
}

async function readPicture(
  api: AccessEntryApi,
  cluster: string,
): Promise<{ picture: AccessPicture; error?: undefined } | { picture?: undefined; error: string }> {
  try {
    return { picture: await readAccessPicture(api, cluster) };
  } catch (error) {
    const e = error as { name?: string; code?: string; message?: string };
    return { error: `${e.code ?? e.name ?? "Error"}: ${e.message ?? String(error)}` };
  }
}

async function alertOnce(
  deps: AccessPipelineDeps,
  cluster: string,
  eventID: string,
  input: Parameters<typeof renderAccessAlert>[0],
): Promise<boolean> {
  const key = alertKey(eventID);
  if (await deps.markers.alertSent(cluster, key)) return false;
  await deps.notifier.publish(renderAccessAlert(input));
  await deps.markers.markAlertSent(cluster, key, deps.now().toISOString());
  return true;
}

/** Files a capture of the live picture (discovery's baseline, verify): no event, just the state. */
export async function captureAccessPicture(
  deps: Pick<AccessPipelineDeps, "store" | "api" | "now" | "policy" | "guardianRoleArn">,
  cluster: string,
  reason: string,
): Promise<AccessRecord> {
  const now = deps.now().toISOString();
  const id = accessRecordId(now, "capture");
  const ids = await deps.store.listIds(cluster);
  const history = await deps.store.historyBefore(cluster, ids, id);
  const read = await readPicture(deps.api, cluster);
  const carried =
    read.picture && history.lastGood?.picture
      ? carriedDangers({
          changes: diffPictures(history.lastGood.picture, read.picture),
          policy: deps.policy,
          ...(deps.guardianRoleArn ? { guardianRoleArn: deps.guardianRoleArn } : {}),
          ...(deps.policy.clusterAccount ? { clusterAccount: deps.policy.clusterAccount } : {}),
        })
      : [];
  const record: AccessRecord = {
    kind: "access",
    id,
    cluster,
    time: now,
    state: read.picture ? "verified" : "unverified",
    ...(read.picture ? { picture: read.picture } : { readError: read.error }),
    capture: { reason, at: now },
    class: carried.length ? "dangerous" : "routine",
    findings: carried,
    good: read.picture !== undefined && carried.length === 0,
    ...(history.previous ? { predecessorId: history.previous.id } : {}),
  };
  await deps.store.putRecord(record);
  await deps.store.advancePointer("latest", record);
  if (record.good) await deps.store.advancePointer("last-good", record);
  return record;
}
