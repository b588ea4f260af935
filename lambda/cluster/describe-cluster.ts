/**
 * What the guardian needs from `eks:DescribeCluster` to reach a cluster and judge its exposure.
 * Free of the Kubernetes client on purpose, so any bundle may import it.
 */
import {
  type AuthenticationMode,
  type Cluster,
  DescribeClusterCommand,
  type EKSClient,
  ResourceNotFoundException,
} from "@aws-sdk/client-eks";

export interface EksClusterAccess {
  /** The API server URL, `https://…`. */
  readonly endpoint: string;
  /** Base64 of the PEM CA bundle, as `forEksCluster({ caData })` takes it. */
  readonly caData: string;
  /**
   * `CONFIG_MAP`: only aws-auth (and the cluster creator) grants access; `API_AND_CONFIG_MAP`:
   * access entries first, then aws-auth; `API`: aws-auth is ignored.
   */
  readonly authenticationMode: AuthenticationMode;
  /** Whether the control plane ships `audit` logs to CloudWatch, which the watcher depends on. */
  readonly auditLoggingEnabled: boolean;
}

export class ClusterNotFoundError extends Error {
  override readonly name = "ClusterNotFoundError";
}

/** The cluster exists but has no endpoint or CA yet (typically `CREATING`), or is failed. */
export class ClusterNotReadyError extends Error {
  override readonly name = "ClusterNotReadyError";
}

export async function describeCluster(eks: EKSClient, name: string): Promise<EksClusterAccess> {
  const cluster = await fetchCluster(eks, name);
  const endpoint = cluster.endpoint;
  const caData = cluster.certificateAuthority?.data;
  if (endpoint === undefined || endpoint === "" || caData === undefined || caData === "") {
    const missing = endpoint === undefined || endpoint === "" ? "API endpoint" : "certificate authority";
    throw new ClusterNotReadyError(
      `EKS cluster ${name} has no ${missing} yet (status ${cluster.status ?? "unknown"}); retry once it is ACTIVE`,
    );
  }
  return {
    endpoint,
    caData,
    authenticationMode: authenticationModeOf(cluster),
    auditLoggingEnabled: isAuditLoggingEnabled(cluster),
  };
}

async function fetchCluster(eks: EKSClient, name: string): Promise<Cluster> {
  try {
    const { cluster } = await eks.send(new DescribeClusterCommand({ name }));
    if (cluster === undefined)
      throw new ClusterNotFoundError(`EKS DescribeCluster returned no cluster for ${name}`);
    return cluster;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      const region = await eks.config.region();
      throw new ClusterNotFoundError(`EKS cluster ${name} does not exist in ${region}`, { cause: error });
    }
    throw error;
  }
}

/** Clusters created before access entries existed report no accessConfig and behave as CONFIG_MAP. */
function authenticationModeOf(cluster: Cluster): AuthenticationMode {
  return cluster.accessConfig?.authenticationMode ?? "CONFIG_MAP";
}

function isAuditLoggingEnabled(cluster: Cluster): boolean {
  const setups = cluster.logging?.clusterLogging ?? [];
  return setups.some((setup) => setup.enabled === true && (setup.types ?? []).includes("audit"));
}
