import { describe, expect, it } from "vitest";
import type { AccessPicture } from "../../lambda/core/access-picture.js";
import { creatorWayIn, explainCombined, samePrincipalAsEks } from "../../lambda/core/explain-access.js";

const ACCOUNT = "111122223333";
const ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
/** The entry carries the role's path; the session ARN the caller presents does not. */
const PLATFORM_ENTRY = `arn:aws:iam::${ACCOUNT}:role/teams/Platform`;
const PLATFORM_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/Platform/alice`;
const DEV_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/Developer/bob`;
const CREATOR = `arn:aws:iam::${ACCOUNT}:role/ClusterCreator`;

const AWS_AUTH = {
  mapRoles: [
    `- rolearn: arn:aws:iam::${ACCOUNT}:role/Platform`,
    "  username: platform",
    "  groups: [system:masters]",
    `- rolearn: arn:aws:iam::${ACCOUNT}:role/Developer`,
    "  username: dev",
    "  groups: [developers]",
  ].join("\n"),
};

function picture(mode: AccessPicture["authenticationMode"]): AccessPicture {
  return {
    authenticationMode: mode,
    entries: [
      {
        principalArn: PLATFORM_ENTRY,
        type: "STANDARD",
        kubernetesGroups: [],
        policies: [{ policyArn: VIEW, accessScope: { type: "namespace", namespaces: ["ops"] } }],
      },
    ],
  };
}

