/**
 * One CloudWatch Logs delivery: decode it, then run every write to aws-auth through the pipeline.
 * A malformed or irrelevant event is logged and counted, and the rest goes on; a failure of S3,
 * SNS or Lambda fails the whole invocation so that Lambda retries it, and the retry skips what
 * already succeeded (the pipeline is idempotent).
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { decodeAwsLogsEvent } from "../core/audit-input.js";
import { type PipelineDeps, processWrite, type WriteOutcome } from "../core/pipeline.js";
import { makePolicy } from "../core/policy.js";
import type { BlobStore, Notifier } from "../core/ports.js";

/** A dependency (S3, SNS, Lambda) failed: the invocation must fail so that it is retried. */
export class DependencyError extends Error {
  override readonly name = "DependencyError";
}

async function guarded<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DependencyError) throw error;
    throw new DependencyError(`${what} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Marks every failure of a blob store as a dependency failure. */
export function guardBlobStore(store: BlobStore): BlobStore {
  return {
    get: (key) => guarded(`read ${key}`, () => store.get(key)),
    putIfAbsent: (key, body) => guarded(`write ${key}`, () => store.putIfAbsent(key, body)),
    putIfMatch: (key, body, etag) => guarded(`write ${key}`, () => store.putIfMatch(key, body, etag)),
    list: (prefix) => guarded(`list ${prefix}`, () => store.list(prefix)),
    locate: (key) => store.locate(key),
  };
}

export function guardNotifier(notifier: Notifier): Notifier {
  return { publish: (alert) => guarded("publish alert", () => notifier.publish(alert)) };
}

export interface BatchDeps {
  pipeline: PipelineDeps;
  logger: Logger;
  metrics: Metrics;
}

export interface BatchResult {
  processed: WriteOutcome[];
  malformed: number;
  irrelevant: number;
  controlMessages: number;
}

function countWrite(metrics: Metrics, outcome: WriteOutcome): void {
  const byClass = metrics.singleMetric();
  byClass.addDimension("class", outcome.class);
  byClass.addMetric("Writes", MetricUnit.Count, 1);
  if (outcome.alerted) metrics.addMetric("AlertsSent", MetricUnit.Count, 1);
  if (outcome.captureRequested) metrics.addMetric("CaptureRequests", MetricUnit.Count, 1);
  if (outcome.duplicate) metrics.addMetric("StoreConflicts", MetricUnit.Count, 1);
}

export async function processLogsEvent(event: unknown, deps: BatchDeps): Promise<BatchResult> {
  const { logger, metrics } = deps;
  const decoded = decodeAwsLogsEvent(event);
  for (const problem of decoded.problems) {
    logger.warn("malformed event skipped", {
      auditID: problem.auditID,
      source: problem.source,
      reason: problem.reason,
    });
  }
  if (decoded.problems.length)
    metrics.addMetric("MalformedEvents", MetricUnit.Count, decoded.problems.length);

  // Within a delivery, file writes in the order they happened; across deliveries the pipeline
  // orders by resourceVersion whatever the arrival order.
  const writes = [...decoded.writes].sort((a, b) =>
    a.write.time < b.write.time ? -1 : a.write.time > b.write.time ? 1 : 0,
  );
  const result: BatchResult = {
    processed: [],
    malformed: decoded.problems.length,
    irrelevant: decoded.irrelevant,
    controlMessages: decoded.controlMessages,
  };
  for (const item of writes) {
    const { write } = item;
    const keys = { auditID: write.auditID, cluster: item.cluster, verb: write.verb };
    if (!item.cluster) {
      logger.warn("event without a cluster log group skipped", keys);
      metrics.addMetric("MalformedEvents", MetricUnit.Count, 1);
      result.malformed++;
      continue;
    }
    const policy = makePolicy({
      ...deps.pipeline.policy,
      clusterAccount: deps.pipeline.policy.clusterAccount ?? item.owner,
    });
    try {
      const outcome = await processWrite({ ...deps.pipeline, policy }, item.cluster, write);
      logger.info("aws-auth write processed", { ...keys, ...outcome });
      countWrite(metrics, outcome);
      result.processed.push(outcome);
    } catch (error) {
      if (error instanceof DependencyError) {
        logger.error("dependency failed; failing the invocation so that it is retried", { ...keys, error });
        throw error;
      }
      // A bug or an event the core could not handle must not cost the other events their snapshots.
      logger.error("event could not be processed", { ...keys, error });
      metrics.addMetric("MalformedEvents", MetricUnit.Count, 1);
      result.malformed++;
    }
  }
  return result;
}
