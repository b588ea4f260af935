import { execFileSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createEksToken,
  EKS_TOKEN_PREFIX,
  EksTokenError,
  type EksTokenProps,
} from "../../lambda/cluster/eks-token.js";

/**
 * Mirrors awscli `customizations/eks/get_token.py`: an STS client whose GetCallerIdentity carries
 * the cluster name in `x-k8s-aws-id` (lifted out of the params, injected as a header before
 * signing), presigned for GET, base64url without padding. The clock is frozen by patching
 * `botocore.auth.get_current_datetime`, the only time source SigV4QueryAuth reads.
 */
const BOTOCORE_GET_TOKEN = `
import base64, datetime, json, sys
from unittest import mock
try:
    import botocore.auth, botocore.session
    from botocore.config import Config
except ImportError as error:
    sys.exit("botocore is not importable (%s); install it with: python3 -m pip install botocore" % error)

def token_for(case):
    session = botocore.session.Session()
    session.set_credentials(case["accessKeyId"], case["secretAccessKey"], case.get("sessionToken"))
    sts = session.create_client(
        "sts",
        region_name=case["region"],
        endpoint_url=case.get("stsEndpoint") or "https://sts.%s.amazonaws.com" % case["region"],
        config=Config(signature_version="v4"),
    )
    def retrieve_k8s_aws_id(params, context, **kwargs):
        if "x-k8s-aws-id" in params:
            context["x-k8s-aws-id"] = params.pop("x-k8s-aws-id")
    def inject_k8s_aws_id_header(request, **kwargs):
        if "x-k8s-aws-id" in request.context:
            request.headers["x-k8s-aws-id"] = request.context["x-k8s-aws-id"]
    sts.meta.events.register("provide-client-params.sts.GetCallerIdentity", retrieve_k8s_aws_id)
    sts.meta.events.register("before-sign.sts.GetCallerIdentity", inject_k8s_aws_id_header)
    now = datetime.datetime.fromisoformat(case["now"].replace("Z", "+00:00"))
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=now):
        url = sts.generate_presigned_url(
            "get_caller_identity",
            Params={"x-k8s-aws-id": case["clusterName"]},
            ExpiresIn=case["expiresInSeconds"],
            HttpMethod="GET",
        )
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode("utf-8")).decode("utf-8").rstrip("=")

print(json.dumps([token_for(case) for case in json.loads(sys.argv[1])]))
`;

interface KnownAnswerCase {
  readonly title: string;
  readonly props: EksTokenProps & { readonly now: Date; readonly expiresInSeconds: number };
}

const CASES: readonly KnownAnswerCase[] = [
  {
    title: "temporary credentials (session token with characters that need escaping)",
    props: {
      clusterName: "prod",
      region: "eu-west-1",
      credentials: {
        accessKeyId: "ASIAEXAMPLEEXAMPLE01",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        sessionToken: "IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMSJHMEUCIQ+/=",
      },
      now: new Date("2024-05-01T12:34:56Z"),
      expiresInSeconds: 60,
    },
  },
  {
    title: "long-term credentials, another region and a cluster name with - and _",
    props: {
      clusterName: "team-a_staging-01",
      region: "ap-southeast-2",
      credentials: {
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      },
      now: new Date("2025-12-31T23:59:59Z"),
      expiresInSeconds: 60,
    },
  },
  {
    title: "custom STS endpoint and the longest allowed expiry",
    props: {
      clusterName: "gov",
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "token" },
      now: new Date("2024-02-29T00:00:00Z"),
      expiresInSeconds: 900,
      stsEndpoint: "https://sts-fips.us-east-1.amazonaws.com",
    },
  },
];

