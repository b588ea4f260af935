/** Wires the cluster-access function's adapters; tests call this with moto clients and a fake API server. */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { EKSClient } from "@aws-sdk/client-eks";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { EksAccessEntryApi } from "../adapters/eks-access-entries.js";
import { IntegrityBlobStore } from "../adapters/integrity-blob-store.js";
import { KmsMac } from "../adapters/kms-mac.js";
import { S3BlobStore } from "../adapters/s3-blob-store.js";
import { SnsNotifier } from "../adapters/sns-notifier.js";
import { describeCluster as describeEksCluster, type EksClusterAccess } from "../cluster/describe-cluster.js";
import { type AwsCredentials, createEksToken } from "../cluster/eks-token.js";
import { type EksClusterClientProps, forEksCluster } from "../cluster/kube-aws-auth-client.js";
import {
  type AccessRestoreResult,
  executeAccessRestore,
  renderAccessRestoreAlert,
} from "../core/access-restore.js";
import { AccessStore } from "../core/access-store.js";
import type { PipelineDeps } from "../core/pipeline.js";
import type { AwsAuthClient } from "../core/ports.js";
import { SnapshotStore } from "../core/snapshot-store.js";
import type { AccessVerifyResult } from "../discovery/access-facts.js";
import { type Authorization, authorize, type DefaultOperators } from "./authorize.js";
import { requestBinding, verifyCallerProof } from "./caller-proof.js";
import { type CaptureResult, captureLive, type VerifyResult, verifyLive } from "./capture-verify.js";
import type { ClusterAccessConfig } from "./config.js";
import { executeRestore, type RestoreResult } from "./restore.js";
import { renderRestoreAlert } from "./restore-alert.js";
import { logger as defaultLogger, recordVerifyDrift } from "./telemetry.js";

export type ClusterAccessEvent =
  | {
      action: "restore";
      cluster: string;
      /** @default "last-good" */
      to?: string;
      dryRun?: boolean;
      force?: boolean;
      reason?: string;
      /** Who asked, as the caller says: kept as `claimedBy`; the record's `by` is the proven caller. */
      requestedBy?: string;
      /**
       * The caller's proof of identity: a presigned STS GetCallerIdentity URL signed over this request's
       * {@link restoreBinding} (caller-proof.ts). Required: without it the restore is refused.
       */
      proof?: string;
      /** Write only while the live resourceVersion is still this one (`""`: absent), as the confirmed dry run saw it. */
      expectLiveResourceVersion?: string;
    }
  | {
      /** Access entries back to a recorded version, through this function's own EKS permissions. */
      action: "restore-access-entries";
      cluster: string;
      /** @default "last-good" */
      to?: string;
      dryRun?: boolean;
      force?: boolean;
      reason?: string;
      /** Who asked, as the caller says: kept as `claimedBy`; the record's `by` is the proven caller. */
      requestedBy?: string;
      /** Write only while the live access picture still has this fingerprint, as the confirmed dry run saw it. */
      expectLiveFingerprint?: string;
      /** The caller's proof of identity, signed over {@link accessRestoreBinding}: required, as for `restore`. */
      proof?: string;
    }
  | { action: "capture"; cluster: string; reason?: string }
  | { action: "verify"; cluster: string };

export interface ClusterAccessInfo {
  endpoint: string;
  authenticationMode: string;
  auditLoggingEnabled: boolean;
}

export type ClusterAccessResult = (
  | (RestoreResult & { operation: "restore" })
  | (CaptureResult & { warnings: string[]; accessEntries?: AccessVerifyResult })
  | (VerifyResult & { warnings: string[]; accessEntries?: AccessVerifyResult })
  | (AccessRestoreResult & { operation: "restore-access-entries"; warnings: string[] })
) & { access: ClusterAccessInfo };

