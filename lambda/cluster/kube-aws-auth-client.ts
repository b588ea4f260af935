/**
 * `AwsAuthClient` over @kubernetes/client-node 1.x. This is the only module that imports the
 * Kubernetes client: bundles that never talk to a cluster (the classifier) must not import it.
 */

import { STATUS_CODES } from "node:http";
import {
  AbortError,
  ApiException,
  type Cluster,
  CoreV1Api,
  createConfiguration,
  FetchError,
  KubeConfig,
  ServerConfiguration,
  type User,
  type V1ConfigMap,
  type V1ObjectMeta,
} from "@kubernetes/client-node";
import {
  type AwsAuthClient,
  ClusterApiError,
  type ConfigMapObject,
  ConflictError,
  type DeletePreconditions,
} from "../core/ports.js";

export const AWS_AUTH_NAME = "aws-auth";
export const AWS_AUTH_NAMESPACE = "kube-system";

/** Long enough for a busy API server, well short of a Lambda timeout. */
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export interface KubeconfigClientProps {
  /** Path of a kubeconfig file; any authentication it configures (token, exec, client cert) is used. */
  readonly file: string;
  /** @default - the kubeconfig's current-context */
  readonly context?: string;
  /** @default 15000 */
  readonly requestTimeoutMs?: number;
}

export interface EksClusterClientProps {
  /** `cluster.endpoint` from DescribeCluster, `https://…`. */
  readonly endpoint: string;
  /** `cluster.certificateAuthority.data` from DescribeCluster: base64 of the PEM CA bundle. */
  readonly caData: string;
  /** A bearer token, or a function asked before every request (EKS tokens expire after 15 minutes). */
  readonly token: string | (() => Promise<string>);
  /** Names the client's kubeconfig entries and appears in errors. */
  readonly clusterName: string;
  /** @default 15000 */
  readonly requestTimeoutMs?: number;
}

/** The request never got an HTTP answer: DNS, TCP, TLS (e.g. an untrusted CA) or timeout. */
export class ClusterUnreachableError extends Error {
  override readonly name = "ClusterUnreachableError";
}

export class KubeconfigError extends Error {
  override readonly name = "KubeconfigError";
}

/** `replace` without `metadata.resourceVersion` would be a blind overwrite; the guardian never wants one. */
export class MissingResourceVersionError extends Error {
  override readonly name = "MissingResourceVersionError";
}

/** A client for aws-auth in whichever cluster `file` (and `context`) designate. */
export function fromKubeconfig(props: KubeconfigClientProps): AwsAuthClient {
  const config = new KubeConfig();
  try {
    config.loadFromFile(props.file);
  } catch (error) {
    throw new KubeconfigError(`cannot load kubeconfig ${props.file}: ${String(error)}`, { cause: error });
  }
  if (props.context !== undefined) {
    if (config.getContextObject(props.context) === null) {
      throw new KubeconfigError(`kubeconfig ${props.file} has no context named "${props.context}"`);
    }
    config.setCurrentContext(props.context);
  }
  const cluster = config.getCurrentCluster();
  if (cluster === null) {
    throw new KubeconfigError(
      `kubeconfig ${props.file}: context "${config.getCurrentContext()}" names no cluster`,
    );
  }
  return new KubeAwsAuthClient(config, cluster.server, props.requestTimeoutMs);
}

/** A client for aws-auth in an EKS cluster, trusting only the cluster's own CA. */
export function forEksCluster(props: EksClusterClientProps): AwsAuthClient {
  if (!props.endpoint.startsWith("https://")) {
    // A bearer token must never travel in clear text.
    throw new KubeconfigError(`EKS endpoint must be https, got ${props.endpoint}`);
  }
  if (props.caData === "") throw new KubeconfigError(`cluster ${props.clusterName}: caData is empty`);
  const name = `eks-${props.clusterName}`;
  const cluster: Cluster = { name, server: props.endpoint, caData: props.caData, skipTLSVerify: false };
  const user: User = { name };
  const config = new KubeConfig();
  config.loadFromClusterAndUser(cluster, user);
  config.addAuthenticator(bearerAuthenticator(name, props.token));
  return new KubeAwsAuthClient(config, props.endpoint, props.requestTimeoutMs);
}

type Authenticator = Parameters<KubeConfig["addAuthenticator"]>[0];

