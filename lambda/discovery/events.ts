/**
 * The discovery function's four triggers, told apart by shape:
 *
 * - the CloudFormation custom resource (through `custom_resources.Provider`): Create/Update discover with a
 *   baseline capture of every guarded cluster; Delete removes what discovery created;
 * - the schedules (EventBridge rules with a constant input): `{"action":"discover"}` daily and
 *   `{"action":"verify"}` (discovery mode) on the verify schedule;
 * - CloudTrail `CreateCluster` / `UpdateClusterConfig` events, through an SQS queue so that a cluster that
 *   is not ready yet (still creating, log group not there yet) is retried after the queue's visibility
 *   timeout instead of being reported;
 * - the same EventBridge event delivered directly (no queue), evaluated at once.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { DiscoveryConfig } from "./config.js";
import {
  type DiscoveryClients,
  type DiscoveryResult,
  discover,
  removeAll,
  verifyGuarded,
} from "./discovery.js";

/** The physical id of the discovery custom resource; constant so that an update never replaces (deletes) it. */
export const DISCOVERY_RESOURCE_ID = "aws-auth-guardian-discovery";

export interface CustomResourceEvent {
  RequestType: "Create" | "Update" | "Delete";
  ResourceProperties?: Record<string, unknown>;
  PhysicalResourceId?: string;
}

export interface CustomResourceResult {
  PhysicalResourceId: string;
  Data: Record<string, string | number>;
}

export interface ScheduledEvent {
  action: "discover" | "verify";
}

/** The part of an EventBridge "AWS API Call via CloudTrail" event discovery reads. */
export interface CloudTrailEksEvent {
  "detail-type": string;
  source: string;
  detail: {
    eventName?: string;
    errorCode?: string;
    requestParameters?: { name?: unknown } | null;
    responseElements?: { cluster?: { name?: unknown } } | null;
  };
}

export type DiscoveryEvent = CustomResourceEvent | ScheduledEvent | SQSEvent | CloudTrailEksEvent;
export type DiscoveryResponse = CustomResourceResult | SQSBatchResponse | DiscoverySummary;

export interface DiscoverySummary {
  action: string;
  guarded?: string[];
  unguarded?: string[];
  pending?: string[];
  verified?: string[];
  alerted?: number;
}

/** Minimal structured logging surface; Powertools' Logger fits. */
export interface DiscoveryLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

export class UnknownEventError extends Error {
  override readonly name = "UnknownEventError";
}

export function createHandler(config: DiscoveryConfig, clients: DiscoveryClients, log: DiscoveryLog) {
  return async (event: DiscoveryEvent): Promise<DiscoveryResponse> => {
    if (isCustomResourceEvent(event)) return onCustomResource(event, config, clients, log);
    if (isSqsEvent(event)) return onQueuedClusterEvents(event, config, clients, log);
    if (isCloudTrailEvent(event)) {
      const cluster = clusterNameOf(event);
      if (cluster === undefined) return { action: "ignored" };
      return summarize(
        "event",
        await discover({ reason: "event", clusters: [cluster], finalAttempt: true }, config, clients),
        log,
      );
    }
    if (isScheduledEvent(event)) {
      if (event.action === "verify") {
        const verified = await verifyGuarded(config, clients);
        log.info("verify requested", { verified });
        return { action: "verify", verified };
      }
      return summarize("discover", await discover({ reason: "schedule" }, config, clients), log);
    }
    throw new UnknownEventError(`unrecognised event: ${JSON.stringify(event).slice(0, 300)}`);
  };
}

