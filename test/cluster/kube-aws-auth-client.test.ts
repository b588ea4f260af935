import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEksToken, EKS_TOKEN_PREFIX } from "../../lambda/cluster/eks-token.js";
import {
  ClusterUnreachableError,
  forEksCluster,
  fromKubeconfig,
  KubeconfigError,
  MissingResourceVersionError,
} from "../../lambda/cluster/kube-aws-auth-client.js";
import { ClusterApiError, type ConfigMapObject, ConflictError } from "../../lambda/core/ports.js";
import { FakeApiServer } from "../support/fake-apiserver.js";

const ADMIN_TOKEN = "admin-token";
const VIEWER_TOKEN = "viewer-token";

/** Values that break anything that parses, trims or re-serialises what it was given. */
const AWKWARD_DATA: Record<string, string> = {
  mapRoles: [
    "- rolearn: arn:aws:iam::111122223333:role/eks-node",
    "  username: system:node:{{EC2PrivateDNSName}}",
    "  groups:",
    '    - "system:bootstrappers"',
    "    - 'system:nodes'",
    "",
    "",
  ].join("\n"),
  mapUsers:
    '[{"userarn":"arn:aws:iam::111122223333:user/ops","username":"ops","groups":["system:masters"]}]\n',
  mapAccounts: '"111122223333"',
  crlf: "line one\r\nline two\r\n",
  tabsAndBackslashes: "\tC:\\path\\to\\thing \\u0041 \\n",
  unicode: "caf\u00e9 \u{1F512} \u2028 \u00a0",
  empty: "",
  yamlAnchors: "a: &x 1\nb: *x\nc: !!str 010\n",
};

function awsAuth(data: Record<string, string>): ConfigMapObject {
  return { metadata: { name: "aws-auth", namespace: "kube-system" }, data };
}

