/**
 * The CDK app (cdk.json: `npx tsx bin/app.ts`): one guardian stack per account and region, configured from
 * cdk.json's context, checked with cdk-nag's AWS Solutions rules on every synth.
 */
import { Annotations, App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { AwsAuthGuardianStack } from "../lib/aws-auth-guardian-stack.js";
import { ConfigError, checkContextKeys, configWarnings, loadGuardianConfig } from "../lib/config.js";

const app = new App();

let config: ReturnType<typeof loadGuardianConfig>;
try {
  checkContextKeys(Object.keys(app.node.getAllContext()));
  config = loadGuardianConfig((key) => app.node.tryGetContext(key));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`aws-auth-guardian configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const stack = new AwsAuthGuardianStack(app, "AwsAuthGuardian", {
  description: "aws-auth-guardian: watches, snapshots and restores the EKS aws-auth ConfigMap",
  // Environment-agnostic unless the CLI knows the account: nothing in the stack needs a lookup.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  config,
});

for (const warning of configWarnings(config)) {
  Annotations.of(stack).addWarningV2("aws-auth-guardian:config", warning);
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
