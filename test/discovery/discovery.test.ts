/**
 * Discovery against an in-memory account (fake-aws.ts) reached through the real SDK clients.
 */
import { InvalidParameterException, ThrottlingException } from "@aws-sdk/client-cloudwatch-logs";
import { AccessDeniedException } from "@aws-sdk/client-eks";
import { describe, expect, it } from "vitest";
import { AWS_AUTH_WRITE_FILTER_PATTERN } from "../../lambda/core/subscription-filter.js";
import { type DiscoveryConfig, loadDiscoveryConfig } from "../../lambda/discovery/config.js";
import { discover, removeAll, verifyGuarded } from "../../lambda/discovery/discovery.js";
import { ACCOUNT, FakeAws, REGION } from "./fake-aws.js";

const ROLE = `arn:aws:iam::${ACCOUNT}:role/guardian-cluster-access`;
const EDIT = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
const CLASSIFIER = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:guardian-classifier`;

const CONFIG: DiscoveryConfig = {
  clusters: "*",
  classifierArn: CLASSIFIER,
  filterName: "aws-auth-guardian",
  accessEntries: "create",
  clusterAccessRoleArn: ROLE,
  accessPolicyArn: EDIT,
  clusterAccessFunctionName: "guardian-cluster-access",
  topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:guardian-alerts`,
  maxEventAttempts: 6,
};

const ourFilter = (logGroupName: string, overrides: Record<string, string> = {}) => ({
  filterName: "aws-auth-guardian",
  logGroupName,
  filterPattern: AWS_AUTH_WRITE_FILTER_PATTERN,
  destinationArn: CLASSIFIER,
  distribution: "ByLogStream" as const,
  ...overrides,
});