describe("KubeAwsAuthClient", () => {
  let server: FakeApiServer;
  let dir: string;

  beforeEach(async () => {
    server = await FakeApiServer.start({
      tokens: {
        [ADMIN_TOKEN]: { user: "kubernetes-admin", allowed: true },
        [VIEWER_TOKEN]: { user: "viewer", allowed: false },
      },
    });
    dir = await mkdtemp(join(tmpdir(), "kube-aws-auth-client-"));
  });

  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  function eksClient(token: string | (() => Promise<string>) = ADMIN_TOKEN, caData = server.caData) {
    return forEksCluster({ endpoint: server.url, caData, token, clusterName: "test" });
  }

  async function kubeconfigFile(contents: string): Promise<string> {
    const file = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, contents);
    return file;
  }

  describe("read", () => {
    it("returns undefined when aws-auth does not exist", async () => {
      // Prepare
      const client = eksClient();

      // Act
      const found = await client.read();

      // Assess
      expect(found).toBeUndefined();
      expect(server.requests).toEqual([
        {
          method: "GET",
          path: "/api/v1/namespaces/kube-system/configmaps/aws-auth",
          status: 404,
          token: ADMIN_TOKEN,
        },
      ]);
    });

    it("returns a plain ConfigMapObject with the server's metadata and data", async () => {
      // Prepare
      const stored = server.seed({
        metadata: {
          name: "aws-auth",
          namespace: "kube-system",
          labels: { "app.kubernetes.io/managed-by": "Terraform" },
          annotations: { "kubectl.kubernetes.io/last-applied-configuration": '{"data":{}}\n' },
        },
        data: { mapRoles: "- rolearn: arn:aws:iam::111122223333:role/a\n" },
      });
      const client = eksClient();

      // Act
      const found = await client.read();

      // Assess
      expect(found).toStrictEqual(stored);
      expect(found?.metadata.creationTimestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(Object.getPrototypeOf(found)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(found?.metadata)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(found?.data)).toBe(Object.prototype);
      expect(JSON.parse(JSON.stringify(found))).toStrictEqual(found);
    });

    it("fails on a 404 that is not kube-apiserver's configmaps NotFound, instead of reporting a deletion", async () => {
      // Prepare
      server.respondToNext({ status: 404, body: "<html>404 page not found</html>" });
      const client = eksClient();

      // Act
      const attempt = client.read();

      // Assess
      await expect(attempt).rejects.toThrow(ClusterApiError);
      await expect(attempt).rejects.toMatchObject({
        status: 404,
        message: expect.stringContaining("404 page not found"),
      });
    });

    it("returns altered data once when the fake is told to, then the stored data again", async () => {
      // Prepare
      server.seed(awsAuth({ mapRoles: "original\n" }));
      server.alterNextGet((object) => ({ ...object, data: { mapRoles: "tampered\n" } }));
      const client = eksClient();

      // Act
      const first = await client.read();
      const second = await client.read();

      // Assess
      expect(first?.data).toEqual({ mapRoles: "tampered\n" });
      expect(second?.data).toEqual({ mapRoles: "original\n" });
    });
  });

  describe("create", () => {
    it("creates aws-auth and returns it with the server-assigned uid and resourceVersion", async () => {
      // Prepare
      const client = eksClient();

      // Act
      const created = await client.create(awsAuth({ mapRoles: "- rolearn: x\n" }));

      // Assess
      expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.metadata.resourceVersion).toBe("1");
      expect(created).toStrictEqual(server.object());
      expect(server.requests.at(-1)).toMatchObject({
        method: "POST",
        path: "/api/v1/namespaces/kube-system/configmaps",
        status: 201,
      });
    });

    it("drops a snapshot's server-owned fields, which kube-apiserver refuses on create", async () => {
      // Prepare
      const snapshot: ConfigMapObject = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: "aws-auth",
          namespace: "kube-system",
          uid: "00000000-0000-0000-0000-000000000000",
          resourceVersion: "4711",
          creationTimestamp: "2020-01-01T00:00:00Z",
          labels: { team: "platform" },
        },
        data: { mapRoles: "restored\n" },
      };
      const client = eksClient();

      // Act
      const created = await client.create(snapshot);

      // Assess
      expect(created.metadata.uid).not.toBe(snapshot.metadata.uid);
      expect(created.metadata.resourceVersion).not.toBe("4711");
      expect(created.metadata.creationTimestamp).not.toBe("2020-01-01T00:00:00Z");
      expect(created.metadata.labels).toEqual({ team: "platform" });
      expect(created.data).toEqual({ mapRoles: "restored\n" });
    });

    it("throws ConflictError when aws-auth already exists", async () => {
      // Prepare
      server.seed(awsAuth({ mapRoles: "existing\n" }));
      const client = eksClient();

      // Act
      const attempt = client.create(awsAuth({ mapRoles: "new\n" }));

      // Assess
      await expect(attempt).rejects.toThrow(ConflictError);
      await expect(attempt).rejects.toThrow('configmaps "aws-auth" already exists');
      expect(server.object()?.data).toEqual({ mapRoles: "existing\n" });
    });
  });

  describe("replace", () => {
    it("replaces aws-auth when the resourceVersion is current", async () => {
      // Prepare
      const live = server.seed(awsAuth({ mapRoles: "before\n" }));
      const client = eksClient();

      // Act
      const replaced = await client.replace({ ...live, data: { mapRoles: "after\n" } });

      // Assess
      expect(replaced.data).toEqual({ mapRoles: "after\n" });
      expect(Number(replaced.metadata.resourceVersion)).toBeGreaterThan(
        Number(live.metadata.resourceVersion),
      );
      expect(replaced.metadata.uid).toBe(live.metadata.uid);
      expect(replaced.metadata.creationTimestamp).toBe(live.metadata.creationTimestamp);
      expect(server.object()).toStrictEqual(replaced);
    });

    it("throws ConflictError when someone else wrote in between, and leaves their write alone", async () => {
      // Prepare
      const live = server.seed(awsAuth({ mapRoles: "before\n" }));
      server.beforeNextPut(() => {
        server.seed(awsAuth({ mapRoles: "concurrent\n" }));
      });
      const client = eksClient();

      // Act
      const attempt = client.replace({ ...live, data: { mapRoles: "ours\n" } });

      // Assess
      await expect(attempt).rejects.toThrow(ConflictError);
      await expect(attempt).rejects.toThrow(
        'Operation cannot be fulfilled on configmaps "aws-auth": the object has been modified; ' +
          "please apply your changes to the latest version and try again",
      );
      expect(server.object()?.data).toEqual({ mapRoles: "concurrent\n" });
      expect(server.requests.at(-1)).toMatchObject({ method: "PUT", status: 409 });
    });

    it("throws ConflictError when aws-auth was deleted and recreated (uid precondition)", async () => {
      // Prepare
      const old = server.seed(awsAuth({ mapRoles: "old\n" }));
      server.remove();
      const recreated = server.seed(awsAuth({ mapRoles: "recreated\n" }));
      const client = eksClient();

      // Act
      const attempt = client.replace({
        ...old,
        metadata: { ...old.metadata, resourceVersion: recreated.metadata.resourceVersion },
      });

      // Assess
      await expect(attempt).rejects.toThrow(ConflictError);
      await expect(attempt).rejects.toThrow(/Precondition failed: UID in precondition/);
    });

    it("fails with ClusterApiError 404 when aws-auth is gone", async () => {
      // Prepare
      const live = server.seed(awsAuth({ mapRoles: "before\n" }));
      server.remove();
      const client = eksClient();

      // Act
      const attempt = client.replace(live);

      // Assess
      await expect(attempt).rejects.toThrow(ClusterApiError);
      await expect(attempt).rejects.toMatchObject({ status: 404 });
    });

    it("fails without sending anything when metadata.resourceVersion is missing", async () => {
      // Prepare
      server.seed(awsAuth({ mapRoles: "before\n" }));
      const client = eksClient();

      // Act
      const attempt = client.replace(awsAuth({ mapRoles: "blind\n" }));

      // Assess
      await expect(attempt).rejects.toThrow(MissingResourceVersionError);
      expect(server.requests).toEqual([]);
    });
  });

  describe("data round trip", () => {
    it("stores and reads back every data string byte for byte through create, read and replace", async () => {
      // Prepare
      const client = eksClient();
      const changed = { ...AWKWARD_DATA, mapRoles: `${AWKWARD_DATA.mapRoles}# changed\n` };

      // Act
      const created = await client.create(awsAuth(AWKWARD_DATA));
      const storedAfterCreate = server.object()?.data;
      const read = await client.read();
      const replaced = await client.replace({ ...(read as ConfigMapObject), data: changed });
      const readAfterReplace = await client.read();

      // Assess
      expect(storedAfterCreate).toStrictEqual(AWKWARD_DATA);
      expect(created.data).toStrictEqual(AWKWARD_DATA);
      expect(read?.data).toStrictEqual(AWKWARD_DATA);
      expect(replaced.data).toStrictEqual(changed);
      expect(server.object()?.data).toStrictEqual(changed);
      expect(readAfterReplace?.data).toStrictEqual(changed);
      for (const [key, value] of Object.entries(AWKWARD_DATA)) {
        expect(Buffer.from(read?.data?.[key] ?? "\u0000", "utf8").equals(Buffer.from(value, "utf8"))).toBe(
          true,
        );
      }
    });
  });

  describe("API errors", () => {
    it("maps 401 (unknown token) to ClusterApiError with status 401", async () => {
      // Prepare
      const client = eksClient("not-a-known-token");

      // Act
      const attempt = client.read();

      // Assess
      await expect(attempt).rejects.toThrow(ClusterApiError);
      await expect(attempt).rejects.toMatchObject({
        status: 401,
        message: expect.stringContaining("Unauthorized"),
      });
      expect(server.requests).toEqual([
        {
          method: "GET",
          path: "/api/v1/namespaces/kube-system/configmaps/aws-auth",
          status: 401,
          token: "not-a-known-token",
        },
      ]);
    });

    it.each([
      ["read", "get", (c: ReturnType<typeof forEksCluster>) => c.read()],
      ["create", "create", (c: ReturnType<typeof forEksCluster>) => c.create(awsAuth({}))],
      [
        "replace",
        "update",
        (c: ReturnType<typeof forEksCluster>) =>
          c.replace({ metadata: { name: "aws-auth", namespace: "kube-system", resourceVersion: "1" } }),
      ],
    ])("maps 403 on %s to ClusterApiError carrying the API server's message", async (_op, verb, call) => {
      // Prepare
      server.seed(awsAuth({ mapRoles: "x\n" }));
      const client = eksClient(VIEWER_TOKEN);

      // Act
      const attempt = call(client);

      // Assess
      await expect(attempt).rejects.toThrow(ClusterApiError);
      await expect(attempt).rejects.toMatchObject({
        status: 403,
        message: expect.stringContaining(`User "viewer" cannot ${verb} resource "configmaps"`),
      });
    });

    it("maps any other status to ClusterApiError with the Status message", async () => {
      // Prepare
      server.respondToNext({
        status: 500,
        body: {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: "etcdserver: request timed out",
          code: 500,
        },
      });
      const client = eksClient();

      // Act
      const attempt = client.read();

      // Assess
      await expect(attempt).rejects.toThrow(ClusterApiError);
      await expect(attempt).rejects.toMatchObject({
        status: 500,
        message: expect.stringContaining("etcdserver: request timed out"),
      });
    });
  });

  describe("fromKubeconfig", () => {
    it("uses the named context, not the current one", async () => {
      // Prepare
      server.seed(awsAuth({ mapRoles: "from kubeconfig\n" }));
      const file = await kubeconfigFile(
        server.kubeconfig(ADMIN_TOKEN, { contextName: "guardian", decoyCurrentContext: true }),
      );

      // Act
      const client = fromKubeconfig({ file, context: "guardian" });
      const found = await client.read();

      // Assess
      expect(client.target).toBe(server.url);
      expect(found?.data).toEqual({ mapRoles: "from kubeconfig\n" });
    });

    it("uses the current context by default", async () => {
      // Prepare
      const file = await kubeconfigFile(server.kubeconfig(ADMIN_TOKEN, { decoyCurrentContext: true }));

      // Act
      const client = fromKubeconfig({ file });
      const attempt = client.read();

      // Assess
      expect(client.target).toBe("https://127.0.0.1:9");
      await expect(attempt).rejects.toThrow(ClusterUnreachableError);
      expect(server.requests).toEqual([]);
    });

    it("fails for a context the kubeconfig does not have", async () => {
      // Prepare
      const file = await kubeconfigFile(server.kubeconfig(ADMIN_TOKEN));

      // Act
      const attempt = () => fromKubeconfig({ file, context: "missing" });

      // Assess
      expect(attempt).toThrow(KubeconfigError);
    });
  });

  describe("forEksCluster", () => {
    it("asks the token function before every request and sends what it returns", async () => {
      // Prepare
      const issued: string[] = [];
      const acceptedClusters: string[] = [];
      await server.close();
      server = await FakeApiServer.start({
        // Accept what EKS would: a presigned GetCallerIdentity for this cluster, signing x-k8s-aws-id.
        authenticate: (token) => {
          if (!token.startsWith(EKS_TOKEN_PREFIX)) return undefined;
          const url = new URL(
            Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), "base64url").toString("utf8"),
          );
          const signed = url.searchParams.get("X-Amz-SignedHeaders")?.split(";") ?? [];
          if (url.searchParams.get("Action") !== "GetCallerIdentity" || !signed.includes("x-k8s-aws-id")) {
            return undefined;
          }
          acceptedClusters.push(url.hostname);
          return { user: "arn:aws:sts::111122223333:assumed-role/guardian/lambda", allowed: true };
        },
      });
      let second = 0;
      const token = async () => {
        second += 1;
        const minted = await createEksToken({
          clusterName: "prod",
          region: "eu-west-1",
          credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
          now: new Date(Date.UTC(2025, 0, 1, 0, 0, second)),
        });
        issued.push(minted);
        return minted;
      };
      const client = forEksCluster({
        endpoint: server.url,
        caData: server.caData,
        token,
        clusterName: "prod",
      });

      // Act
      const created = await client.create(awsAuth({ mapRoles: "eks\n" }));
      await client.replace({ ...created, data: { mapRoles: "eks 2\n" } });
      const found = await client.read();

      // Assess
      expect(found?.data).toEqual({ mapRoles: "eks 2\n" });
      expect(issued).toHaveLength(3);
      expect(new Set(issued).size).toBe(3);
      expect(server.requests.map((r) => r.token)).toEqual(issued);
      expect(acceptedClusters).toEqual([
        "sts.eu-west-1.amazonaws.com",
        "sts.eu-west-1.amazonaws.com",
        "sts.eu-west-1.amazonaws.com",
      ]);
    });

    it("lets a failing token function's own error through", async () => {
      // Prepare
      class NoCredentials extends Error {}
      const client = eksClient(async () => {
        throw new NoCredentials("no credentials in the Lambda environment");
      });

      // Act
      const attempt = client.read();

      // Assess
      await expect(attempt).rejects.toThrow(NoCredentials);
      expect(server.requests).toEqual([]);
    });

    it("fails for a plain http endpoint, which would expose the bearer token", () => {
      // Prepare
      const props = {
        endpoint: "http://127.0.0.1:8080",
        caData: server.caData,
        token: ADMIN_TOKEN,
        clusterName: "x",
      };

      // Act
      const attempt = () => forEksCluster(props);

      // Assess
      expect(attempt).toThrow(KubeconfigError);
    });

    it("gives up with ClusterUnreachableError when the API server does not answer in time", async () => {
      // Prepare
      server.hangNextRequest();
      const client = forEksCluster({
        endpoint: server.url,
        caData: server.caData,
        token: ADMIN_TOKEN,
        clusterName: "test",
        requestTimeoutMs: 300,
      });

      // Act
      const attempt = client.read();

      // Assess
      await expect(attempt).rejects.toThrow(ClusterUnreachableError);
    });
  });

  describe("TLS", () => {
    it("fails verification when the kubeconfig carries no certificate-authority-data", async () => {
      // Prepare
      server.seed(awsAuth({ mapRoles: "secret\n" }));
      const file = await kubeconfigFile(server.kubeconfig(ADMIN_TOKEN, { omitCertificateAuthority: true }));
      const client = fromKubeconfig({ file });

      // Act
      const attempt = client.read();

      // Assess
      await expect(attempt).rejects.toThrow(ClusterUnreachableError);
      await expect(attempt).rejects.toMatchObject({
        cause: {
          code: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/),
        },
      });
      expect(server.requests).toEqual([]); // the token never left the client
    });

    it("fails verification when caData is another cluster's CA", async () => {
      // Prepare
      const other = await FakeApiServer.start();
      const client = eksClient(ADMIN_TOKEN, other.caData);
      await other.close();

      // Act
      const attempt = client.read();

      // Assess
      await expect(attempt).rejects.toThrow(ClusterUnreachableError);
      await expect(attempt).rejects.toThrow(/certificate/);
      expect(server.requests).toEqual([]);
    });
  });
});
