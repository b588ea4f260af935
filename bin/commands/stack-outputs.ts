/**
 * Finds the cluster-access function when the user did not name it: `--function`, else
 * `$AWS_AUTH_GUARDIAN_FUNCTION`, else the output `ClusterAccessFunctionName` of the deployed stack
 * (`--stack`, `$AWS_AUTH_GUARDIAN_STACK`, default `AwsAuthGuardian`), so that in a lockout the one
 * command needs nothing but `--cluster`.
 */
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { type Env, endpointFromEnv } from "../../lambda/adapters/aws-clients.js";
import { UsageError } from "./io.js";

export const DEFAULT_STACK = "AwsAuthGuardian";
export const FUNCTION_OUTPUT = "ClusterAccessFunctionName";

export interface FunctionLookup {
  option?: string;
  stack?: string;
  region?: string;
  env: Env;
}

function cloudFormation(lookup: FunctionLookup): CloudFormationClient {
  const { env } = lookup;
  const region = lookup.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const endpoint = endpointFromEnv(env, "CLOUDFORMATION");
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  return new CloudFormationClient({
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(credentials && env !== process.env ? { credentials } : {}),
  });
}

/** The function to invoke; throws a UsageError that says what to pass when it cannot be found. */
export async function resolveFunctionName(lookup: FunctionLookup): Promise<string> {
  const named = lookup.option ?? lookup.env.AWS_AUTH_GUARDIAN_FUNCTION;
  if (named) return named;
  const stack = lookup.stack ?? lookup.env.AWS_AUTH_GUARDIAN_STACK ?? DEFAULT_STACK;
  const advice =
    "pass --function NAME (the stack output ClusterAccessFunctionName) or set AWS_AUTH_GUARDIAN_FUNCTION, or use --direct with your own kubeconfig";
  let outputs: Array<{ OutputKey?: string; OutputValue?: string }>;
  try {
    const answer = await cloudFormation(lookup).send(new DescribeStacksCommand({ StackName: stack }));
    outputs = answer.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    throw new UsageError(
      `no cluster-access function given: ${advice} (looking up stack ${stack}'s outputs failed: ${(error as Error).message})`,
    );
  }
  const value = outputs.find((o) => o.OutputKey === FUNCTION_OUTPUT)?.OutputValue;
  if (!value)
    throw new UsageError(
      `no cluster-access function given: stack ${stack} has no output ${FUNCTION_OUTPUT}; ${advice}`,
    );
  return value;
}
