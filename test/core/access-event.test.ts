import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeAccessEvent, isAccessDenied, isEventBridgeEvent } from "../../lambda/core/access-event.js";

function fixture(name: string): Record<string, unknown> & { detail: Record<string, unknown> } {
  return JSON.parse(readFileSync(new URL(`../fixtures/cloudtrail/${name}.json`, import.meta.url), "utf8"));
}

function withDetail(base: ReturnType<typeof fixture>, detail: Record<string, unknown>) {
  return { ...base, detail: { ...base.detail, ...detail } };
}

const ROLE = "arn:aws:iam::012345678901:role/stratus-red-team-eks-create-access-entry-role";

describe("decodeAccessEvent", () => {
  it("decodes the URL-encoded principalArn of AssociateAccessPolicy and the cluster from name", () => {
    // Act
    const triage = decodeAccessEvent(fixture("associate-admin-encoded"));

    // Assess
    expect(triage.kind).toBe("access");
    if (triage.kind !== "access") return;
    expect(triage.event).toMatchObject({
      eventID: "3f2c6b1a-5d4e-4c3b-8a2f-1e0d9c8b7a6f",
      eventName: "AssociateAccessPolicy",
      cluster: "eks-cluster",
      account: "012345678901",
      principalArn: ROLE,
      policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      accessScope: { type: "cluster", namespaces: [] },
      actor: {
        type: "AssumedRole",
        arn: "arn:aws:sts::012345678901:assumed-role/admin/stratus",
        principalArn: "arn:aws:iam::012345678901:role/admin",
        sessionName: "stratus",
        sourceIPAddress: "198.51.100.7",
      },
    });
  });

  it("keeps the plain principalArn of CreateAccessEntry", () => {
    const triage = decodeAccessEvent(fixture("create-entry"));
    expect(triage.kind === "access" && triage.event.principalArn).toBe(ROLE);
  });

  it("keeps errorCode and errorMessage of a refused call, whatever its principalArn", () => {
    const event = withDetail(fixture("create-entry"), {
      errorCode: "AccessDenied",
      errorMessage: "User is not authorized to perform: eks:CreateAccessEntry",
      responseElements: null,
      requestParameters: { name: "eks-cluster", principalArn: "not an arn" },
    });

    const triage = decodeAccessEvent(event);

    expect(triage.kind).toBe("access");
    if (triage.kind !== "access") return;
    expect(triage.event.errorCode).toBe("AccessDenied");
    expect(isAccessDenied(triage.event)).toBe(true);
  });

  it.each([
    ["an eventID that is not a key-safe id", { eventID: "../../x" }, "detail.eventID"],
    ["no cluster", { requestParameters: { principalArn: ROLE } }, "detail.requestParameters.name"],
    [
      "a cluster name that is not an EKS name",
      { requestParameters: { name: "a/b", principalArn: ROLE } },
      "detail.requestParameters.name",
    ],
    [
      "an accepted call without an ARN",
      { requestParameters: { name: "c", principalArn: "x%ZZ" } },
      "detail.requestParameters.principalArn",
    ],
    [
      "groups that are not strings",
      { requestParameters: { name: "c", principalArn: ROLE, kubernetesGroups: [1] } },
      "detail.requestParameters.kubernetesGroups[0]",
    ],
  ])("fails as malformed with %s", (_, detail, path) => {
    const triage = decodeAccessEvent(withDetail(fixture("create-entry"), detail));
    expect(triage.kind).toBe("malformed");
    if (triage.kind === "malformed") expect(triage.problem.path).toBe(path);
  });

  it("calls other EKS events and UpdateClusterConfig without accessConfig irrelevant", () => {
    const other = decodeAccessEvent(withDetail(fixture("create-entry"), { eventName: "CreateNodegroup" }));
    const logging = decodeAccessEvent(
      withDetail(fixture("create-entry"), {
        eventName: "UpdateClusterConfig",
        requestParameters: { name: "c", logging: { clusterLogging: [] } },
      }),
    );
    expect([other.kind, logging.kind]).toEqual(["irrelevant", "irrelevant"]);
  });

  it("tells EventBridge events from CloudWatch Logs deliveries by shape", () => {
    expect(isEventBridgeEvent(fixture("create-entry"))).toBe(true);
    expect(isEventBridgeEvent({ awslogs: { data: "H4sI" } })).toBe(false);
    expect(isEventBridgeEvent(null)).toBe(false);
  });

  it("never throws, whatever the input", () => {
    const base = fixture("create-entry");
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (detail, params) => {
        decodeAccessEvent(detail);
        decodeAccessEvent({ ...base, detail });
        decodeAccessEvent(withDetail(base, { requestParameters: params }));
      }),
      { numRuns: 500 },
    );
  });
});
