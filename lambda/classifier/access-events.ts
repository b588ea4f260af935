/**
 * EventBridge deliveries of EKS access-entry calls (CloudTrail records): decode, keep the guarded
 * clusters, run each through the access pipeline. A malformed or unguarded event is logged and
 * counted and never fails the invocation; a store or SNS failure does, so that the delivery is
 * retried (and lands in the rule's dead-letter queue when retries run out).
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { decodeAccessEvent } from "../core/access-event.js";
import { type AccessOutcome, type AccessPipelineDeps, processAccessEvent } from "../core/access-pipeline.js";
import { problemText } from "../core/decode.js";
import { DependencyError } from "./process-batch.js";

export interface AccessBatchDeps {
  pipeline: AccessPipelineDeps;
  /** `*` for every cluster of the region, or the guarded clusters by name (as discovery's list). */
  guardedClusters: "*" | readonly string[];
  logger: Logger;
  metrics: Metrics;
}

export interface AccessBatchResult {
  source: "eventbridge";
  processed: AccessOutcome[];
  malformed: number;
  irrelevant: number;
  unguarded: number;
}

export async function processEventBridgeEvent(
  event: unknown,
  deps: AccessBatchDeps,
): Promise<AccessBatchResult> {
  const { logger, metrics } = deps;
  const result: AccessBatchResult = {
    source: "eventbridge",
    processed: [],
    malformed: 0,
    irrelevant: 0,
    unguarded: 0,
  };
  const triage = decodeAccessEvent(event);
  if (triage.kind === "malformed") {
    logger.warn("malformed CloudTrail event skipped", {
      eventID: triage.eventID,
      reason: problemText(triage.problem),
    });
    metrics.addMetric("MalformedEvents", MetricUnit.Count, 1);
    result.malformed++;
    return result;
  }
  if (triage.kind === "irrelevant") {
    logger.info("CloudTrail event not about access entries", {
      eventID: triage.eventID,
      reason: triage.reason,
    });
    result.irrelevant++;
    return result;
  }
  const access = triage.event;
  const keys = { eventID: access.eventID, cluster: access.cluster, eventName: access.eventName };
  if (deps.guardedClusters !== "*" && !deps.guardedClusters.includes(access.cluster)) {
    logger.info("access-entry event for a cluster the guardian does not guard", keys);
    metrics.addMetric("UnguardedClusterEvents", MetricUnit.Count, 1);
    result.unguarded++;
    return result;
  }
  try {
    const outcome = await processAccessEvent(deps.pipeline, access);
    logger.info("access-entry event processed", { ...keys, ...outcome });
    const byClass = metrics.singleMetric();
    byClass.addDimension("class", outcome.class);
    byClass.addMetric("AccessEntryChanges", MetricUnit.Count, 1);
    if (outcome.alerted) metrics.addMetric("AlertsSent", MetricUnit.Count, 1);
    if (outcome.state === "unverified") metrics.addMetric("UnverifiedAccessStates", MetricUnit.Count, 1);
    result.processed.push(outcome);
  } catch (error) {
    if (error instanceof DependencyError) {
      logger.error("dependency failed; failing the invocation so that it is retried", { ...keys, error });
      throw error;
    }
    logger.error("access-entry event could not be processed", { ...keys, error });
    metrics.addMetric("MalformedEvents", MetricUnit.Count, 1);
    result.malformed++;
  }
  return result;
}
