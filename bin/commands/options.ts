/**
 * Options that several commands share, declared once. Commander camelCases them for the action:
 * `--topic-arn` arrives as `topicArn`.
 */
import { type Command, Option } from "commander";

/** Repeatable option: every value, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function regionOption(command: Command, what: string): Command {
  return command.option("--region <region>", `AWS region of ${what} (default: the AWS SDK's)`);
}

export function jsonOption(command: Command, what = "the result"): Command {
  return command.option("--json", `print ${what} as JSON`);
}

/** `--store` and `--cluster` of the commands that read a snapshot store. */
export function storeOptions(command: Command): Command {
  command
    .option("--store <location>", "snapshot store: s3://BUCKET[/prefix] or a local folder")
    .option("--cluster <name>", "cluster in the store (default: the only one it holds)");
  return regionOption(command, "the S3 store");
}

/** The options of every command that reaches the cluster: restore, capture and verify. */
export function clusterAccessOptions(command: Command): Command {
  command
    .option("--cluster <name>", "the EKS cluster (required through the function)")
    .option(
      "--function <name>",
      "the cluster-access function (default: $AWS_AUTH_GUARDIAN_FUNCTION, else the output ClusterAccessFunctionName of the deployed stack)",
    )
    .option(
      "--stack <name>",
      "stack to read that output from (default: $AWS_AUTH_GUARDIAN_STACK or AwsAuthGuardian)",
    )
    .option(
      "--region <region>",
      "AWS region of the function, or with --direct of the S3 store and SNS topic (default: the AWS SDK's)",
    )
    .option("--direct", "run here, through your own --kubeconfig, instead of through the function")
    .option("--kubeconfig <file>", "kubeconfig to use with --direct")
    .option("--context <name>", "kubeconfig context (default: its current context)")
    .option("--store <location>", "with --direct: snapshot store, s3://BUCKET[/prefix] or a local folder")
    .addOption(new Option("--topic-arn <arn>", "with --direct: publish notifications to this SNS topic"));
  return jsonOption(command);
}

/** What `clusterAccessOptions` gives the action. */
export interface ClusterAccessOptions {
  cluster?: string;
  function?: string;
  stack?: string;
  region?: string;
  direct?: boolean;
  kubeconfig?: string;
  context?: string;
  store?: string;
  topicArn?: string;
  json?: boolean;
}
