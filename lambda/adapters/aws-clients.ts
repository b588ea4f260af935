import { EKSClient, type EKSClientConfig } from "@aws-sdk/client-eks";
import { KMSClient, type KMSClientConfig } from "@aws-sdk/client-kms";
import { LambdaClient, type LambdaClientConfig } from "@aws-sdk/client-lambda";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { SNSClient, type SNSClientConfig } from "@aws-sdk/client-sns";

/**
 * Builds SDK clients from an environment map.
 *
 * The installed SDK (3.1169) already resolves `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`
 * from `process.env` on its own, so in Lambda nothing here is strictly needed for endpoints. We still
 * read them ourselves because callers (tests, the CLI) may hand in an env map other than
 * `process.env`, and because S3 needs `forcePathStyle` with an override: with a hostname endpoint
 * such as `http://localhost:5000` the SDK otherwise asks for `bucket.localhost`, which does not resolve.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** The settings every client shares. */
interface CommonConfig {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export function createS3Client(env: Env = process.env, overrides: S3ClientConfig = {}): S3Client {
  const common = commonConfig(env, "S3");
  const pathStyle = common.endpoint === undefined ? {} : { forcePathStyle: true };
  return new S3Client({ ...common, ...pathStyle, ...overrides });
}

export function createSnsClient(env: Env = process.env, overrides: SNSClientConfig = {}): SNSClient {
  return new SNSClient({ ...commonConfig(env, "SNS"), ...overrides });
}

export function createLambdaClient(env: Env = process.env, overrides: LambdaClientConfig = {}): LambdaClient {
  return new LambdaClient({ ...commonConfig(env, "LAMBDA"), ...overrides });
}

export function createKmsClient(env: Env = process.env, overrides: KMSClientConfig = {}): KMSClient {
  return new KMSClient({ ...commonConfig(env, "KMS"), ...overrides });
}

export function createEksClient(env: Env = process.env, overrides: EKSClientConfig = {}): EKSClient {
  return new EKSClient({ ...commonConfig(env, "EKS"), ...overrides });
}

/**
 * The endpoint override for one service, most specific first, as the SDK itself resolves it.
 * `serviceEnvSuffix` is the SDK service id upper-cased with spaces as `_` (`S3`, `SNS`, `LAMBDA`, `EKS`, `KMS`).
 */
export function endpointFromEnv(env: Env, serviceEnvSuffix: string): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === "true") return undefined;
  return nonEmpty(env[`AWS_ENDPOINT_URL_${serviceEnvSuffix}`]) ?? nonEmpty(env.AWS_ENDPOINT_URL);
}

function commonConfig(env: Env, serviceEnvSuffix: string): CommonConfig {
  const config: CommonConfig = {};
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  if (region !== undefined) config.region = region;
  const endpoint = endpointFromEnv(env, serviceEnvSuffix);
  if (endpoint !== undefined) config.endpoint = endpoint;
  const credentials = injectedCredentials(env);
  if (credentials !== undefined) config.credentials = credentials;
  return config;
}

/**
 * Static keys only for an injected env map. With the real `process.env` the SDK's default provider
 * chain already reads the same variables and also knows the other sources (container, SSO, web identity).
 */
function injectedCredentials(env: Env): CommonConfig["credentials"] {
  if (env === process.env) return undefined;
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  return sessionToken === undefined
    ? { accessKeyId, secretAccessKey }
    : { accessKeyId, secretAccessKey, sessionToken };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