/** Sets `Authorization` per request, so a token function can hand out fresh tokens. */
function bearerAuthenticator(userName: string, token: string | (() => Promise<string>)): Authenticator {
  return {
    isAuthProvider: (user) => user.name === userName,
    applyAuthentication: async (_user, opts) => {
      const value = typeof token === "string" ? token : await token();
      const headers = (opts.headers ?? {}) as Record<string, string>;
      headers.Authorization = `Bearer ${value}`;
      opts.headers = headers;
    },
  };
}

class KubeAwsAuthClient implements AwsAuthClient {
  readonly target: string;
  private readonly api: CoreV1Api;

  constructor(config: KubeConfig, server: string, requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS) {
    this.target = server.replace(/\/+$/, "");
    this.api = new CoreV1Api(
      createConfiguration({
        baseServer: new ServerConfiguration(this.target, {}),
        authMethods: { default: config },
        promiseMiddleware: [timeoutMiddleware(requestTimeoutMs)],
      }),
    );
  }

  async read(): Promise<ConfigMapObject | undefined> {
    try {
      const found = await this.api.readNamespacedConfigMap({
        name: AWS_AUTH_NAME,
        namespace: AWS_AUTH_NAMESPACE,
      });
      return toConfigMapObject(found);
    } catch (error) {
      if (isConfigMapNotFound(error)) return undefined;
      throw this.translate("GET", error);
    }
  }

  async replace(object: ConfigMapObject): Promise<ConfigMapObject> {
    const body = toV1ConfigMap(object, "replace");
    if (body.metadata?.resourceVersion === undefined || body.metadata.resourceVersion === "") {
      throw new MissingResourceVersionError(
        `refusing to replace ${AWS_AUTH_NAMESPACE}/${AWS_AUTH_NAME} on ${this.target} without metadata.resourceVersion`,
      );
    }
    try {
      const replaced = await this.api.replaceNamespacedConfigMap({
        name: AWS_AUTH_NAME,
        namespace: AWS_AUTH_NAMESPACE,
        body,
      });
      return toConfigMapObject(replaced);
    } catch (error) {
      throw this.translate("PUT", error);
    }
  }

  async create(object: ConfigMapObject): Promise<ConfigMapObject> {
    try {
      const created = await this.api.createNamespacedConfigMap({
        namespace: AWS_AUTH_NAMESPACE,
        body: toV1ConfigMap(object, "create"),
      });
      return toConfigMapObject(created);
    } catch (error) {
      throw this.translate("POST", error);
    }
  }

  async delete(preconditions: DeletePreconditions): Promise<boolean> {
    if (preconditions.uid === "" || preconditions.resourceVersion === "") {
      throw new MissingResourceVersionError(
        `refusing to delete ${AWS_AUTH_NAMESPACE}/${AWS_AUTH_NAME} on ${this.target} without uid and resourceVersion preconditions`,
      );
    }
    try {
      await this.api.deleteNamespacedConfigMap({
        name: AWS_AUTH_NAME,
        namespace: AWS_AUTH_NAMESPACE,
        body: {
          apiVersion: "v1",
          kind: "DeleteOptions",
          preconditions: { uid: preconditions.uid, resourceVersion: preconditions.resourceVersion },
        },
      });
      return true;
    } catch (error) {
      if (isConfigMapNotFound(error)) return false;
      throw this.translate("DELETE", error);
    }
  }

  /** Maps a failed call onto the port's errors; anything unrecognised (a token function's own failure) passes through. */
  private translate(method: string, error: unknown): unknown {
    const what = `${method} ${AWS_AUTH_NAMESPACE}/${AWS_AUTH_NAME} on ${this.target}`;
    if (error instanceof ApiException) {
      const status = readStatus(error.code, error.body);
      const explanation = `${what}: HTTP ${error.code}${status.reason ? ` ${status.reason}` : ""}: ${status.message}`;
      if (error.code === 409) return new ConflictError(explanation, { cause: error });
      return new ClusterApiError(explanation, error.code, { cause: error });
    }
    if (error instanceof FetchError || error instanceof AbortError) {
      return new ClusterUnreachableError(`${what}: ${error.message}`, { cause: error });
    }
    return error;
  }
}

type PromiseMiddleware = NonNullable<Parameters<typeof createConfiguration>[0]>["promiseMiddleware"];