describe("explain with access entries and aws-auth, as EKS decides", () => {
  it("matches an entry by role name whatever the path, and never another account's role", () => {
    expect(samePrincipalAsEks(PLATFORM_SESSION, PLATFORM_ENTRY)).toBe(true);
    expect(samePrincipalAsEks(`arn:aws:iam::${ACCOUNT}:role/Platform`, PLATFORM_ENTRY)).toBe(true);
    expect(samePrincipalAsEks("arn:aws:sts::444455556666:assumed-role/Platform/x", PLATFORM_ENTRY)).toBe(
      false,
    );
    expect(samePrincipalAsEks(`arn:aws:iam::${ACCOUNT}:user/Platform`, PLATFORM_ENTRY)).toBe(false);
    expect(samePrincipalAsEks("not an arn", PLATFORM_ENTRY)).toBe(false);
  });

  it("lets the access entry win over aws-auth for the same principal in API_AND_CONFIG_MAP", () => {
    // Act
    const answer = explainCombined({
      caller: PLATFORM_SESSION,
      picture: picture("API_AND_CONFIG_MAP"),
      awsAuthData: AWS_AUTH,
    });

    // Assess: aws-auth says system:masters, but EKS uses the entry (view in ops only).
    expect(answer.decision).toBe("access-entry");
    expect(answer.entry?.principalArn).toBe(PLATFORM_ENTRY);
    expect(answer.notes[0]).toBe(
      `Gets in through the access entry of ${PLATFORM_ENTRY}: username "(EKS default: the session ARN)", groups [], access policies AmazonEKSViewPolicy in namespaces ops.`,
    );
    expect(answer.notes[1]).toContain("an access entry wins over aws-auth for the same principal");
    expect(answer.notes[1]).toContain('aws-auth maps it to "platform" with groups [system:masters]');
  });

  it("asks aws-auth when no entry names the caller in API_AND_CONFIG_MAP", () => {
    // Act
    const answer = explainCombined({
      caller: DEV_SESSION,
      picture: picture("API_AND_CONFIG_MAP"),
      awsAuthData: AWS_AUTH,
    });

    // Assess
    expect(answer.decision).toBe("aws-auth");
    expect(answer.awsAuth?.resolution.username).toBe("dev");
    expect(answer.notes[1]).toContain("No access entry names this caller's IAM principal");
  });

  it("ignores aws-auth in API mode and says what it would have said", () => {
    // Act
    const denied = explainCombined({ caller: DEV_SESSION, picture: picture("API"), awsAuthData: AWS_AUTH });
    const entry = explainCombined({
      caller: PLATFORM_SESSION,
      picture: picture("API"),
      awsAuthData: AWS_AUTH,
    });

    // Assess
    expect(denied.decision).toBe("denied");
    expect(denied.notes[0]).toContain("in authentication mode API aws-auth is ignored");
    expect(denied.notes[1]).toContain('aws-auth maps it to "dev"');
    expect(entry.decision).toBe("access-entry");
  });

  it("ignores access entries in CONFIG_MAP and names the creator's implicit admin", () => {
    // Act
    const entryIgnored = explainCombined({
      caller: PLATFORM_SESSION,
      picture: { authenticationMode: "CONFIG_MAP", entries: picture("API").entries },
      awsAuthData: AWS_AUTH,
    });
    const creator = explainCombined({
      caller: `arn:aws:sts::${ACCOUNT}:assumed-role/ClusterCreator/root-session`,
      picture: { authenticationMode: "CONFIG_MAP", entries: [] },
      awsAuthData: {},
      creator: CREATOR,
    });

    // Assess
    expect(entryIgnored.decision).toBe("aws-auth");
    expect(entryIgnored.awsAuth?.resolution.groups).toEqual(["system:masters"]);
    expect(creator.decision).toBe("creator");
    expect(creator.notes[0]).toContain("the creator keeps implicit system:masters");
  });

  it("denies a caller nothing maps, says when the access entries are unknown, and names a creator without its entry", () => {
    // Act
    const unknown = explainCombined({ caller: "arn:aws:iam::999988887777:role/x", awsAuthData: AWS_AUTH });
    const lostCreator = explainCombined({
      caller: CREATOR,
      picture: { authenticationMode: "API_AND_CONFIG_MAP", entries: [] },
      awsAuthData: {},
      creator: CREATOR,
    });

    // Assess
    expect(unknown.decision).toBe("denied");
    expect(unknown.notes).toContain(
      "The access entries are unknown (no access-entry record): this answer is aws-auth's alone.",
    );
    expect(lostCreator.decision).toBe("denied");
    expect(lostCreator.notes.at(-1)).toContain("its admin is its access entry, which is gone");
    expect(lostCreator.creator).toBe(CREATOR);
  });

  it("describes a cluster-admin entry and a node entry", () => {
    // Act
    const admin = explainCombined({
      caller: PLATFORM_SESSION,
      picture: {
        authenticationMode: "API",
        entries: [
          {
            principalArn: PLATFORM_ENTRY,
            type: "STANDARD",
            username: "platform-admin",
            kubernetesGroups: ["ops"],
            policies: [{ policyArn: ADMIN, accessScope: { type: "cluster", namespaces: [] } }],
          },
        ],
      },
    });
    const node = explainCombined({
      caller: PLATFORM_SESSION,
      picture: {
        authenticationMode: "API",
        entries: [{ principalArn: PLATFORM_ENTRY, type: "EC2_LINUX", kubernetesGroups: [], policies: [] }],
      },
    });

    // Assess
    expect(admin.notes[0]).toContain(
      'username "platform-admin", groups [ops], access policies AmazonEKSClusterAdminPolicy at cluster scope',
    );
    expect(node.notes[0]).toContain("a EC2_LINUX node entry");
  });

  it("says how the creator still gets in, by mode and by whether its entry is still there", () => {
    // Prepare
    const withEntry: AccessPicture = {
      authenticationMode: "API",
      entries: [
        {
          principalArn: CREATOR,
          type: "STANDARD",
          kubernetesGroups: [],
          policies: [{ policyArn: ADMIN, accessScope: { type: "cluster", namespaces: [] } }],
        },
      ],
    };

    // Act & Assess
    expect(creatorWayIn(CREATOR, { authenticationMode: "CONFIG_MAP", entries: [] })).toContain(
      "keeps implicit admin (in mode CONFIG_MAP",
    );
    expect(creatorWayIn(CREATOR, withEntry)).toContain(
      'through its access entry (username "(EKS default: the session ARN)", groups [], access policies AmazonEKSClusterAdminPolicy at cluster scope)',
    );
    expect(creatorWayIn(CREATOR, { authenticationMode: "API", entries: [] })).toContain(
      "its access entry is gone (mode API): restore --access-entries re-creates it",
    );
    expect(creatorWayIn(CREATOR, undefined, "CONFIG_MAP")).toContain("keeps implicit admin");
    expect(creatorWayIn(CREATOR)).toContain("implicit admin in mode CONFIG_MAP; in the other modes");
  });
});