/** Tokens botocore computes for CASES, in order; fails loudly when python3 or botocore is missing. */
function botocoreTokens(cases: readonly KnownAnswerCase[]): string[] {
  const input = cases.map(({ props }) => ({
    ...props.credentials,
    clusterName: props.clusterName,
    region: props.region,
    now: props.now.toISOString(),
    expiresInSeconds: props.expiresInSeconds,
    stsEndpoint: props.stsEndpoint,
  }));
  let stdout: string;
  try {
    stdout = execFileSync("python3", ["-c", BOTOCORE_GET_TOKEN, JSON.stringify(input)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    throw new Error(
      `The EKS token known-answer test needs python3 with botocore on PATH (CI has both): ${describeFailure(error)}`,
      { cause: error },
    );
  }
  return JSON.parse(stdout) as string[];
}

function describeFailure(error: unknown): string {
  const { code, status, stderr } = error as { code?: string; status?: number | null; stderr?: string };
  if (code === "ENOENT") return "python3 was not found";
  return `python3 exited with status ${status ?? "?"}: ${(stderr ?? "").trim()}`;
}

function decodeToken(token: string): URL {
  expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
  const payload = token.slice(EKS_TOKEN_PREFIX.length);
  expect(payload).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return new URL(Buffer.from(payload, "base64url").toString("utf8"));
}

describe("createEksToken against botocore", () => {
  let expected: string[] = [];

  beforeAll(() => {
    expected = botocoreTokens(CASES);
  });

  it.each(CASES.map((c, index) => [c.title, index] as const))(
    "matches botocore byte for byte: %s",
    async (_title, index) => {
      // Prepare
      const { props } = CASES[index] as KnownAnswerCase;

      // Act
      const token = await createEksToken(props);

      // Assess
      expect(token).toBe(expected[index]);
    },
  );
});

describe("createEksToken", () => {
  it("produces a presigned STS GetCallerIdentity URL with only standard SigV4 parameters", async () => {
    // Prepare
    const { props } = CASES[0] as KnownAnswerCase;

    // Act
    const token = await createEksToken({ ...props, expiresInSeconds: undefined });
    const url = decodeToken(token);

    // Assess
    expect(token.length).toBeLessThanOrEqual(4096);
    expect(url.origin).toBe("https://sts.eu-west-1.amazonaws.com");
    expect(url.pathname).toBe("/");
    expect([...url.searchParams.keys()].sort()).toEqual(
      [
        "Action",
        "Version",
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-Security-Token",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
      ].sort(),
    );
    expect(url.searchParams.get("Action")).toBe("GetCallerIdentity");
    expect(url.searchParams.get("Version")).toBe("2011-06-15");
    expect(url.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(url.searchParams.get("X-Amz-Credential")).toBe(
      "ASIAEXAMPLEEXAMPLE01/20240501/eu-west-1/sts/aws4_request",
    );
    expect(url.searchParams.get("X-Amz-Date")).toBe("20240501T123456Z");
    expect(url.searchParams.get("X-Amz-Expires")).toBe("60");
    expect(url.searchParams.get("X-Amz-SignedHeaders")?.split(";")).toEqual(["host", "x-k8s-aws-id"]);
    expect(url.searchParams.get("X-Amz-Security-Token")).toBe(props.credentials.sessionToken);
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("signs at the current time by default", async () => {
    // Prepare
    const { now: _ignored, ...props } = (CASES[1] as KnownAnswerCase).props;
    const before = Date.now();

    // Act
    const url = decodeToken(await createEksToken(props));

    // Assess
    const stamp = url.searchParams.get("X-Amz-Date") ?? "";
    const signedAt = Date.parse(
      stamp.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"),
    );
    expect(signedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(signedAt).toBeLessThanOrEqual(Date.now());
  });

  it.each([-1, 901, 1.5])(
    "fails for expiresInSeconds %s, outside what the authenticator accepts",
    async (expiresInSeconds) => {
      // Prepare
      const { props } = CASES[1] as KnownAnswerCase;

      // Act
      const attempt = createEksToken({ ...props, expiresInSeconds });

      // Assess
      await expect(attempt).rejects.toThrow(EksTokenError);
    },
  );

  it("fails when the token would exceed the authenticator's 4096-byte limit", async () => {
    // Prepare
    const { props } = CASES[0] as KnownAnswerCase;
    const credentials = { ...props.credentials, sessionToken: "x".repeat(3000) };

    // Act
    const attempt = createEksToken({ ...props, credentials });

    // Assess
    await expect(attempt).rejects.toThrow(/4096/);
  });

  it("fails for an empty cluster name", async () => {
    // Prepare
    const { props } = CASES[0] as KnownAnswerCase;

    // Act
    const attempt = createEksToken({ ...props, clusterName: "" });

    // Assess
    await expect(attempt).rejects.toThrow(EksTokenError);
  });
});
