/**
 * `capture` and `verify`: read the live aws-auth and file it in the snapshot store through the same
 * pipeline as audited writes. A capture fills in writes whose content the audit stream did not
 * carry and takes the baseline; a verify checks that the store's latest record still describes the
 * cluster. A difference nobody reported (or a deletion nobody reported) means the guardian missed a
 * write: that is a blind spot and it alerts.
 */
import type { AlertInput } from "../core/alert.js";
import { modelOf } from "../core/classify.js";
import { diffModels } from "../core/diff.js";
import { alertOnce, type CaptureOptions, type PipelineDeps, processCapture } from "../core/pipeline.js";
import type { WriteClass } from "../core/policy.js";
import type { AwsAuthClient, ConfigMapObject } from "../core/ports.js";
import { type Finding, type VersionRecord, versionId } from "../core/records.js";

export interface LiveDeps {
  client: AwsAuthClient;
  pipeline: PipelineDeps;
}

export interface CaptureResult {
  operation: "capture";
  cluster: string;
  /** `stored`: a new version; `already-stored`: this resourceVersion was known; `missing`: aws-auth does not exist. */
  outcome: "stored" | "already-stored" | "missing";
  recordId?: string;
  class?: WriteClass;
  /** The live aws-auth differs from the store's latest record and no audit event explains it. */
  drift: boolean;
  alerted: boolean;
  detail: string;
}

export interface VerifyResult {
  operation: "verify";
  cluster: string;
  /**
   * `in-sync`: the live object is the latest record; `drift`: it differs, or exists again after a
   * recorded deletion, without an audit event; `missing`: aws-auth is gone but the latest record is a
   * version; `baseline`: nothing was stored, the live object became the first version;
   * `absent`: aws-auth does not exist and the store agrees (or knows nothing).
   */
  outcome: "in-sync" | "drift" | "missing" | "baseline" | "absent";
  /** The record the live object was compared with. */
  latestId?: string;
  /** The record filed by this verify, if any. */
  recordId?: string;
  blindSpot: boolean;
  alerted: boolean;
  detail: string;
}

/**
 * A write nobody reported is dangerous whatever it changed: alert it once per `key`, offering the last
 * good version to restore unless that is the record `recordId` itself.
 */
async function alertBlindSpot(
  deps: PipelineDeps,
  cluster: string,
  key: string,
  recordId: string,
  alert: Pick<AlertInput, "severity" | "findings" | "record" | "comparedWith" | "diff">,
): Promise<boolean> {
  const lastGood = await deps.store.resolve(cluster, "last-good");
  return alertOnce(deps, cluster, key, {
    cluster,
    ...(deps.policy.clusterAccount ? { clusterAccount: deps.policy.clusterAccount } : {}),
    class: "dangerous",
    ...alert,
    ...(lastGood?.configMap && lastGood.id !== recordId ? { restoreTarget: lastGood } : {}),
    storeLocation: deps.store.root(),
  });
}

/**
 * aws-auth is gone but the store's latest record is a version: no audit event of the deletion
 * reached the guardian. Files a tombstone (so history shows it and the next verify is quiet) and
 * alerts as a blind spot with the command that brings the last good version back.
 */
async function unrecordedDeletion(
  deps: PipelineDeps,
  cluster: string,
  latest: VersionRecord,
  reason: string,
): Promise<{ record: VersionRecord; alerted: boolean }> {
  const at = deps.now().toISOString();
  const findings: Finding[] = [
    {
      id: "unrecorded-deletion",
      severity: "critical",
      message: `aws-auth does not exist in the cluster, but the guardian's latest record (${latest.id}, ${latest.time}) is a version and no audit event of its deletion reached the guardian (audit logging off, subscription filter removed or delivery skipped): every aws-auth mapping is gone.`,
    },
  ];
  const record: VersionRecord = {
    kind: "tombstone",
    id: versionId("tombstone", latest.resourceVersion, `${reason}-${at.replace(/[^0-9]/g, "")}`),
    cluster,
    ...(latest.resourceVersion ? { resourceVersion: latest.resourceVersion } : {}),
    time: at,
    capture: { reason: `${reason}: aws-auth not found in the cluster`, at },
    class: "dangerous",
    findings,
    predecessorId: latest.id,
  };
  await deps.store.putRecord(record);
  await deps.store.advancePointer("latest", record);
  // The tombstone is never the last good version, so the restore target is always offered.
  const alerted = await alertBlindSpot(deps, cluster, `${reason}-${record.id}`, record.id, {
    severity: "critical",
    findings,
    record,
    comparedWith: latest,
    ...(latest.configMap ? { diff: diffModels(modelOf(latest.configMap), undefined) } : {}),
  });
  return { record, alerted };
}

