/**
 * `aws-auth-guardian capture`: read the live aws-auth and store it as a version (the baseline of a
 * newly guarded cluster, or the content of a write the audit stream did not carry). Through the
 * cluster-access function, or `--direct` with your own kubeconfig into a store you name.
 */
import { oneLine } from "../../lambda/core/encode.js";
import { makePolicy } from "../../lambda/core/policy.js";
import { type CaptureResult, captureLive, type LiveDeps } from "../../lambda/restore/capture-verify.js";
import { type CommandDeps, type CommandIo, type CommandRun, UsageError } from "./io.js";
import type { ClusterAccessOptions } from "./options.js";
import {
  directCluster,
  directNotifier,
  kubeconfigClient,
  rejectFunctionFlags,
  reportHeld,
  requireKubeconfig,
  unexpectedAnswer,
  viaFunction,
} from "./restore.js";
import { openStore } from "./store-location.js";

type LiveEvent = { action: "capture"; reason?: string } | { action: "verify" };

/**
 * Runs capture or verify: direct (kubeconfig + store, pipeline here) or through the function.
 * `direct` receives what a direct run needs and returns the result.
 */
export async function runLive<T extends { operation: string }>(
  values: ClusterAccessOptions,
  io: CommandIo,
  deps: CommandDeps,
  event: LiveEvent,
  direct: (live: LiveDeps, cluster: string) => Promise<T>,
): Promise<T & { warnings?: string[] }> {
  if (values.direct) {
    const env = deps.env ?? process.env;
    const kubeconfig = requireKubeconfig(values);
    if (!values.store) throw new UsageError("--direct needs --store s3://BUCKET[/prefix] or --store DIR");
    rejectFunctionFlags(values);
    const client = kubeconfigClient(kubeconfig, values.context);
    const opened = await openStore(values.store, { mustExist: false, env, region: values.region });
    const cluster = await directCluster(values.cluster, opened, kubeconfig, values.context);
    const notify = directNotifier(values.topicArn, env, values.region);
    const result = await direct(
      {
        client,
        pipeline: {
          store: opened.store,
          notifier: notify.notifier,
          policy: makePolicy(),
          now: () => new Date(),
        },
      },
      cluster,
    );
    reportHeld(io, notify.held);
    return result;
  }
  const { cluster, invoke } = viaFunction(values, deps, ["kubeconfig", "context", "store", "topicArn"]);
  const answer = (await invoke({ ...event, cluster })) as T & { warnings?: string[] };
  if (typeof answer !== "object" || answer === null || answer.operation !== event.action) {
    throw unexpectedAnswer(answer);
  }
  return answer;
}

export interface CaptureOptions extends ClusterAccessOptions {
  reason?: string;
}

export const captureCommand: CommandRun<CaptureOptions> = async ({ options: values, io, deps }) => {
  const reason = values.reason ?? "capture requested from the command line";
  const result: CaptureResult & { warnings?: string[] } = await runLive(
    values,
    io,
    deps,
    { action: "capture", reason },
    (live, cluster) => captureLive(live, cluster, reason),
  );
  for (const warning of result.warnings ?? []) io.err(`warning: ${oneLine(warning)}\n`);
  if (values.json) {
    io.out(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    io.out(`Cluster ${result.cluster}: ${result.outcome}: ${oneLine(result.detail)}\n`);
    if (result.drift) io.out("BLIND SPOT: the guardian missed a write to aws-auth; an alert was raised.\n");
  }
  return 0;
};
