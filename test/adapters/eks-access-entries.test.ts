import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EksAccessEntryApi } from "../../lambda/adapters/eks-access-entries.js";
import { AccessEntryApiError } from "../../lambda/core/ports.js";
import { FAKE_ACCOUNT, FakeEks, POLICY_PREFIX } from "../support/fake-eks.js";

const CREATOR = `arn:aws:iam::${FAKE_ACCOUNT}:role/platform/ClusterCreator`;
const DEV = `arn:aws:iam::${FAKE_ACCOUNT}:role/teams/dev/Developer`;
const NODE = `arn:aws:iam::${FAKE_ACCOUNT}:role/NodeInstanceRole`;
const ADMIN_POLICY = `${POLICY_PREFIX}AmazonEKSClusterAdminPolicy`;
const VIEW_POLICY = `${POLICY_PREFIX}AmazonEKSViewPolicy`;

let fake: FakeEks;
let api: EksAccessEntryApi;

beforeAll(async () => {
  fake = await FakeEks.start({ pageSize: 2 });
  api = new EksAccessEntryApi(fake.client());
});
afterAll(async () => {
  await fake?.stop();
});

async function refusal(promise: Promise<unknown>): Promise<AccessEntryApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AccessEntryApiError);
  return error as AccessEntryApiError;
}

