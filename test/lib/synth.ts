/**
 * Synthesizes the guardian stack for tests the way `cdk synth` would, from cdk.json's context (feature flags
 * and the example configuration) plus overrides, but WITHOUT bundling the Lambda code: the context key
 * `aws:cdk:bundling-stacks: []` tells NodejsFunction to skip esbuild (the real bundling runs in .ci/synth).
 */
import { readFileSync } from "node:fs";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { AwsAuthGuardianStack } from "../../lib/aws-auth-guardian-stack.js";
import { type GuardianConfig, loadGuardianConfig } from "../../lib/config.js";

const CDK_JSON = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as {
  app: string;
  context: Record<string, unknown>;
};

/** cdk.json's context: the feature flags and the example configuration. */
export const CDK_CONTEXT: Readonly<Record<string, unknown>> = CDK_JSON.context;
export const CDK_APP_COMMAND = CDK_JSON.app;

export interface Synthesized {
  app: App;
  stack: AwsAuthGuardianStack;
  template: Template;
  config: GuardianConfig;
}

/** The stack from cdk.json's context with `overrides` applied (`undefined` removes a key). */
export function synthesize(overrides: Record<string, unknown> = {}): Synthesized {
  const context: Record<string, unknown> = { ...CDK_CONTEXT, ...overrides, "aws:cdk:bundling-stacks": [] };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete context[key];
  const app = new App({ context });
  const config = loadGuardianConfig((key) => app.node.tryGetContext(key));
  // Environment-agnostic, as `cdk synth` without credentials produces it.
  const stack = new AwsAuthGuardianStack(app, "AwsAuthGuardian", { config });
  return { app, stack, template: Template.fromStack(stack), config };
}

/** cdk-nag's AWS Solutions findings that are not acknowledged, as `rule @ construct path`. */
export function unacknowledgedFindings(app: App): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => `${violation.ruleName} @ ${resource.constructPath}`),
  );
}

/** Every cdk-nag acknowledgement in the tree: rule id → reason, with the construct it is attached to. */
export function acknowledgements(app: App): { path: string; id: string; reason: string }[] {
  const found: { path: string; id: string; reason: string }[] = [];
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== "aws:cdk:acknowledged-rules") continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: construct.node.path, id: id.replace(/^annotation::/i, ""), reason });
      }
    }
  }
  return found;
}

/** The template as JSON with every asset hash replaced, so that a code change does not break the snapshot. */
export function withoutAssetHashes(template: Template): unknown {
  const json = JSON.stringify(template.toJSON());
  return JSON.parse(json.replace(/[0-9a-f]{64}(\.zip|\.json)?/g, "[ASSET HASH]$1"));
}
