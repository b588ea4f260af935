/**
 * The guardian's alerting: the KMS-encrypted SNS topic every alert goes to, its e-mail subscriptions and the
 * AWS Chatbot Slack channel. Creates its resources in the guardian's scope (see lib/storage.ts for why).
 */
import { Aws, Names } from "aws-cdk-lib";
import * as chatbot from "aws-cdk-lib/aws-chatbot";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type { Construct } from "constructs";
import { allow, useKey } from "./guardian-function.js";

/** The Slack channel that receives the alerts through AWS Chatbot. */
export interface GuardianSlackChannel {
  /** The Slack workspace (team) id AWS Chatbot shows once the workspace is authorised, e.g. `T0123ABCD`. */
  readonly workspaceId: string;
  /** The channel id (from the channel's "Copy link"), e.g. `C0123ABCD`. */
  readonly channelId: string;
}

export interface GuardianAlertingProps {
  /** Encrypts the topic (the guardian's key, see {@link GuardianStorage.encryptionKey}). */
  readonly encryptionKey: kms.IKey;

  /**
   * E-mail addresses subscribed to the alert topic (each confirms the subscription once).
   *
   * @default - no e-mail subscription
   */
  readonly alertEmails?: string[];

  /**
   * An AWS Chatbot Slack channel subscribed to the alert topic. Its guardrail is `ReadOnlyAccess` and its
   * role has no permissions, so nobody can act on AWS from the channel.
   *
   * @default - no Slack channel
   */
  readonly slack?: GuardianSlackChannel;
}

/** The alert topic and who receives it. */
export class GuardianAlerting {
  /** Alerts from the classifier, the cluster-access and discovery functions, and the alarms. */
  readonly alertTopic: sns.Topic;
  /** The Slack channel configuration, when Slack is configured. */
  readonly slackChannel?: chatbot.SlackChannelConfiguration;

  private readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, props: GuardianAlertingProps) {
    this.encryptionKey = props.encryptionKey;
    this.alertTopic = new sns.Topic(scope, "AlertTopic", {
      displayName: "aws-auth-guardian",
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one, so CloudWatch alarms of this account need it said explicitly.
    this.alertTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "AllowThisAccountsAlarms",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.alertTopic.topicArn],
        conditions: {
          ArnLike: {
            "aws:SourceArn": `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
          StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
        },
      }),
    );
    for (const address of props.alertEmails ?? []) {
      this.alertTopic.addSubscription(new subscriptions.EmailSubscription(address));
    }
    if (props.slack) {
      this.slackChannel = new chatbot.SlackChannelConfiguration(scope, "SlackChannel", {
        slackChannelConfigurationName: Names.uniqueResourceName(scope, { maxLength: 120, separator: "-" }),
        slackWorkspaceId: props.slack.workspaceId,
        slackChannelId: props.slack.channelId,
        notificationTopics: [this.alertTopic],
        // Without a guardrail AWS Chatbot applies AdministratorAccess. Read-only caps whatever the channel role
        // is ever given; the role itself gets no permissions (notifications only).
        guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName("ReadOnlyAccess")],
        userRoleRequired: false,
      });
    }
  }

  /** Publish to the alert topic, with the key (the same statement as the snapshot grant's, kept once). */
  grantPublish(role: iam.Role): void {
    role.addToPrincipalPolicy(allow("PublishAlerts", ["sns:Publish"], [this.alertTopic.topicArn]));
    role.addToPrincipalPolicy(useKey(this.encryptionKey));
  }
}