describe("discover", () => {
  it("guards a new cluster: puts the shared filter pattern, grants the scoped access entry, takes the baseline", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("prod");

    // Act
    const result = await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    expect(result.reports).toEqual([
      {
        cluster: "prod",
        state: "guarded",
        filter: "created",
        accessEntry: "created",
        captured: true,
        problems: [],
        authenticationMode: "API_AND_CONFIG_MAP",
      },
    ]);
    expect(aws.logGroups.get("/aws/eks/prod/cluster")).toEqual([ourFilter("/aws/eks/prod/cluster")]);
    expect(aws.callsTo("PutSubscriptionFilterCommand")[0]?.input.filterPattern).toBe(
      AWS_AUTH_WRITE_FILTER_PATTERN,
    );
    expect(aws.callsTo("CreateAccessEntryCommand")[0]?.input).toEqual({
      clusterName: "prod",
      principalArn: ROLE,
      type: "STANDARD",
    });
    expect(aws.accessEntries.get(`prod|${ROLE}`)).toEqual([
      { policyArn: EDIT, accessScope: { type: "namespace", namespaces: ["kube-system"] } },
    ]);
    expect(aws.invocations()).toEqual([
      {
        functionName: "guardian-cluster-access",
        invocationType: "Event",
        payload: { action: "capture", cluster: "prod", reason: "baseline" },
      },
    ]);
    expect(result.alerted).toBe(0);
  });

  it("lists every cluster of the region across pages", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("a").addCluster("b").addCluster("c");

    // Act
    const result = await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    expect(aws.callsTo("ListClustersCommand")).toHaveLength(2);
    expect(result.reports.map((r) => [r.cluster, r.state])).toEqual([
      ["a", "guarded"],
      ["b", "guarded"],
      ["c", "guarded"],
    ]);
  });

  it("changes nothing on a guarded cluster and takes no baseline on the daily run", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("prod");
    await discover({ reason: "schedule" }, CONFIG, aws.clients());
    aws.calls.length = 0;

    // Act
    const result = await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    expect(result.reports[0]).toMatchObject({
      state: "guarded",
      filter: "unchanged",
      accessEntry: "present",
      captured: false,
    });
    expect(aws.callsTo("PutSubscriptionFilterCommand")).toHaveLength(0);
    expect(aws.callsTo("CreateAccessEntryCommand")).toHaveLength(0);
    expect(aws.callsTo("AssociateAccessPolicyCommand")).toHaveLength(0);
    expect(aws.invocations()).toHaveLength(0);
  });

  it("takes a baseline of every guarded cluster at deploy", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("prod");
    aws.logGroups.set("/aws/eks/prod/cluster", [ourFilter("/aws/eks/prod/cluster")]);

    // Act
    const result = await discover({ reason: "deploy" }, CONFIG, aws.clients());

    // Assess
    expect(result.reports[0]).toMatchObject({ filter: "unchanged", captured: true });
    expect(aws.invocations().map((i) => i.payload)).toEqual([
      { action: "capture", cluster: "prod", reason: "baseline" },
    ]);
  });

  it("replaces its own filter when the pattern or the destination differs, leaving other filters alone", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("prod");
    const siem = {
      filterName: "siem",
      logGroupName: "/aws/eks/prod/cluster",
      filterPattern: "",
      destinationArn: "arn:aws:firehose:x",
    };
    aws.logGroups.set("/aws/eks/prod/cluster", [
      siem,
      ourFilter("/aws/eks/prod/cluster", { filterPattern: '{ $.verb = "patch" }' }),
    ]);

    // Act
    const result = await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    expect(result.reports[0]?.filter).toBe("updated");
    expect(aws.logGroups.get("/aws/eks/prod/cluster")).toEqual([siem, ourFilter("/aws/eks/prod/cluster")]);
  });

  it("associates the kube-system policy when the role's entry exists without it", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("prod");
    aws.accessEntries.set(`prod|${ROLE}`, [
      { policyArn: EDIT, accessScope: { type: "namespace", namespaces: ["default"] } },
    ]);

    // Act
    const result = await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    expect(result.reports[0]?.accessEntry).toBe("associated");
    expect(aws.callsTo("AssociateAccessPolicyCommand")[0]?.input.accessScope).toEqual({
      type: "namespace",
      namespaces: ["kube-system"],
    });
  });

  it("alerts when audit logging is off, and still puts the filter on the existing log group", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("blind", { audit: false });

    // Act
    const result = await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    expect(result.reports[0]).toMatchObject({ state: "guarded", filter: "created" });
    expect(result.reports[0]?.problems.map((p) => p.code)).toEqual(["audit-logging-off"]);
    const [alert] = aws.published();
    expect(alert?.Subject).toBe("[aws-auth AT RISK] blind: audit logging is off");
    expect(alert?.attributes).toEqual({ severity: "high", class: "unguarded", cluster: "blind" });
    expect(alert?.message.email).toContain(
      `aws eks update-cluster-config --name blind --logging '{"clusterLogging":[{"types":["audit"],"enabled":true}]}'`,
    );
  });

  it("alerts on CONFIG_MAP mode and creates no access entry there", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("legacy", { mode: "CONFIG_MAP" });

    // Act
    const result = await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    expect(result.reports[0]).toMatchObject({ state: "guarded", accessEntry: "not-applicable" });
    expect(result.reports[0]?.problems.map((p) => [p.code, p.severity])).toEqual([
      ["auth-mode-config-map", "medium"],
    ]);
    expect(aws.callsTo("CreateAccessEntryCommand")).toHaveLength(0);
    expect(aws.published()[0]?.message.email).toContain("authenticationMode=API_AND_CONFIG_MAP");
  });

  it("alerts, unguarded, when the audit log group does not exist", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("nolog", {}, { logGroup: false });

    // Act
    const result = await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    expect(result.reports[0]).toMatchObject({ state: "unguarded", filter: "absent" });
    expect(result.reports[0]?.problems.map((p) => p.code)).toEqual(["log-group-missing"]);
    expect(aws.published()[0]?.Subject).toBe("[aws-auth UNGUARDED] nolog: audit log group missing");
    expect(aws.invocations()).toHaveLength(0);
  });

  it("alerts when other subscription filters already use every slot of the log group", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("full");
    aws.logGroups.set("/aws/eks/full/cluster", [
      { filterName: "siem", destinationArn: "arn:aws:firehose:eu-west-1:111122223333:deliverystream/siem" },
      { filterName: "falco", destinationArn: "arn:aws:lambda:eu-west-1:111122223333:function:falco" },
    ]);

    // Act
    const result = await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    expect(result.reports[0]).toMatchObject({ state: "unguarded", filter: "absent", captured: false });
    const problem = result.reports[0]?.problems[0];
    expect(problem?.code).toBe("filter-limit-reached");
    expect(problem?.message).toContain("siem → arn:aws:firehose:eu-west-1:111122223333:deliverystream/siem");
    expect(aws.published()).toHaveLength(1);
  });

  it("alerts when CloudWatch Logs refuses the filter because it cannot invoke the classifier", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("prod");
    aws.failures.set(
      "PutSubscriptionFilterCommand",
      () =>
        new InvalidParameterException({
          message:
            "Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute your function.",
          $metadata: {},
        }),
    );

    // Act
    const result = await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    expect(result.reports[0]).toMatchObject({ state: "unguarded", filter: "absent", captured: false });
    expect(result.reports[0]?.problems.map((p) => p.code)).toEqual(["filter-rejected"]);
    expect(aws.published()[0]?.Subject).toBe("[aws-auth UNGUARDED] prod: subscription filter refused");
  });

  it("keeps going when one cluster fails, reporting that cluster as an error", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("a", { denied: true }).addCluster("b");

    // Act
    const result = await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    expect(result.reports.map((r) => [r.cluster, r.state, r.problems.map((p) => p.code)])).toEqual([
      ["a", "unguarded", ["error"]],
      ["b", "guarded", []],
    ]);
    expect(result.reports[0]?.problems[0]?.message).toContain("AccessDeniedException");
  });

  it("fails the whole run when the clusters cannot be listed (the guardian would be blind)", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("prod");
    aws.failures.set(
      "ListClustersCommand",
      () =>
        new AccessDeniedException({ message: "not authorized to perform eks:ListClusters", $metadata: {} }),
    );

    // Act
    const run = discover({ reason: "deploy" }, CONFIG, aws.clients());

    // Assess
    await expect(run).rejects.toThrow("eks:ListClusters");
  });

  it("skips deleting clusters and leaves creating ones pending without an alert", async () => {
    // Prepare
    const aws = new FakeAws()
      .addCluster("going", { status: "DELETING" })
      .addCluster("coming", { status: "CREATING" }, { logGroup: false });

    // Act
    const result = await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    expect(result.reports.map((r) => [r.cluster, r.state])).toEqual([
      ["coming", "pending"],
      ["going", "skipped"],
    ]);
    expect(aws.published()).toHaveLength(0);
  });

  describe("on a CloudTrail event", () => {
    it("waits for the audit log group of a cluster that just became active", async () => {
      // Prepare
      const aws = new FakeAws().addCluster("new", {}, { logGroup: false });

      // Act
      const result = await discover({ reason: "event", clusters: ["new"] }, CONFIG, aws.clients());

      // Assess
      expect(result.reports).toEqual([
        {
          cluster: "new",
          state: "pending",
          filter: "absent",
          accessEntry: "not-applicable",
          captured: false,
          problems: [],
          authenticationMode: "API_AND_CONFIG_MAP",
        },
      ]);
      expect(aws.published()).toHaveLength(0);
    });

    it("waits while the cluster is updating (logging being switched on)", async () => {
      // Prepare
      const aws = new FakeAws().addCluster("upd", { status: "UPDATING", audit: false });

      // Act
      const result = await discover({ reason: "event", clusters: ["upd"] }, CONFIG, aws.clients());

      // Assess
      expect(result.reports[0]?.state).toBe("pending");
    });

    it("reports what is still wrong on the final attempt", async () => {
      // Prepare
      const aws = new FakeAws().addCluster("new", {}, { logGroup: false });

      // Act
      const result = await discover(
        { reason: "event", clusters: ["new"], finalAttempt: true },
        CONFIG,
        aws.clients(),
      );

      // Assess
      expect(result.reports[0]?.problems.map((p) => p.code)).toEqual(["log-group-missing"]);
      expect(aws.published()).toHaveLength(1);
    });

    it("guards only the cluster the event names", async () => {
      // Prepare
      const aws = new FakeAws().addCluster("new").addCluster("other");

      // Act
      const result = await discover({ reason: "event", clusters: ["new"] }, CONFIG, aws.clients());

      // Assess
      expect(result.reports.map((r) => r.cluster)).toEqual(["new"]);
      expect(aws.callsTo("ListClustersCommand")).toHaveLength(0);
      expect(aws.logGroups.get("/aws/eks/other/cluster")).toEqual([]);
    });
  });

  describe("with a static cluster list whose access entries the stack declares", () => {
    const STATIC: DiscoveryConfig = { ...CONFIG, clusters: ["prod", "gone"], accessEntries: "check" };

    it("never lists the region's clusters and ignores events for clusters not on the list", async () => {
      // Prepare
      const aws = new FakeAws().addCluster("prod").addCluster("stranger");
      aws.accessEntries.set(`prod|${ROLE}`, [
        { policyArn: EDIT, accessScope: { type: "namespace", namespaces: ["kube-system"] } },
      ]);

      // Act
      const onEvent = await discover({ reason: "event", clusters: ["stranger"] }, STATIC, aws.clients());
      const daily = await discover({ reason: "schedule" }, STATIC, aws.clients());

      // Assess
      expect(onEvent.reports).toEqual([]);
      expect(aws.callsTo("ListClustersCommand")).toHaveLength(0);
      expect(daily.reports.map((r) => [r.cluster, r.accessEntry, r.problems.map((p) => p.code)])).toEqual([
        ["prod", "present", []],
        ["gone", "not-applicable", ["cluster-not-found"]],
      ]);
    });

    it("alerts on a missing access entry instead of creating it", async () => {
      // Prepare
      const aws = new FakeAws().addCluster("prod");

      // Act
      const result = await discover({ reason: "schedule" }, { ...STATIC, clusters: ["prod"] }, aws.clients());

      // Assess
      expect(result.reports[0]?.accessEntry).toBe("missing");
      expect(result.reports[0]?.problems.map((p) => p.code)).toEqual(["access-entry-missing"]);
      expect(aws.callsTo("CreateAccessEntryCommand")).toHaveLength(0);
      expect(aws.callsTo("AssociateAccessPolicyCommand")).toHaveLength(0);
    });
  });

  it("touches no access entry when access entries are off", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("prod");

    // Act
    const result = await discover({ reason: "schedule" }, { ...CONFIG, accessEntries: "off" }, aws.clients());

    // Assess
    expect(result.reports[0]).toMatchObject({ state: "guarded", accessEntry: "off", problems: [] });
    expect(aws.calls.filter((c) => c.command.includes("Access"))).toEqual([]);
  });
});