async function onCustomResource(
  event: CustomResourceEvent,
  config: DiscoveryConfig,
  clients: DiscoveryClients,
  log: DiscoveryLog,
): Promise<CustomResourceResult> {
  if (event.RequestType === "Delete") {
    const errors = await removeAll(config, clients);
    if (errors.length > 0) log.warn("cleanup left some things behind", { errors });
    return {
      PhysicalResourceId: event.PhysicalResourceId ?? DISCOVERY_RESOURCE_ID,
      Data: { CleanupErrors: errors.length },
    };
  }
  // A failure here (e.g. AccessDenied on ListClusters) fails the deployment on purpose: the guardian would be
  // blind. Problems with single clusters are alerts, not failures.
  const result = await discover({ reason: "deploy" }, config, clients);
  const summary = summarize("deploy", result, log);
  return {
    PhysicalResourceId: DISCOVERY_RESOURCE_ID,
    Data: {
      Guarded: summary.guarded?.length ?? 0,
      Unguarded: summary.unguarded?.length ?? 0,
      Alerted: result.alerted,
    },
  };
}

async function onQueuedClusterEvents(
  event: SQSEvent,
  config: DiscoveryConfig,
  clients: DiscoveryClients,
  log: DiscoveryLog,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
  for (const record of event.Records) {
    const retry = await onQueuedClusterEvent(record, config, clients, log).catch((error: unknown) => {
      log.warn("cluster event failed; the queue redelivers it", {
        messageId: record.messageId,
        error: String(error),
      });
      return true;
    });
    if (retry) batchItemFailures.push({ itemIdentifier: record.messageId });
  }
  return { batchItemFailures };
}

/** True when the record should come back later (the cluster is not ready yet). */
async function onQueuedClusterEvent(
  record: SQSRecord,
  config: DiscoveryConfig,
  clients: DiscoveryClients,
  log: DiscoveryLog,
): Promise<boolean> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.body);
  } catch {
    log.warn("dropping a queued message that is not JSON", { messageId: record.messageId });
    return false;
  }
  if (!isCloudTrailEvent(parsed)) return false;
  const cluster = clusterNameOf(parsed);
  if (cluster === undefined) return false;
  const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
  const finalAttempt = attempt >= config.maxEventAttempts;
  const result = await discover({ reason: "event", clusters: [cluster], finalAttempt }, config, clients);
  const summary = summarize("event", result, log);
  const pending = (summary.pending ?? []).length > 0;
  if (pending)
    log.info("cluster not ready; retrying later", { cluster, attempt, maxAttempts: config.maxEventAttempts });
  return pending;
}

/** The cluster a CloudTrail EKS event is about, or undefined for failed calls and other events. */
export function clusterNameOf(event: CloudTrailEksEvent): string | undefined {
  const { detail } = event;
  if (detail.errorCode) return undefined;
  if (detail.eventName !== "CreateCluster" && detail.eventName !== "UpdateClusterConfig") return undefined;
  const fromRequest = detail.requestParameters?.name;
  if (typeof fromRequest === "string" && fromRequest !== "") return fromRequest;
  const fromResponse = detail.responseElements?.cluster?.name;
  return typeof fromResponse === "string" && fromResponse !== "" ? fromResponse : undefined;
}

function summarize(action: string, result: DiscoveryResult, log: DiscoveryLog): DiscoverySummary {
  const by = (state: string) => result.reports.filter((r) => r.state === state).map((r) => r.cluster);
  const summary: DiscoverySummary = {
    action,
    guarded: by("guarded"),
    unguarded: by("unguarded"),
    pending: by("pending"),
    alerted: result.alerted,
  };
  log.info("discovery finished", { ...summary, reports: result.reports });
  return summary;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCustomResourceEvent(event: unknown): event is CustomResourceEvent {
  return isRecord(event) && ["Create", "Update", "Delete"].includes(event.RequestType as string);
}

function isSqsEvent(event: unknown): event is SQSEvent {
  return (
    isRecord(event) &&
    Array.isArray(event.Records) &&
    event.Records.length > 0 &&
    event.Records.every((r) => isRecord(r) && r.eventSource === "aws:sqs")
  );
}

function isCloudTrailEvent(event: unknown): event is CloudTrailEksEvent {
  return (
    isRecord(event) &&
    event["detail-type"] === "AWS API Call via CloudTrail" &&
    event.source === "aws.eks" &&
    isRecord(event.detail)
  );
}

function isScheduledEvent(event: unknown): event is ScheduledEvent {
  return isRecord(event) && (event.action === "discover" || event.action === "verify");
}
