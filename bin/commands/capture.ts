/**
 * `aws-auth-guardian capture`: read the live aws-auth and store it as a version (the baseline of a
 * newly guarded cluster, or the content of a write the audit stream did not carry). Through the
 * cluster-access function, or `--direct` with your own kubeconfig into a store you name.
 */
import { parseArgs } from "node:util";
import { oneLine } from "../../lambda/core/encode.js";
import { makePolicy } from "../../lambda/core/policy.js";
import { type CaptureResult, captureLive, type LiveDeps } from "../../lambda/restore/capture-verify.js";
import { type CommandIo, UsageError } from "./io.js";
import {
  CLUSTER_ACCESS_OPTIONS,
  type ClusterAccessOptions,
  type CommandDeps,
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

export const CAPTURE_HELP = `Usage:
  aws-auth-guardian capture --cluster NAME [--reason TEXT] [--function NAME] [--region REGION]
  aws-auth-guardian capture --direct --kubeconfig FILE [--context NAME] --store s3://BUCKET[/prefix]|DIR
                            [--cluster NAME] [--reason TEXT] [--topic-arn ARN]

Reads the live kube-system/aws-auth and files it in the snapshot store as a version, classified
against the history (the first capture is the baseline). A resourceVersion already stored is not
stored twice. A live object that differs from the latest record without an audit event, or an
aws-auth that is gone while the latest record is a version, is reported and alerted (blind spot).

  --json    print the result as JSON

Exit status: 0 captured (or already stored, or nothing to capture), 1 on errors.`;

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
    const opened = await openStore(values.store, { mustExist: false, env });
    const cluster = await directCluster(values.cluster, opened, kubeconfig, values.context);
    const notify = directNotifier(values["topic-arn"], env);
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
  const { cluster, invoke } = viaFunction(values, deps, ["kubeconfig", "context", "store", "topic-arn"]);
  const answer = (await invoke({ ...event, cluster })) as T & { warnings?: string[] };
  if (typeof answer !== "object" || answer === null || answer.operation !== event.action) {
    throw unexpectedAnswer(answer);
  }
  return answer;
}

export async function captureCommand(argv: string[], io: CommandIo, deps: CommandDeps = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...CLUSTER_ACCESS_OPTIONS, reason: { type: "string" } },
  });
  if (values.help) {
    io.out(`${CAPTURE_HELP}\n`);
    return 0;
  }
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
}