/** aws-auth exists again after the store recorded its deletion, and no audit event says who made it. */
async function unrecordedRecreation(
  deps: PipelineDeps,
  cluster: string,
  tombstone: VersionRecord,
  recordId: string,
): Promise<boolean> {
  const record = await deps.store.getRecord(cluster, recordId);
  const findings: Finding[] = [
    {
      id: "unrecorded-recreation",
      severity: "high",
      message: `aws-auth exists again after the deletion the guardian recorded (${tombstone.id}), and no audit event of its re-creation reached the guardian: who wrote this content is unknown.`,
    },
    ...(record?.findings ?? []),
  ];
  return alertBlindSpot(deps, cluster, `recreated-${recordId}`, recordId, {
    severity: "high",
    findings,
    ...(record ? { record } : {}),
    ...(record?.configMap ? { diff: diffModels(undefined, modelOf(record.configMap)) } : {}),
  });
}

/**
 * The guardian's own restore that wrote exactly this object: a `restored` restore record with the
 * live resourceVersion. A restore with the operator's own kubeconfig (`restore --direct`) files no
 * version, and no audit event may ever reach the store; without this, the next verify would take
 * the restored content for a write nobody reported.
 */
async function writtenByRestore(
  deps: PipelineDeps,
  cluster: string,
  live: ConfigMapObject,
): Promise<CaptureOptions> {
  const resourceVersion = live.metadata.resourceVersion;
  if (!resourceVersion) return {};
  const restores = await deps.store.listRestores(cluster);
  const restore = restores.find(
    (r) => r.outcome === "restored" && !r.dryRun && r.resourceVersionWritten === resourceVersion,
  );
  return restore
    ? {
        writtenByRestore: `version ${restore.target} put back at ${restore.at}${restore.by ? ` by ${restore.by}` : ""}`,
      }
    : {};
}

/** The live aws-auth differs from the latest record though it went back to the last good version. */
async function unrecordedChange(
  deps: PipelineDeps,
  cluster: string,
  latest: VersionRecord,
  recordId: string,
): Promise<boolean> {
  const record = await deps.store.getRecord(cluster, recordId);
  const findings: Finding[] = [
    {
      id: "unrecorded-change",
      severity: "high",
      message: `The live aws-auth differs from the guardian's latest record (${latest.id}, ${latest.time}) and no audit event or restore explains it: the guardian missed a write (audit logging off, subscription filter removed or delivery skipped).`,
    },
    ...(record?.findings ?? []),
  ];
  return alertBlindSpot(deps, cluster, `unrecorded-${recordId}`, recordId, {
    severity: "high",
    findings,
    ...(record ? { record } : {}),
    comparedWith: latest,
    ...(record?.configMap && latest.configMap
      ? { diff: diffModels(modelOf(latest.configMap), modelOf(record.configMap)) }
      : {}),
  });
}

/** Reads the live aws-auth and stores it as a version (no-op when that resourceVersion is known). */
export async function captureLive(deps: LiveDeps, cluster: string, reason: string): Promise<CaptureResult> {
  const live = await deps.client.read();
  if (live === undefined) {
    const latest = await deps.pipeline.store.resolve(cluster, "latest");
    if (latest?.kind === "version") {
      const { record, alerted } = await unrecordedDeletion(deps.pipeline, cluster, latest, "capture");
      return {
        operation: "capture",
        cluster,
        outcome: "missing",
        recordId: record.id,
        class: record.class,
        drift: true,
        alerted,
        detail: `aws-auth does not exist on ${deps.client.target}, yet the latest record ${latest.id} is a version: filed tombstone ${record.id} and alerted`,
      };
    }
    return {
      operation: "capture",
      cluster,
      outcome: "missing",
      drift: false,
      alerted: false,
      detail: `aws-auth does not exist on ${deps.client.target}; nothing to capture${latest ? ` (the latest record, ${latest.id}, is a ${latest.kind})` : ""}`,
    };
  }
  const restored = await writtenByRestore(deps.pipeline, cluster, live);
  const outcome = await processCapture(
    deps.pipeline,
    cluster,
    live,
    restored.writtenByRestore ? `${reason} after the guardian's restore` : reason,
    restored,
  );
  return {
    operation: "capture",
    cluster,
    outcome: outcome.stored ? "stored" : "already-stored",
    recordId: outcome.recordId,
    class: outcome.class,
    drift: outcome.drift,
    alerted: outcome.alerted,
    detail: outcome.stored
      ? `stored resourceVersion ${live.metadata.resourceVersion ?? "?"} as ${outcome.recordId} (${outcome.class})`
      : `resourceVersion ${live.metadata.resourceVersion ?? "?"} is already stored as ${outcome.recordId}`,
  };
}

