import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { CreateKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { CreateBucketCommand, PutBucketVersioningCommand, type S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";

/**
 * What a test hands to `createS3Client(env)` and friends; never copied into `process.env`.
 * A type alias, not an interface, so that it is assignable to the `Env` index signature.
 */
export type MotoEnv = {
  AWS_ENDPOINT_URL: string;
  AWS_REGION: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
};

export interface MotoServer {
  endpoint: string;
  env: MotoEnv;
  /** Stops moto and resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** How long to wait for moto to answer HTTP. */
  readyTimeoutMs?: number;
}

const HOST = "127.0.0.1";
const START_ATTEMPTS = 3;
const STDERR_TAIL_CHARS = 8_000;

/**
 * Runs moto through a small Python supervisor so that moto dies with us however we die:
 * - it prefers the `moto_server` shim and falls back to `python3 -m moto.server`;
 * - it reads its stdin until EOF, which the kernel delivers when the Node process exits for any
 *   reason, SIGKILL included, and then terminates moto;
 * - on SIGTERM it terminates moto (SIGKILL after 5 s) and exits only once moto is reaped, so `stop()`
 *   can wait for the supervisor alone.
 */
const SUPERVISOR = `
import os, signal, subprocess, sys, threading
args = sys.argv[1:]
try:
    child = subprocess.Popen(["moto_server", *args], stdin=subprocess.DEVNULL)
except FileNotFoundError:
    child = subprocess.Popen([sys.executable, "-m", "moto.server", *args], stdin=subprocess.DEVNULL)
# Signal by pid instead of Popen.wait/kill: the main thread sits in child.wait() holding Popen's lock,
# so waiting from the signal handler would deadlock. The pid cannot be reused before main reaps it.
def send(signum):
    try:
        os.kill(child.pid, signum)
    except ProcessLookupError:
        pass
def terminate_child():
    send(signal.SIGTERM)
    escalate = threading.Timer(5, send, [signal.SIGKILL])
    escalate.daemon = True
    escalate.start()
def watch_parent():
    while os.read(0, 65536):
        pass
    terminate_child()
signal.signal(signal.SIGTERM, lambda *_: terminate_child())
threading.Thread(target=watch_parent, daemon=True).start()
code = child.wait()
# os._exit skips interpreter finalization, which aborts while a daemon thread is blocked reading stdin.
os._exit(128 - code if code < 0 else code)
`;

/** Starts a private moto_server on a free loopback port. Retries when another process grabbed the port first. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(await freePort(), readyTimeoutMs);
    } catch (error) {
      lastError = error;
      if (!(error instanceof MotoExitedEarly)) throw error;
    }
  }
  throw lastError;
}

class MotoExitedEarly extends Error {
  override readonly name = "MotoExitedEarly";
}

async function startOnce(port: number, readyTimeoutMs: number): Promise<MotoServer> {
  const endpoint = `http://${HOST}:${port}`;
  const child = spawn("python3", ["-c", SUPERVISOR, "-H", HOST, "-p", String(port)], {
    // Own process group, so the exit hook can take down the supervisor and moto in one signal.
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const output = captureTail(child);
  const exited = exitPromise(child);
  const killGroup = () => killProcessGroup(child, "SIGKILL");
  process.once("exit", killGroup);
  // A forgotten stop() must not keep the test process alive; the exit hook and supervisor clean up.
  child.unref();

  const stop = async () => {
    process.removeListener("exit", killGroup);
    // Unreferenced, the child alone would not keep the event loop alive while we wait for its exit.
    child.ref();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      if (!(await settlesWithin(exited, 10_000))) {
        killGroup();
        await exited;
      }
    }
    child.stdin.destroy();
  };

  try {
    await waitUntilReady(endpoint, exited, readyTimeoutMs, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
    },
    stop,
  };
}

async function waitUntilReady(
  endpoint: string,
  exited: Promise<string>,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitReason: string | undefined;
  void exited.then((reason) => {
    exitReason = reason;
  });
  while (Date.now() < deadline) {
    if (exitReason !== undefined) {
      throw new MotoExitedEarly(`moto_server exited before answering (${exitReason}). Output:\n${output()}`);
    }
    if (await answers(`${endpoint}/moto-api/`)) return;
    await delay(100);
  }
  throw new Error(`moto_server did not answer at ${endpoint} within ${timeoutMs} ms. Output:\n${output()}`);
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** moto logs every request; keep draining the pipes so it never blocks, and keep the tail for errors. */
function captureTail(child: ChildProcessWithoutNullStreams): () => string {
  let tail = "";
  const append = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void }).unref?.();
  }
  return () => tail;
}