function timeoutMiddleware(ms: number): NonNullable<PromiseMiddleware>[number] {
  return {
    pre: async (context) => {
      context.setSignal(AbortSignal.timeout(ms));
      return context;
    },
    post: async (context) => context,
  };
}

interface StatusSummary {
  readonly message: string;
  readonly reason?: string;
  readonly kind?: string;
}

/**
 * The API server's `Status` from an error body. client-node hands over the body text for most
 * codes but drops it for 401, where kube-apiserver only ever says "Unauthorized": the standard
 * reason phrase stands in for it.
 */
function readStatus(code: number, body: unknown): StatusSummary {
  if (typeof body !== "string" || body === "") return { message: STATUS_CODES[code] ?? "(no response body)" };
  try {
    const parsed = JSON.parse(body) as {
      kind?: unknown;
      message?: unknown;
      reason?: unknown;
      details?: { kind?: unknown };
    };
    if (parsed.kind === "Status" && typeof parsed.message === "string") {
      return {
        message: parsed.message,
        ...(typeof parsed.reason === "string" ? { reason: parsed.reason } : {}),
        ...(typeof parsed.details?.kind === "string" ? { kind: parsed.details.kind } : {}),
      };
    }
  } catch {
    // Not JSON: a proxy or load balancer answered, not kube-apiserver.
  }
  return { message: body.length > 300 ? `${body.slice(0, 300)}…` : body };
}

/**
 * Only kube-apiserver's own "configmaps not found" means aws-auth is gone; a 404 from anything else
 * (a proxy, a wrong endpoint path) must not be reported as a deletion.
 */
function isConfigMapNotFound(error: unknown): boolean {
  if (!(error instanceof ApiException) || error.code !== 404) return false;
  const status = readStatus(error.code, error.body);
  return status.reason === "NotFound" && status.kind === "configmaps";
}

function toConfigMapObject(source: V1ConfigMap): ConfigMapObject {
  const meta: V1ObjectMeta = source.metadata ?? {};
  const metadata: ConfigMapObject["metadata"] = {};
  if (meta.name !== undefined) metadata.name = meta.name;
  if (meta.namespace !== undefined) metadata.namespace = meta.namespace;
  if (meta.uid !== undefined) metadata.uid = meta.uid;
  if (meta.resourceVersion !== undefined) metadata.resourceVersion = meta.resourceVersion;
  if (meta.creationTimestamp !== undefined)
    metadata.creationTimestamp = formatTimestamp(meta.creationTimestamp);
  if (meta.labels !== undefined) metadata.labels = copyStrings(meta.labels);
  if (meta.annotations !== undefined) metadata.annotations = copyStrings(meta.annotations);
  return {
    ...(source.apiVersion === undefined ? {} : { apiVersion: source.apiVersion }),
    ...(source.kind === undefined ? {} : { kind: source.kind }),
    metadata,
    ...(source.data === undefined ? {} : { data: copyStrings(source.data) }),
    ...(source.immutable === undefined ? {} : { immutable: source.immutable }),
  };
}

/**
 * What we send. Server-owned fields are left out on create (kube-apiserver rejects a set
 * resourceVersion there); on replace, resourceVersion and uid are kept as preconditions.
 */
function toV1ConfigMap(object: ConfigMapObject, mode: "create" | "replace"): V1ConfigMap {
  const source = object.metadata;
  const metadata: V1ObjectMeta = {
    name: source.name ?? AWS_AUTH_NAME,
    namespace: source.namespace ?? AWS_AUTH_NAMESPACE,
  };
  if (mode === "replace" && source.resourceVersion !== undefined)
    metadata.resourceVersion = source.resourceVersion;
  if (mode === "replace" && source.uid !== undefined) metadata.uid = source.uid;
  if (source.labels !== undefined) metadata.labels = copyStrings(source.labels);
  if (source.annotations !== undefined) metadata.annotations = copyStrings(source.annotations);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata,
    ...(object.data === undefined ? {} : { data: copyStrings(object.data) }),
    ...(object.immutable === undefined ? {} : { immutable: object.immutable }),
  };
}

/** A plain object with the same entries: strings are immutable, so this never re-encodes them. */
function copyStrings(source: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(source));
}

/** client-node parses timestamps into Dates; give back the RFC 3339 seconds form kube-apiserver sends. */
function formatTimestamp(value: Date | string): string {
  if (typeof value === "string") return value;
  return value.toISOString().replace(/\.000Z$/, "Z");
}