/** Compares the live aws-auth with the store's latest record; a difference is a blind spot. */
export async function verifyLive(deps: LiveDeps, cluster: string): Promise<VerifyResult> {
  const { store } = deps.pipeline;
  const latest = await store.resolve(cluster, "latest");
  const live = await deps.client.read();
  const latestPart = latest ? { latestId: latest.id } : {};

  if (live === undefined) {
    if (latest?.kind === "version") {
      const { record, alerted } = await unrecordedDeletion(deps.pipeline, cluster, latest, "verify");
      return {
        operation: "verify",
        cluster,
        outcome: "missing",
        ...latestPart,
        recordId: record.id,
        blindSpot: true,
        alerted,
        detail: `BLIND SPOT: aws-auth does not exist on ${deps.client.target}, but the latest record ${latest.id} is a version; no audit event of the deletion reached the guardian. Filed tombstone ${record.id}.`,
      };
    }
    return {
      operation: "verify",
      cluster,
      outcome: "absent",
      ...latestPart,
      blindSpot: false,
      alerted: false,
      detail: latest
        ? `aws-auth does not exist, as the latest record ${latest.id} (${latest.kind}) says`
        : "aws-auth does not exist and the store holds no record of this cluster",
    };
  }

  const restored = await writtenByRestore(deps.pipeline, cluster, live);
  const capture = await processCapture(
    deps.pipeline,
    cluster,
    live,
    restored.writtenByRestore ? "verify after the guardian's restore" : "verify",
    restored,
  );
  const version = live.metadata.resourceVersion ?? "?";
  if (!latest) {
    return {
      operation: "verify",
      cluster,
      outcome: "baseline",
      recordId: capture.recordId,
      blindSpot: false,
      alerted: capture.alerted,
      detail: `the store held nothing for ${cluster}: stored resourceVersion ${version} as the first version ${capture.recordId} (${capture.class})`,
    };
  }
  if (restored.writtenByRestore) {
    return {
      operation: "verify",
      cluster,
      outcome: "in-sync",
      latestId: latest.id,
      recordId: capture.recordId,
      blindSpot: false,
      alerted: capture.alerted,
      detail: `the live aws-auth (resourceVersion ${version}) is what the guardian's restore wrote (${restored.writtenByRestore})${capture.stored ? `; stored it as ${capture.recordId} (${capture.class})` : ""}`,
    };
  }
  const recreated = latest.kind === "tombstone" && capture.stored;
  // The classifier does not call a return to the last good version an unrecorded change; verify must:
  // the latest record says something else, and no audit event or restore explains the difference.
  const differs =
    capture.stored &&
    latest.kind === "version" &&
    latest.configMap !== undefined &&
    !diffModels(modelOf(latest.configMap), modelOf(live)).equivalent;
  if (capture.drift || recreated || differs) {
    let alerted = capture.alerted;
    if (recreated) {
      alerted = (await unrecordedRecreation(deps.pipeline, cluster, latest, capture.recordId)) || alerted;
    } else if (!capture.drift) {
      alerted = (await unrecordedChange(deps.pipeline, cluster, latest, capture.recordId)) || alerted;
    }
    const what = recreated
      ? `aws-auth exists (resourceVersion ${version}) although the latest record ${latest.id} is its deletion`
      : `the live aws-auth (resourceVersion ${version}) differs from the latest record ${latest.id}`;
    return {
      operation: "verify",
      cluster,
      outcome: "drift",
      latestId: latest.id,
      recordId: capture.recordId,
      blindSpot: true,
      alerted,
      detail: `BLIND SPOT: ${what} and no audit event explains it. Stored the live object as ${capture.recordId} (${capture.class}).`,
    };
  }
  return {
    operation: "verify",
    cluster,
    outcome: "in-sync",
    latestId: latest.id,
    recordId: capture.recordId,
    blindSpot: false,
    alerted: capture.alerted,
    detail: capture.stored
      ? `the live aws-auth (resourceVersion ${version}) grants what the latest record ${latest.id} does; stored it as ${capture.recordId} (${capture.class})`
      : `the live aws-auth is the stored version ${capture.recordId}`,
  };
}