describe("the unguarded alert", () => {
  it("is an SNS JSON message: plain text for e-mail, a Chatbot custom notification as default", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("legacy", { mode: "CONFIG_MAP", audit: false });

    // Act
    await discover({ reason: "schedule" }, CONFIG, aws.clients());

    // Assess
    const [alert] = aws.published();
    expect(alert?.TopicArn).toBe(CONFIG.topicArn);
    expect(alert?.MessageStructure).toBe("json");
    expect(alert?.Subject.length).toBeLessThan(100);
    const chatbot = JSON.parse(alert?.message.default ?? "{}");
    expect(chatbot).toMatchObject({
      version: "1.0",
      source: "custom",
      content: { textType: "client-markdown", keywords: ["aws-auth", "legacy", "unguarded", "high"] },
      metadata: { threadId: "aws-auth-guardian/legacy", eventType: "aws-auth-unguarded" },
    });
    expect(chatbot.content.nextSteps).toEqual([
      `\`aws eks update-cluster-config --name legacy --logging '{"clusterLogging":[{"types":["audit"],"enabled":true}]}'\``,
      "`aws eks update-cluster-config --name legacy --access-config authenticationMode=API_AND_CONFIG_MAP`",
    ]);
    expect(alert?.message.email).toContain("1. [high] Audit logging is off");
    expect(alert?.message.email).toContain("2. [medium] Authentication mode is CONFIG_MAP");
  });
});

