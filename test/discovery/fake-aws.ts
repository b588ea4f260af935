/**
 * An in-memory account for the discovery tests, plugged into the REAL SDK clients as a middleware at the
 * `initialize` step: commands are built, paginated and awaited exactly as in Lambda, and the fake answers
 * before anything is serialized or signed. Errors are the SDK's own exception classes, so the code under
 * test sees what it would see from AWS.
 *
 * Only the handful of calls discovery makes are implemented; any other command fails the test loudly.
 */
import {
  CloudWatchLogsClient,
  LimitExceededException,
  ResourceNotFoundException as LogsNotFound,
  type SubscriptionFilter,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  AccessDeniedException,
  type AssociatedAccessPolicy,
  type AuthenticationMode,
  type ClusterStatus,
  EKSClient,
  ResourceNotFoundException as EksNotFound,
  InvalidRequestException,
  ResourceInUseException,
} from "@aws-sdk/client-eks";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import type { DiscoveryClients } from "../../lambda/discovery/discovery.js";

export const REGION = "eu-west-1";
export const ACCOUNT = "111122223333";

export interface FakeCluster {
  status?: ClusterStatus;
  audit?: boolean;
  mode?: AuthenticationMode;
  /** Every call naming this cluster fails with AccessDenied. */
  denied?: boolean;
}

export interface Call {
  service: "logs" | "eks" | "lambda" | "sns";
  command: string;
  input: Record<string, unknown>;
}

export interface Published {
  TopicArn: string;
  Subject: string;
  MessageStructure: string;
  message: { default: string; email: string };
  attributes: Record<string, string>;
}

const metadata = { $metadata: {} };

export class FakeAws {
  readonly clusters = new Map<string, FakeCluster>();
  /** Log group name → its subscription filters; absent key = the log group does not exist. */
  readonly logGroups = new Map<string, SubscriptionFilter[]>();
  /** `cluster|principalArn` → associated access policies. */
  readonly accessEntries = new Map<string, AssociatedAccessPolicy[]>();
  readonly calls: Call[] = [];
  /** Subscription filters CloudWatch Logs allows per log group. */
  filterLimit = 2;
  /** Command name → the error every call of it throws. */
  readonly failures = new Map<string, () => Error>();

  /** A cluster with audit logging on, API_AND_CONFIG_MAP and its log group, unless told otherwise. */
  addCluster(name: string, cluster: FakeCluster = {}, options: { logGroup?: boolean } = {}): this {
    this.clusters.set(name, { status: "ACTIVE", audit: true, mode: "API_AND_CONFIG_MAP", ...cluster });
    if (options.logGroup ?? true) this.logGroups.set(`/aws/eks/${name}/cluster`, []);
    return this;
  }

  clients(): DiscoveryClients {
    const config = {
      region: REGION,
      credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" },
      maxAttempts: 1,
    };
    return {
      logs: this.attach(new CloudWatchLogsClient(config), "logs"),
      eks: this.attach(new EKSClient(config), "eks"),
      lambda: this.attach(new LambdaClient(config), "lambda"),
      sns: this.attach(new SNSClient(config), "sns"),
    };
  }

  callsTo(command: string): Call[] {
    return this.calls.filter((call) => call.command === command);
  }

