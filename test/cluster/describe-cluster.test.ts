import { Readable } from "node:stream";
import { EKSClient } from "@aws-sdk/client-eks";
import { type HttpRequest, HttpResponse } from "@smithy/protocol-http";
import { describe, expect, it } from "vitest";
import {
  ClusterNotFoundError,
  ClusterNotReadyError,
  describeCluster,
} from "../../lambda/cluster/describe-cluster.js";

interface Exchange {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: unknown;
}

/**
 * A real EKSClient whose HTTP transport answers with canned EKS wire responses, so the SDK's own
 * deserialisation and error mapping run. Records the paths it was asked for.
 */
function eksAnswering(exchange: Exchange): { eks: EKSClient; paths: string[] } {
  const paths: string[] = [];
  const eks = new EKSClient({
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: HttpRequest) => {
        paths.push(request.path);
        const response = new HttpResponse({
          statusCode: exchange.status,
          headers: { "content-type": "application/json", ...exchange.headers },
          body: Readable.from([Buffer.from(JSON.stringify(exchange.body))]),
        });
        return { response };
      },
    },
  });
  return { eks, paths };
}

const CA_DATA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString(
  "base64",
);

function activeCluster(overrides: Record<string, unknown> = {}): Exchange {
  return {
    status: 200,
    body: {
      cluster: {
        name: "prod",
        arn: "arn:aws:eks:eu-west-1:111122223333:cluster/prod",
        status: "ACTIVE",
        endpoint: "https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com",
        certificateAuthority: { data: CA_DATA },
        accessConfig: {
          authenticationMode: "API_AND_CONFIG_MAP",
          bootstrapClusterCreatorAdminPermissions: true,
        },
        logging: {
          clusterLogging: [
            { types: ["api", "audit", "authenticator"], enabled: true },
            { types: ["controllerManager", "scheduler"], enabled: false },
          ],
        },
        ...overrides,
      },
    },
  };
}

describe("describeCluster", () => {
  it("returns endpoint, CA, authentication mode and audit logging of an active cluster", async () => {
    // Prepare
    const { eks, paths } = eksAnswering(activeCluster());

    // Act
    const access = await describeCluster(eks, "prod");

    // Assess
    expect(access).toEqual({
      endpoint: "https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com",
      caData: CA_DATA,
      authenticationMode: "API_AND_CONFIG_MAP",
      auditLoggingEnabled: true,
    });
    expect(paths).toEqual(["/clusters/prod"]);
  });

  it("reports audit logging off when audit is only listed among the disabled types", async () => {
    // Prepare
    const logging = {
      clusterLogging: [
        { types: ["api"], enabled: true },
        { types: ["audit", "authenticator"], enabled: false },
      ],
    };
    const { eks } = eksAnswering(activeCluster({ logging }));

    // Act
    const access = await describeCluster(eks, "prod");

    // Assess
    expect(access.auditLoggingEnabled).toBe(false);
  });

  it("treats a cluster without accessConfig as CONFIG_MAP", async () => {
    // Prepare
    const { eks } = eksAnswering(activeCluster({ accessConfig: undefined }));

    // Act
    const access = await describeCluster(eks, "prod");

    // Assess
    expect(access.authenticationMode).toBe("CONFIG_MAP");
  });

  it("fails with ClusterNotFoundError when the cluster does not exist", async () => {
    // Prepare
    const { eks } = eksAnswering({
      status: 404,
      headers: { "x-amzn-errortype": "ResourceNotFoundException" },
      body: { message: "No cluster found for name: nope." },
    });

    // Act
    const attempt = describeCluster(eks, "nope");

    // Assess
    await expect(attempt).rejects.toThrow(ClusterNotFoundError);
    await expect(attempt).rejects.toThrow("EKS cluster nope does not exist in eu-west-1");
  });

  it("fails with ClusterNotReadyError while the cluster has no endpoint yet", async () => {
    // Prepare
    const { eks } = eksAnswering(
      activeCluster({ status: "CREATING", endpoint: undefined, certificateAuthority: undefined }),
    );

    // Act
    const attempt = describeCluster(eks, "prod");

    // Assess
    await expect(attempt).rejects.toThrow(ClusterNotReadyError);
    await expect(attempt).rejects.toThrow(/no API endpoint yet \(status CREATING\)/);
  });
});