describe("verifyGuarded", () => {
  it("asks the cluster-access function to verify each cluster that carries the guardian's filter", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("a").addCluster("b").addCluster("c", {}, { logGroup: false });
    aws.logGroups.set("/aws/eks/a/cluster", [ourFilter("/aws/eks/a/cluster")]);

    // Act
    const asked = await verifyGuarded(CONFIG, aws.clients());

    // Assess
    expect(asked).toEqual(["a"]);
    expect(aws.invocations()).toEqual([
      {
        functionName: "guardian-cluster-access",
        invocationType: "Event",
        payload: { action: "verify", cluster: "a" },
      },
    ]);
  });
});

describe("removeAll", () => {
  it("removes only the guardian's own filter and the cluster-access role's own access entry", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("a").addCluster("b");
    const foreign = ourFilter("/aws/eks/b/cluster", {
      destinationArn: "arn:aws:lambda:eu-west-1:111122223333:function:other-guardian",
    });
    aws.logGroups.set("/aws/eks/a/cluster", [ourFilter("/aws/eks/a/cluster")]);
    aws.logGroups.set("/aws/eks/b/cluster", [foreign]);
    aws.accessEntries.set(`a|${ROLE}`, []);
    aws.accessEntries.set("a|arn:aws:iam::111122223333:role/admin", []);

    // Act
    const errors = await removeAll(CONFIG, aws.clients());

    // Assess
    expect(errors).toEqual([]);
    expect(aws.logGroups.get("/aws/eks/a/cluster")).toEqual([]);
    expect(aws.logGroups.get("/aws/eks/b/cluster")).toEqual([foreign]);
    expect([...aws.accessEntries.keys()]).toEqual(["a|arn:aws:iam::111122223333:role/admin"]);
  });

  it("leaves a static list's filters to the stack, which declares and deletes them", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("a");
    aws.logGroups.set("/aws/eks/a/cluster", [ourFilter("/aws/eks/a/cluster")]);

    // Act
    const errors = await removeAll({ ...CONFIG, clusters: ["a"], accessEntries: "check" }, aws.clients());

    // Assess
    expect(errors).toEqual([]);
    expect(aws.calls).toEqual([]);
  });

  it("returns errors instead of throwing, so that the stack can always be deleted", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("a");
    aws.logGroups.set("/aws/eks/a/cluster", [ourFilter("/aws/eks/a/cluster")]);
    aws.failures.set(
      "DescribeSubscriptionFiltersCommand",
      () => new ThrottlingException({ message: "throttled", $metadata: {} }),
    );

    // Act
    const errors = await removeAll(CONFIG, aws.clients());

    // Assess
    expect(errors).toEqual(["a: ThrottlingException: throttled"]);
  });
});