  invocations(): { functionName: string; invocationType: string; payload: unknown }[] {
    return this.callsTo("InvokeCommand").map(({ input }) => ({
      functionName: String(input.FunctionName),
      invocationType: String(input.InvocationType),
      payload: JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)),
    }));
  }

  published(): Published[] {
    return this.callsTo("PublishCommand").map(({ input }) => ({
      TopicArn: String(input.TopicArn),
      Subject: String(input.Subject),
      MessageStructure: String(input.MessageStructure),
      message: JSON.parse(String(input.Message)),
      attributes: Object.fromEntries(
        Object.entries((input.MessageAttributes ?? {}) as Record<string, { StringValue: string }>).map(
          ([k, v]) => [k, v.StringValue],
        ),
      ),
    }));
  }

  private attach<C extends { middlewareStack: { add: (...args: never[]) => void } }>(
    client: C,
    service: Call["service"],
  ): C {
    const add = client.middlewareStack.add as unknown as (
      middleware: (
        next: unknown,
        context: { commandName: string },
      ) => (args: { input: Record<string, unknown> }) => Promise<unknown>,
      options: { step: string; name: string; priority: string },
    ) => void;
    add.call(
      client.middlewareStack,
      (_next, context) => async (args) => {
        this.calls.push({ service, command: context.commandName, input: args.input });
        const failure = this.failures.get(context.commandName);
        if (failure) throw failure();
        const output = this.answer(context.commandName, args.input);
        return { output: { ...metadata, ...output }, response: {} };
      },
      { step: "initialize", name: "fakeAws", priority: "high" },
    );
    return client;
  }

  private answer(command: string, input: Record<string, unknown>): Record<string, unknown> {
    switch (command) {
      case "ListClustersCommand":
        return this.listClusters(input);
      case "DescribeClusterCommand":
        return { cluster: this.describeCluster(String(input.name)) };
      case "DescribeSubscriptionFiltersCommand":
        return { subscriptionFilters: [...this.filtersOf(String(input.logGroupName))] };
      case "PutSubscriptionFilterCommand":
        return this.putFilter(input);
      case "DeleteSubscriptionFilterCommand": {
        const filters = this.filtersOf(String(input.logGroupName));
        const index = filters.findIndex((f) => f.filterName === input.filterName);
        if (index < 0)
          throw new LogsNotFound({
            message: "The specified subscription filter does not exist.",
            ...metadata,
          });
        filters.splice(index, 1);
        return {};
      }
      case "DescribeAccessEntryCommand": {
        const key = this.entryKey(input);
        if (!this.accessEntries.has(key))
          throw new EksNotFound({ message: "access entry not found", ...metadata });
        return {
          accessEntry: { clusterName: input.clusterName, principalArn: input.principalArn, type: "STANDARD" },
        };
      }
      case "CreateAccessEntryCommand": {
        const cluster = this.describeCluster(String(input.clusterName));
        if (cluster.accessConfig?.authenticationMode === "CONFIG_MAP") {
          throw new InvalidRequestException({
            message: "authentication mode must be API or API_AND_CONFIG_MAP",
            ...metadata,
          });
        }
        const key = this.entryKey(input);
        if (this.accessEntries.has(key))
          throw new ResourceInUseException({ message: "already exists", ...metadata });
        this.accessEntries.set(key, []);
        return { accessEntry: {} };
      }
      case "ListAssociatedAccessPoliciesCommand": {
        const policies = this.accessEntries.get(this.entryKey(input));
        if (!policies) throw new EksNotFound({ message: "access entry not found", ...metadata });
        return { associatedAccessPolicies: [...policies] };
      }
      case "AssociateAccessPolicyCommand": {
        const policies = this.accessEntries.get(this.entryKey(input));
        if (!policies) throw new EksNotFound({ message: "access entry not found", ...metadata });
        const policy = {
          policyArn: String(input.policyArn),
          accessScope: input.accessScope as AssociatedAccessPolicy["accessScope"],
        };
        const at = policies.findIndex((p) => p.policyArn === policy.policyArn);
        if (at >= 0) policies[at] = policy;
        else policies.push(policy);
        return {};
      }
      case "DeleteAccessEntryCommand": {
        const key = this.entryKey(input);
        if (!this.accessEntries.delete(key))
          throw new EksNotFound({ message: "access entry not found", ...metadata });
        return {};
      }
      case "InvokeCommand":
        return { StatusCode: 202 };
      case "PublishCommand":
        return { MessageId: `msg-${this.calls.length}` };
      default:
        throw new Error(`FakeAws does not implement ${command}`);
    }
  }

  private listClusters(input: Record<string, unknown>): Record<string, unknown> {
    // Two clusters per page, to exercise the paginator.
    const names = [...this.clusters.keys()].sort();
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const page = names.slice(start, start + 2);
    return start + 2 < names.length ? { clusters: page, nextToken: String(start + 2) } : { clusters: page };
  }

  private describeCluster(name: string) {
    const cluster = this.clusters.get(name);
    if (!cluster) throw new EksNotFound({ message: `No cluster found for name: ${name}.`, ...metadata });
    if (cluster.denied)
      throw new AccessDeniedException({
        message: "not authorized to perform eks:DescribeCluster",
        ...metadata,
      });
    return {
      name,
      arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${name}`,
      status: cluster.status,
      accessConfig: { authenticationMode: cluster.mode },
      logging: {
        clusterLogging: [
          { types: cluster.audit ? ["api", "audit"] : ["api"], enabled: true },
          ...(cluster.audit ? [] : [{ types: ["audit", "authenticator"], enabled: false }]),
        ],
      },
    };
  }

  private filtersOf(logGroupName: string): SubscriptionFilter[] {
    const filters = this.logGroups.get(logGroupName);
    if (!filters) throw new LogsNotFound({ message: "The specified log group does not exist.", ...metadata });
    return filters;
  }

  private putFilter(input: Record<string, unknown>): Record<string, unknown> {
    const logGroupName = String(input.logGroupName);
    const filters = this.filtersOf(logGroupName);
    const filter: SubscriptionFilter = {
      filterName: String(input.filterName),
      logGroupName,
      filterPattern: String(input.filterPattern),
      destinationArn: String(input.destinationArn),
      distribution: (input.distribution as SubscriptionFilter["distribution"]) ?? "ByLogStream",
    };
    const at = filters.findIndex((f) => f.filterName === filter.filterName);
    if (at >= 0) {
      filters[at] = filter;
      return {};
    }
    if (filters.length >= this.filterLimit) {
      throw new LimitExceededException({ message: "Resource limit exceeded.", ...metadata });
    }
    filters.push(filter);
    return {};
  }

  private entryKey(input: Record<string, unknown>): string {
    return `${String(input.clusterName)}|${String(input.principalArn)}`;
  }
}
