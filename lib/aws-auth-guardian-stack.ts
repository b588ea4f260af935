/**
 * The deployable stack: an {@link AwsAuthGuardian} built from the validated cdk.json configuration, plus the
 * outputs an operator needs (bucket, topic, functions, and the exact restore command).
 */
import { CfnOutput, Duration, Fn, Stack, type StackProps, Validations } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as events from "aws-cdk-lib/aws-events";
import type { Construct } from "constructs";
import { AwsAuthGuardian, GuardedClusters, type GuardianNetwork } from "./aws-auth-guardian.js";
import { type GuardianConfig, rateToMinutes, type VpcConfig } from "./config.js";

export interface AwsAuthGuardianStackProps extends StackProps {
  /** The validated configuration (see `loadGuardianConfig`). */
  readonly config: GuardianConfig;
}

export class AwsAuthGuardianStack extends Stack {
  readonly guardian: AwsAuthGuardian;

  constructor(scope: Construct, id: string, props: AwsAuthGuardianStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.guardian = new AwsAuthGuardian(this, "Guardian", {
      clusters:
        config.clusters === "discover"
          ? GuardedClusters.discover()
          : GuardedClusters.named(...config.clusters),
      alertEmails: [...config.alertEmails],
      trustedWriters: [...config.trustedWriters],
      ...(config.restoreOperators ? { restoreOperators: [...config.restoreOperators] } : {}),
      ...(config.keyAdministrators ? { keyAdministrators: [...config.keyAdministrators] } : {}),
      ...(config.breakGlassPrincipals ? { breakGlassPrincipals: [...config.breakGlassPrincipals] } : {}),
      ...(config.extraNodeRoleArns ? { extraNodeRoleArns: [...config.extraNodeRoleArns] } : {}),
      ...(config.alertClasses ? { alertClasses: [...config.alertClasses] } : {}),
      ...(config.alertMinSeverity ? { alertMinSeverity: config.alertMinSeverity } : {}),
      grantAccessEntries: config.grantAccessEntries,
      objectLock: config.objectLock,
      ...(config.slack ? { slack: config.slack } : {}),
      ...(config.vpc ? { network: this.network(config.vpc) } : {}),
      ...(config.snapshotRetentionDays !== undefined
        ? { snapshotRetention: Duration.days(config.snapshotRetentionDays) }
        : {}),
      ...(config.verifySchedule !== undefined
        ? { verifySchedule: events.Schedule.rate(Duration.minutes(rateToMinutes(config.verifySchedule))) }
        : {}),
    });

    const g = this.guardian;
    new CfnOutput(this, "SnapshotBucketName", {
      description: "S3 bucket holding every version of every guarded cluster's aws-auth",
      value: g.snapshotBucket.bucketName,
    });
    new CfnOutput(this, "AlertTopicArn", {
      description: "SNS topic the alerts go to",
      value: g.alertTopic.topicArn,
    });
    new CfnOutput(this, "ClassifierFunctionName", { value: g.classifierFunction.functionName });
    new CfnOutput(this, "ClusterAccessFunctionName", {
      description: "Restores, captures and verifies aws-auth (pass it to --function)",
      value: g.clusterAccessFunction.functionName,
    });
    new CfnOutput(this, "DiscoveryFunctionName", { value: g.discoveryFunction.functionName });
    const only = g.clusterNames?.length === 1 ? g.clusterNames[0] : undefined;
    new CfnOutput(this, "RestoreCommand", {
      description: only
        ? "Puts the last good aws-auth back"
        : "Puts the last good aws-auth back (replace <name> with the cluster)",
      value: `aws-auth-guardian restore --cluster ${only ?? "<name>"} --function ${g.clusterAccessFunction.functionName}`,
    });
  }

  /** The VPC from ids only: no lookups, so `cdk synth` works offline and without credentials. */
  private network(vpc: VpcConfig): GuardianNetwork {
    const imported = ec2.Vpc.fromVpcAttributes(this, "Vpc", {
      vpcId: vpc.vpcId,
      // Only the explicit subnets below are used, never a selection by AZ; a token keeps it lookup-free.
      availabilityZones: Fn.getAzs(),
    });
    Validations.of(imported).acknowledge({
      id: "@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones",
      reason:
        "The function is placed in the configured subnets by id; nothing selects subnets by AZ or type.",
    });
    const subnets = vpc.subnetIds.map((id, i) => {
      const subnet = ec2.Subnet.fromSubnetId(this, `Subnet${i}`, id);
      Validations.of(subnet).acknowledge({
        id: "@aws-cdk/aws-ec2:noSubnetRouteTableId",
        reason: "Only the subnet id is used (Lambda VpcConfig); the stack never reads its route table.",
      });
      return subnet;
    });
    return {
      vpc: imported,
      subnets: { subnets },
      ...(vpc.securityGroupIds
        ? {
            securityGroups: vpc.securityGroupIds.map((id, i) =>
              ec2.SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, id),
            ),
          }
        : {}),
    };
  }
}