describe("loadDiscoveryConfig", () => {
  const env = {
    CLUSTERS: "prod, staging",
    CLASSIFIER_ARN: CLASSIFIER,
    ACCESS_ENTRIES: "check",
    CLUSTER_ACCESS_ROLE_ARN: ROLE,
    ACCESS_POLICY_ARN: EDIT,
    CLUSTER_ACCESS_FUNCTION_NAME: "guardian-cluster-access",
    ALERT_TOPIC_ARN: CONFIG.topicArn,
  };

  it("reads the list, the defaults and the access entry mode", () => {
    // Act
    const config = loadDiscoveryConfig(env);

    // Assess
    expect(config).toEqual({ ...CONFIG, clusters: ["prod", "staging"], accessEntries: "check" });
  });

  it("fails naming the missing variable", () => {
    // Act
    const load = () => loadDiscoveryConfig({ ...env, CLASSIFIER_ARN: "" });

    // Assess
    expect(load).toThrow("missing required environment variable CLASSIFIER_ARN");
  });

  it("fails on an unknown access entry mode", () => {
    // Act
    const load = () => loadDiscoveryConfig({ ...env, ACCESS_ENTRIES: "grant" });

    // Assess
    expect(load).toThrow('ACCESS_ENTRIES is "grant"; expected one of create, check, off');
  });
});