export interface ClusterAccessClients {
  s3: S3Client;
  sns: SNSClient;
  eks: EKSClient;
  /** KMS for the record MACs: GenerateMac on what the function writes, VerifyMac on what a restore reads. */
  kms: KMSClient;
  /** The identity whose token reaches the cluster (in Lambda: the default provider chain). */
  credentials: () => Promise<AwsCredentials>;
  /** @default describeCluster from cluster/describe-cluster.ts */
  describeCluster?: (eks: EKSClient, name: string) => Promise<EksClusterAccess>;
  /** @default forEksCluster */
  clusterClient?: (props: EksClusterClientProps) => AwsAuthClient;
  /** STS for EKS tokens and for checking callers' proofs. @default - `https://sts.<region>.amazonaws.com` */
  stsEndpoint?: string;
  /** STS the callers' proofs are checked with. @default - stsEndpoint, else `https://sts.<region>.amazonaws.com` */
  callerStsEndpoint?: string;
  /**
   * The principal that created a cluster, where known (a default restore operator).
   * @default - what verify and capture filed in the store (`clusters/<cluster>/access/cluster.json`), MAC-verified
   */
  clusterCreator?: (cluster: string) => Promise<string | undefined>;
  /** @default - the current time */
  now?: () => Date;
  /** @default - the module's Powertools logger */
  logger?: Logger;
  /**
   * `verify` and `capture` for access entries besides aws-auth: the cluster's facts (trail, mode, creator) filed,
   * live entries that differ from the latest record captured and announced. @default - aws-auth only
   */
  verifyAccessEntries?: (cluster: string) => Promise<AccessVerifyResult>;
  /** @default - the `VerifyDrift` EMF metric the stack's alarm watches */
  recordVerify?: (cluster: string, blindSpot: boolean) => void;
}

/** A refused caller never reaches the cluster. */
const NOT_REACHED: ClusterAccessInfo = {
  endpoint: "",
  authenticationMode: "not reached",
  auditLoggingEnabled: false,
};

export class InvalidEventError extends Error {
  override readonly name = "InvalidEventError";
}

const ACTIONS = ["restore", "capture", "verify", "restore-access-entries"] as const;