function exitPromise(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((done) => {
    child.once("error", (error) => done(`spawn failed: ${error.message}`));
    child.once("exit", (code, signal) => done(signal === null ? `exit code ${code}` : `signal ${signal}`));
  });
}

function killProcessGroup(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** A port the OS just handed out; moto binds it a moment later (the race is why startMoto retries). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("Could not get a free port");
  return address.port;
}

/** Whether `promise` settles within `ms`; the timer is cleared so it cannot hold the process open. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((done) => {
    timer = setTimeout(() => done(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Region, endpoint and static keys for any SDK client (e.g. SQS, which production code never builds). */
export function clientConfig(env: MotoEnv): {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return {
    region: env.AWS_REGION,
    endpoint: env.AWS_ENDPOINT_URL,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  };
}

export async function createVersionedBucket(s3: S3Client, name: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: "Enabled" } }),
  );
}

/** A KMS HMAC_256 key for record MACs, as the stack creates it (GENERATE_VERIFY_MAC); returns its id. */
export async function createIntegrityKey(kms: KMSClient): Promise<string> {
  const { KeyMetadata } = await kms.send(
    new CreateKeyCommand({
      KeySpec: "HMAC_256",
      KeyUsage: "GENERATE_VERIFY_MAC",
      Description: "aws-auth-guardian test: record MACs",
    }),
  );
  if (!KeyMetadata?.KeyId) throw new Error("CreateKey returned no key id");
  return KeyMetadata.KeyId;
}

/**
 * A topic with an SQS queue subscribed to it. `RawMessageDelivery` is left off (the default), so
 * each SQS message body is the SNS JSON envelope carrying Subject and MessageAttributes, which
 * tests need to see; with raw delivery only the bare message would arrive.
 */
export async function createTopicWithQueue(
  sns: SNSClient,
  sqs: SQSClient,
  name: string,
): Promise<{ topicArn: string; queueUrl: string }> {
  const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (topicArn === undefined || queueUrl === undefined)
    throw new Error("CreateTopic/CreateQueue returned no id");
  const queueArn = await queueArnOf(sqs, queueUrl);
  // moto delivers without it, but real SQS drops SNS deliveries that no queue policy allows.
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queueUrl,
      Attributes: { Policy: allowTopicPolicy(queueArn, topicArn) },
    }),
  );
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queueArn }));
  return { topicArn, queueUrl };
}

async function queueArnOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  const arn = Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`No QueueArn for ${queueUrl}`);
  return arn;
}

function allowTopicPolicy(queueArn: string, topicArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": topicArn } },
      },
    ],
  });
}

/** The JSON envelope SNS puts in an SQS message body when raw delivery is off. */
export interface SnsEnvelope {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/**
 * Receives and deletes every message currently in the queue, oldest batches first. moto delivers
 * SNS→SQS inside the Publish call, so no waiting is needed against moto; `waitSeconds` is for
 * anything slower.
 */
export async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  options: { waitSeconds?: number } = {},
): Promise<SnsEnvelope[]> {
  const envelopes: SnsEnvelope[] = [];
  for (;;) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: envelopes.length === 0 ? (options.waitSeconds ?? 0) : 0,
      }),
    );
    if (messages.length === 0) return envelopes;
    for (const message of messages) envelopes.push(parseEnvelope(message.Body));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
  }
}

function parseEnvelope(body: string | undefined): SnsEnvelope {
  const parsed: unknown = JSON.parse(body ?? "");
  if (typeof parsed !== "object" || parsed === null || typeof (parsed as SnsEnvelope).Message !== "string") {
    throw new Error(`SQS message is not an SNS envelope: ${body}`);
  }
  return parsed as SnsEnvelope;
}