describe("EksAccessEntryApi against the EKS fake", () => {
  it("reads the mode and the creator's bootstrapped admin entry", async () => {
    // Prepare
    fake.addCluster({ name: "read", creatorArn: CREATOR, nodeRoleArns: [NODE] });

    // Act
    const config = await api.describeAccessConfig("read");
    const arns = await api.listAccessEntries("read");
    const creator = await api.describeAccessEntry("read", CREATOR);
    const policies = await api.listAssociatedAccessPolicies("read", CREATOR);

    // Assess
    expect(config).toEqual({
      authenticationMode: "API_AND_CONFIG_MAP",
      bootstrapClusterCreatorAdminPermissions: true,
    });
    expect(arns).toEqual([NODE, CREATOR].sort());
    expect(creator).toMatchObject({ principalArn: CREATOR, type: "STANDARD", kubernetesGroups: [] });
    expect(creator?.username).toBe(
      `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/ClusterCreator/{{SessionName}}`,
    );
    expect(policies.map((p) => [p.policyArn, p.accessScope])).toEqual([
      [ADMIN_POLICY, { type: "cluster", namespaces: [] }],
    ]);
    expect(await api.describeAccessEntry("read", DEV)).toBeUndefined();
  });

  it("creates, updates, associates, disassociates and deletes, following every page", async () => {
    // Prepare
    fake.addCluster({ name: "write" });
    const principals = [1, 2, 3, 4, 5].map((n) => `arn:aws:iam::${FAKE_ACCOUNT}:user/u${n}`);

    // Act
    for (const principal of principals) await api.createAccessEntry("write", { principalArn: principal });
    const created = await api.createAccessEntry("write", {
      principalArn: DEV,
      username: "dev:{{SessionName}}",
      kubernetesGroups: ["developers"],
    });
    const updated = await api.updateAccessEntry("write", DEV, { kubernetesGroups: ["developers", "oncall"] });
    const associated = await api.associateAccessPolicy("write", DEV, VIEW_POLICY, {
      type: "namespace",
      namespaces: ["dev", "staging-*"],
    });
    await api.associateAccessPolicy("write", DEV, ADMIN_POLICY, { type: "cluster", namespaces: [] });
    await api.associateAccessPolicy("write", DEV, `${POLICY_PREFIX}AmazonEKSEditPolicy`, {
      type: "namespace",
      namespaces: ["dev"],
    });
    await api.disassociateAccessPolicy("write", DEV, ADMIN_POLICY);
    const policies = await api.listAssociatedAccessPolicies("write", DEV);
    await api.deleteAccessEntry("write", principals[0] ?? "");
    const listed = await api.listAccessEntries("write");

    // Assess
    expect(created).toMatchObject({ username: "dev:{{SessionName}}", kubernetesGroups: ["developers"] });
    expect(updated.kubernetesGroups).toEqual(["developers", "oncall"]);
    expect(associated.accessScope).toEqual({ type: "namespace", namespaces: ["dev", "staging-*"] });
    expect(policies.map((p) => p.policyArn)).toEqual([`${POLICY_PREFIX}AmazonEKSEditPolicy`, VIEW_POLICY]);
    expect(listed).toEqual([DEV, ...principals.slice(1)].sort());
  });

  it("fails with ResourceInUseException (409) when the entry already exists", async () => {
    fake.addCluster({ name: "dup" });
    await api.createAccessEntry("dup", { principalArn: DEV });

    const error = await refusal(api.createAccessEntry("dup", { principalArn: DEV }));

    expect([error.code, error.status]).toEqual(["ResourceInUseException", 409]);
  });

  it("fails with ResourceNotFoundException for an unknown cluster, entry or association", async () => {
    fake.addCluster({ name: "nf" });
    await api.createAccessEntry("nf", { principalArn: DEV });

    const errors = await Promise.all([
      refusal(api.listAccessEntries("nope")),
      refusal(api.deleteAccessEntry("nf", CREATOR)),
      refusal(api.disassociateAccessPolicy("nf", DEV, ADMIN_POLICY)),
      refusal(api.describeAccessConfig("nope")),
    ]);

    expect(errors.map((e) => [e.code, e.status])).toEqual(
      Array(4).fill(["ResourceNotFoundException", 404]) as unknown[],
    );
  });

  it.each([
    ["a system: group", { kubernetesGroups: ["system:masters"] }, "cannot start with system:"],
    ["a system: username", { username: "system:admin" }, "must not begin with system:"],
    ["an eks: username", { username: "eks:thing" }, "must not begin with eks:"],
    ["an aws: username", { username: "aws:thing" }, "must not begin with aws:"],
    ["an amazon: username", { username: "amazon:thing" }, "must not begin with amazon:"],
    ["an iam: username", { username: "iam:thing" }, "must not begin with iam:"],
    ["the {{AccountID}} template", { username: "u-{{AccountID}}" }, "{{AccountID}} is not supported"],
    ["the {{EC2PrivateDNSName}} template", { username: "{{EC2PrivateDNSName}}" }, "is not supported"],
  ])("fails with InvalidParameterException for %s", async (_, fields, message) => {
    fake.addCluster({ name: "invalid" });

    const error = await refusal(api.createAccessEntry("invalid", { principalArn: DEV, ...fields }));

    expect([error.code, error.status]).toEqual(["InvalidParameterException", 400]);
    expect(error.message).toContain(message);
  });

  it("accepts the two username templates EKS supports", async () => {
    fake.addCluster({ name: "templates" });

    await api.createAccessEntry("templates", { principalArn: DEV, username: "dev-{{SessionNameRaw}}" });
    await api.createAccessEntry("templates", { principalArn: CREATOR, username: "creator-{{SessionName}}" });

    expect(await api.listAccessEntries("templates")).toHaveLength(2);
  });

  it("fails with InvalidParameterException for service-linked roles and identity on node entries", async () => {
    fake.addCluster({ name: "special" });
    const slr = `arn:aws:iam::${FAKE_ACCOUNT}:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS`;

    const errors = await Promise.all([
      refusal(api.createAccessEntry("special", { principalArn: slr })),
      refusal(
        api.createAccessEntry("special", { principalArn: NODE, type: "EC2_LINUX", kubernetesGroups: ["x"] }),
      ),
      refusal(api.createAccessEntry("special", { principalArn: "arn:aws:iam::123:role/short-account" })),
    ]);

    expect(errors.map((e) => e.code)).toEqual(Array(3).fill("InvalidParameterException") as unknown[]);
  });

  it("fails with InvalidRequestException for access-entry calls on a CONFIG_MAP cluster", async () => {
    fake.addCluster({ name: "legacy", authenticationMode: "CONFIG_MAP", creatorArn: CREATOR });

    const error = await refusal(api.listAccessEntries("legacy"));

    expect([error.code, error.status]).toEqual(["InvalidRequestException", 400]);
    expect(error.message).toContain("must be set to one of [API, API_AND_CONFIG_MAP]");
  });

  it("moves the mode one step forward only, creating node entries when the API is switched on", async () => {
    fake.addCluster({ name: "modes", authenticationMode: "CONFIG_MAP", nodeRoleArns: [NODE] });

    const skip = await refusal(api.updateAuthenticationMode("modes", "API"));
    const first = await api.updateAuthenticationMode("modes", "API_AND_CONFIG_MAP");
    const same = await refusal(api.updateAuthenticationMode("modes", "API_AND_CONFIG_MAP"));
    await api.updateAuthenticationMode("modes", "API");
    const back = await refusal(api.updateAuthenticationMode("modes", "API_AND_CONFIG_MAP"));

    expect(skip.message).toBe("Unsupported authentication mode update from CONFIG_MAP to API");
    expect(same.code).toBe("InvalidParameterException");
    expect(back.message).toBe("Unsupported authentication mode update from API to API_AND_CONFIG_MAP");
    expect(first.status).toBe("InProgress");
    expect((await api.describeAccessConfig("modes")).authenticationMode).toBe("API");
    expect(await api.describeAccessEntry("modes", NODE)).toMatchObject({
      type: "EC2_LINUX",
      username: "system:node:{{EC2PrivateDNSName}}",
    });
  });

  it("fails with AccessDeniedException (403) for a denied caller", async () => {
    fake.addCluster({ name: "denied" });
    fake.deny("AKIAREADONLY", ["CreateAccessEntry"]);
    const readOnly = new EksAccessEntryApi(fake.client("AKIAREADONLY"));

    const error = await refusal(readOnly.createAccessEntry("denied", { principalArn: DEV }));

    expect([error.code, error.status]).toEqual(["AccessDeniedException", 403]);
    expect(await readOnly.listAccessEntries("denied")).toEqual([]);
  });

  it("replaces the scope when a policy is associated again", async () => {
    fake.addCluster({ name: "rescope" });
    await api.createAccessEntry("rescope", { principalArn: DEV });
    await api.associateAccessPolicy("rescope", DEV, VIEW_POLICY, { type: "namespace", namespaces: ["a"] });

    await api.associateAccessPolicy("rescope", DEV, VIEW_POLICY, { type: "cluster", namespaces: [] });

    expect((await api.listAssociatedAccessPolicies("rescope", DEV)).map((p) => p.accessScope)).toEqual([
      { type: "cluster", namespaces: [] },
    ]);
  });

  it("records each write as CloudTrail does: cluster as name, path ARNs URL-encoded, errorCode on failure", async () => {
    fake.addCluster({ name: "trail" });
    const before = fake.events().length;
    await api.createAccessEntry("trail", { principalArn: DEV });
    await api.associateAccessPolicy("trail", DEV, ADMIN_POLICY, { type: "cluster", namespaces: [] });
    await api.disassociateAccessPolicy("trail", DEV, ADMIN_POLICY);
    await refusal(api.createAccessEntry("trail", { principalArn: DEV }));

    const [create, associate, disassociate, duplicate] = fake.events().slice(before);

    expect(create?.detail).toMatchObject({
      eventSource: "eks.amazonaws.com",
      eventName: "CreateAccessEntry",
      requestParameters: { name: "trail", principalArn: DEV },
      responseElements: { accessEntry: { principalArn: DEV, type: "STANDARD" } },
    });
    expect(associate?.detail).toMatchObject({
      requestParameters: {
        name: "trail",
        principalArn: encodeURIComponent(DEV),
        policyArn: ADMIN_POLICY,
        accessScope: { type: "cluster" },
      },
    });
    expect(JSON.stringify(associate?.detail.requestParameters)).toContain(
      '"principalArn":"arn%3Aaws%3Aiam%3A%3A',
    );
    expect(disassociate?.detail).toMatchObject({
      requestParameters: { policyArn: encodeURIComponent(ADMIN_POLICY) },
    });
    expect(duplicate?.detail).toMatchObject({ errorCode: "ResourceInUseException", responseElements: null });
    expect(new Set(fake.events().map((e) => e.detail.eventID)).size).toBe(fake.events().length);
  });
});