function optionalString(event: Record<string, unknown>, key: string): string | undefined {
  const value = event[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new InvalidEventError(`event.${key} must be a string`);
  return value;
}

function optionalBoolean(event: Record<string, unknown>, key: string): boolean | undefined {
  const value = event[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw new InvalidEventError(`event.${key} must be true or false`);
  return value;
}

/** Checks an invocation payload; names the first thing wrong with it. */
export function parseClusterAccessEvent(value: unknown): ClusterAccessEvent {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidEventError("the event must be an object { action, cluster, … }");
  }
  const event = value as Record<string, unknown>;
  const action = event.action;
  if (typeof action !== "string" || !(ACTIONS as readonly string[]).includes(action)) {
    throw new InvalidEventError(
      `event.action must be one of ${ACTIONS.join(", ")}, not ${JSON.stringify(action)}`,
    );
  }
  const cluster = optionalString(event, "cluster");
  if (!cluster) throw new InvalidEventError("event.cluster (the EKS cluster name) is required");
  if (action === "verify") return { action, cluster };
  if (action === "capture") {
    const reason = optionalString(event, "reason");
    return { action, cluster, ...(reason ? { reason } : {}) };
  }
  const to = optionalString(event, "to");
  const reason = optionalString(event, "reason");
  const requestedBy = optionalString(event, "requestedBy");
  if (action === "restore-access-entries") {
    const expectLiveFingerprint = optionalString(event, "expectLiveFingerprint");
    const proof = optionalString(event, "proof");
    const dryRun = optionalBoolean(event, "dryRun");
    const force = optionalBoolean(event, "force");
    return {
      action,
      cluster,
      ...(to ? { to } : {}),
      ...(dryRun !== undefined ? { dryRun } : {}),
      ...(force !== undefined ? { force } : {}),
      ...(reason ? { reason } : {}),
      ...(requestedBy ? { requestedBy } : {}),
      ...(expectLiveFingerprint !== undefined ? { expectLiveFingerprint } : {}),
      ...(proof ? { proof } : {}),
    };
  }
  const expectLiveResourceVersion = optionalString(event, "expectLiveResourceVersion");
  const proof = optionalString(event, "proof");
  const dryRun = optionalBoolean(event, "dryRun");
  const force = optionalBoolean(event, "force");
  return {
    action: "restore",
    cluster,
    ...(to ? { to } : {}),
    ...(dryRun !== undefined ? { dryRun } : {}),
    ...(force !== undefined ? { force } : {}),
    ...(reason ? { reason } : {}),
    ...(requestedBy ? { requestedBy } : {}),
    ...(expectLiveResourceVersion !== undefined ? { expectLiveResourceVersion } : {}),
    ...(proof ? { proof } : {}),
  };
}

type RestoreEvent = Extract<ClusterAccessEvent, { action: "restore" }>;
type AccessRestoreEvent = Extract<ClusterAccessEvent, { action: "restore-access-entries" }>;
/** A request that writes for its caller: gated (authorize.ts) before anything else happens. */
type WriteEvent = RestoreEvent | AccessRestoreEvent;

/**
 * What a restore's proof is signed over: every field that changes what the write does. The CLI and the
 * function both compute it from the parsed event, so that one proof serves exactly one request.
 */
export function restoreBinding(event: RestoreEvent): string {
  return requestBinding("restore", event.cluster, {
    to: event.to,
    dryRun: event.dryRun,
    force: event.force,
    reason: event.reason,
    expectLiveResourceVersion: event.expectLiveResourceVersion,
  });
}

/**
 * What an access-entry restore's proof is signed over: the target, the flags and the live fingerprint the
 * confirmed dry run saw, so that a proof for a dry run or for one plan never serves another.
 */
export function accessRestoreBinding(event: AccessRestoreEvent): string {
  return requestBinding("restore-access-entries", event.cluster, {
    to: event.to,
    dryRun: event.dryRun,
    force: event.force,
    reason: event.reason,
    expectLiveFingerprint: event.expectLiveFingerprint,
  });
}

/** The binding of any write request, by its action. */
export function writeBinding(event: WriteEvent): string {
  return event.action === "restore" ? restoreBinding(event) : accessRestoreBinding(event);
}

/** What the operator must know about how this function reaches the cluster. */
export function accessWarnings(cluster: string, access: EksClusterAccess): string[] {
  const warnings: string[] = [];
  if (access.authenticationMode === "CONFIG_MAP") {
    warnings.push(
      `Cluster ${cluster} has authenticationMode CONFIG_MAP: this function authenticates through aws-auth itself, so a broken or deleted aws-auth locks it out too (no lockout-proof access). Switch the cluster to API_AND_CONFIG_MAP and give the function's role an access entry.`,
    );
  } else if (access.authenticationMode === "API") {
    warnings.push(
      `Cluster ${cluster} has authenticationMode API: the cluster ignores aws-auth, so its content grants nobody anything.`,
    );
  }
  if (!access.auditLoggingEnabled) {
    warnings.push(
      `Cluster ${cluster} does not send audit logs to CloudWatch: the guardian sees no write to aws-auth; only capture and verify notice changes.`,
    );
  }
  return warnings;
}

export function createHandler(config: ClusterAccessConfig, clients: ClusterAccessClients) {
  const blobs = new S3BlobStore(clients.s3, config.bucket);
  const mac = new KmsMac(clients.kms, config.integrityKeyId);
  // Capture and verify sign what they write and read history as it is (records from before MACs existed
  // included); everything a restore decides on (its target, the last good version naming the cluster's
  // admins, the creator) is read through the verifying store, which refuses a record without the guardian's MAC.
  const store = new SnapshotStore(new IntegrityBlobStore(blobs, { signer: mac }));
  const verified = new IntegrityBlobStore(blobs, { signer: mac, verifier: mac });
  const restoreStore = new SnapshotStore(verified);
  const accessStore = new AccessStore(verified);
  const notifier = new SnsNotifier(clients.sns, config.topicArn);
  const describe = clients.describeCluster ?? describeEksCluster;
  const connect = clients.clusterClient ?? forEksCluster;
  const now = clients.now ?? (() => new Date());
  const log = clients.logger ?? defaultLogger;
  const recordVerify = clients.recordVerify ?? recordVerifyDrift;
  // The creator as this function's verify and capture filed it (access-facts.ts,
  // `clusters/<cluster>/access/cluster.json`), read through the verifying store, so that it counts only when
  // the guardian wrote it.
  const creatorOf = clients.clusterCreator ?? ((cluster: string) => accessStore.creatorOf(cluster));

  async function reach(
    cluster: string,
  ): Promise<{ client: AwsAuthClient; info: ClusterAccessInfo; warnings: string[] }> {
    const access = await describe(clients.eks, cluster);
    const token = async () =>
      createEksToken({
        clusterName: cluster,
        region: config.region,
        credentials: await clients.credentials(),
        ...(clients.stsEndpoint ? { stsEndpoint: clients.stsEndpoint } : {}),
      });
    const client = connect({ endpoint: access.endpoint, caData: access.caData, token, clusterName: cluster });
    const warnings = accessWarnings(cluster, access);
    for (const warning of warnings) log.warn(warning);
    return {
      client,
      info: {
        endpoint: access.endpoint,
        authenticationMode: access.authenticationMode,
        auditLoggingEnabled: access.auditLoggingEnabled,
      },
      warnings,
    };
  }

  /** The last good version (its system:masters holders) and the creator: who the function acts for by default. */
  async function defaultOperators(cluster: string): Promise<DefaultOperators> {
    const creatorArn = await creatorOf(cluster).catch(() => undefined);
    const creator = creatorArn ? { creatorArn } : {};
    try {
      const record = await restoreStore.resolve(cluster, "last-good");
      if (record?.configMap) return { lastGood: { id: record.id, configMap: record.configMap }, ...creator };
      return { lastGoodUnavailable: "no last good version is recorded", ...creator };
    } catch (error) {
      return {
        lastGoodUnavailable: `the last good version cannot be read: ${(error as Error).message}`,
        ...creator,
      };
    }
  }

  /** Who asks, proven through STS, and whether the function acts for them; before anything else happens. */
  async function gate(event: WriteEvent): Promise<Authorization> {
    const proof = await verifyCallerProof(event.proof, {
      region: config.region,
      binding: writeBinding(event),
      now: now(),
      ...(clients.callerStsEndpoint || clients.stsEndpoint
        ? { stsEndpoint: clients.callerStsEndpoint ?? clients.stsEndpoint }
        : {}),
    });
    const write = { action: event.action, cluster: event.cluster, force: event.force === true };
    const defaults = proof.ok ? await defaultOperators(event.cluster) : {};
    return authorize(write, proof, config.restoreOperators, defaults);
  }

  function callerOf(refusal: Extract<Authorization, { ok: false }>): string {
    return refusal.caller ?? "unknown caller (no valid proof)";
  }

  /** A refused access-entry restore caller: nothing is read from EKS; recorded and announced. */
  async function refuseAccessCaller(
    event: AccessRestoreEvent,
    refusal: Extract<Authorization, { ok: false }>,
  ): Promise<AccessRestoreResult> {
    const result: AccessRestoreResult = {
      outcome: "refused",
      cluster: event.cluster,
      target: event.to ?? "last-good",
      dryRun: event.dryRun === true,
      steps: [],
      lines: [],
      notes: [],
      refusals: [refusal.reason],
      done: [],
      verification: {
        ok: false,
        detail: "nothing was read or written: the caller is not allowed to restore",
      },
    };
    const by = callerOf(refusal);
    log.warn("access-entry restore refused: caller not allowed", { caller: by, reason: refusal.reason });
    const filed = await recordAndAnnounce(
      "access-entry restore",
      async () =>
        accessStore.blobs.locate(
          await accessStore.putRestore(refusalRecord(event, refusal, by, result.target, result.dryRun)),
        ),
      () => notifier.publish(renderAccessRestoreAlert(result, { requestedBy: by })),
    );
    if (filed.location) result.recordLocation = filed.location;
    return result;
  }

  /** Files a refusal and then announces it; neither failing stops the other nor fails the invocation. */
  async function recordAndAnnounce(
    what: string,
    record: () => Promise<string>,
    announce: () => Promise<void>,
  ): Promise<{ location?: string; announced: boolean }> {
    let location: string | undefined;
    try {
      location = await record();
    } catch (error) {
      log.error(`could not record the refused ${what}`, error as Error);
    }
    try {
      await announce();
      return { ...(location ? { location } : {}), announced: true };
    } catch (error) {
      log.error(`could not announce the refused ${what}`, error as Error);
      return { ...(location ? { location } : {}), announced: false };
    }
  }

  /** A refused caller: nothing is read from the cluster; the refusal is recorded and announced. */
  async function refuseCaller(event: RestoreEvent, refusal: Extract<Authorization, { ok: false }>) {
    const result: RestoreResult = {
      outcome: "refused",
      cluster: event.cluster,
      target: event.to ?? "last-good",
      action: "none",
      diffLines: [],
      dataKeysChanged: [],
      verification: {
        ok: false,
        detail: "nothing was read or written: the caller is not allowed to restore",
      },
      refusal: [refusal.reason],
      overridden: [],
      attempts: 0,
      dryRun: event.dryRun === true,
      forced: false,
      warnings: [],
      notified: false,
    };
    const by = callerOf(refusal);
    log.warn("restore refused: caller not allowed", { caller: by, reason: refusal.reason });
    const filed = await recordAndAnnounce(
      "restore",
      async () =>
        store.locate(
          await store.putRestore({
            ...refusalRecord(event, refusal, by, result.target, result.dryRun),
            forced: false,
          }),
        ),
      () => notifier.publish(renderRestoreAlert(result, { requestedBy: by, storeLocation: store.root() })),
    );
    if (filed.location) result.recordLocation = filed.location;
    result.notified = filed.announced;
    return result;
  }

  /** The fields every refused-caller record holds, whichever restore was asked for. */
  function refusalRecord(
    event: { cluster: string; reason?: string; requestedBy?: string },
    refusal: Extract<Authorization, { ok: false }>,
    by: string,
    target: string,
    dryRun: boolean,
  ) {
    return {
      cluster: event.cluster,
      at: now().toISOString(),
      target,
      ...(event.reason ? { reason: event.reason } : {}),
      by,
      ...(event.requestedBy ? { claimedBy: event.requestedBy } : {}),
      dryRun,
      outcome: "refused" as const,
      detail: refusal.reason,
      unauthorized: true,
    };
  }

  /** Never fails the aws-auth work: an access-entry check that throws is logged and left out. */
  async function checkAccessEntries(cluster: string): Promise<AccessVerifyResult | undefined> {
    if (!clients.verifyAccessEntries) return undefined;
    try {
      const result = await clients.verifyAccessEntries(cluster);
      log[result.blindSpot ? "warn" : "info"]("access-entry verify", {
        problems: result.problems,
        recordId: result.recordId,
        creator: result.facts.creator,
        authenticationMode: result.facts.authenticationMode,
      });
      return result;
    } catch (error) {
      log.error("access-entry verify failed", error as Error);
      return undefined;
    }
  }

  return async (payload: unknown): Promise<ClusterAccessResult> => {
    const event = parseClusterAccessEvent(payload);
    log.appendKeys({ cluster: event.cluster, action: event.action });
    try {
      let requestedBy: string | undefined;
      if (event.action === "restore") {
        const allowed = await gate(event);
        if (!allowed.ok) {
          const refused = await refuseCaller(event, allowed);
          return { ...refused, operation: "restore", access: NOT_REACHED };
        }
        requestedBy = `${allowed.caller} (${allowed.basis})`;
      }
      if (event.action === "restore-access-entries") {
        // The same gate as an aws-auth restore, before EKS is asked anything.
        const allowed = await gate(event);
        if (!allowed.ok) {
          const refused = await refuseAccessCaller(event, allowed);
          return { ...refused, operation: "restore-access-entries", warnings: [], access: NOT_REACHED };
        }
        // Access entries are an EKS API, not a Kubernetes one: no token, no aws-auth in the way.
        const { action: _action, proof: _proof, requestedBy: _claimed, ...rest } = event;
        const request = { ...rest, requestedBy: `${allowed.caller} (${allowed.basis})` };
        const access = await describe(clients.eks, event.cluster);
        const result = await executeAccessRestore(
          {
            api: new EksAccessEntryApi(clients.eks),
            store: accessStore,
            notifier,
            ...(config.policy.guardianWriters[0]
              ? { guardianRoleArn: config.policy.guardianWriters[0] }
              : {}),
            now,
          },
          request,
        );
        log.info(`access-entry restore ${result.outcome}`, {
          target: result.target,
          steps: result.done.length,
        });
        return {
          ...result,
          operation: "restore-access-entries",
          warnings: accessWarnings(event.cluster, access),
          access: {
            endpoint: access.endpoint,
            authenticationMode: access.authenticationMode,
            auditLoggingEnabled: access.auditLoggingEnabled,
          },
        };
      }
      // Access entries first: an EKS API, reachable even when aws-auth locks the function out of the cluster.
      const accessEntries =
        event.action === "verify" || event.action === "capture"
          ? await checkAccessEntries(event.cluster)
          : undefined;
      const { client, info, warnings } = await reach(event.cluster);
      const pipeline: PipelineDeps = { store, notifier, policy: config.policy, now };
      if (event.action === "capture") {
        const result = await captureLive(
          { client, pipeline },
          event.cluster,
          event.reason ?? "capture requested",
        );
        log.info(`capture ${result.outcome}`, { detail: result.detail, drift: result.drift });
        return { ...result, warnings, access: info, ...(accessEntries ? { accessEntries } : {}) };
      }
      if (event.action === "verify") {
        const result = await verifyLive({ client, pipeline }, event.cluster);
        recordVerify(event.cluster, result.blindSpot || accessEntries?.blindSpot === true);
        log[result.blindSpot ? "warn" : "info"](`verify ${result.outcome}`, { detail: result.detail });
        return { ...result, warnings, access: info, ...(accessEntries ? { accessEntries } : {}) };
      }
      const { action: _action, proof: _proof, requestedBy: _claimed, ...rest } = event;
      const request = { ...rest, ...(requestedBy ? { requestedBy } : {}) };
      const creator = await creatorOf(event.cluster).catch(() => undefined);
      const result = await executeRestore(
        {
          client,
          store: restoreStore,
          notifier,
          now,
          warnings,
          ...(creator ? { creator } : {}),
          log: (level, message, fields) => log[level](message, { ...fields }),
        },
        request,
      );
      return { ...result, operation: "restore", access: info };
    } catch (error) {
      log.error("cluster-access invocation failed", error as Error);
      throw error;
    } finally {
      log.removeKeys(["cluster", "action"]);
    }
  };
}
