/**
 * What a Dockerfile's USER needs: a user that exists when the container starts. Without a
 * Docker engine here, the base image's accounts are the ones its distribution ships
 * (ubuntu:24.04's /etc/passwd, which nvidia/cuda's Ubuntu 24.04 images build on), plus those
 * the Dockerfile creates itself before the USER line.
 */

/** ubuntu:24.04's /etc/passwd. `node` is the official Node images' user and is not among them. */
export const ubuntu2404Users = [
  "root",
  "daemon",
  "bin",
  "sys",
  "sync",
  "games",
  "man",
  "lp",
  "mail",
  "news",
  "uucp",
  "proxy",
  "www-data",
  "backup",
  "list",
  "irc",
  "_apt",
  "nobody",
  "ubuntu",
];

export interface UserCheck {
  user: string | undefined;
  base: string | undefined;
  /** Why the user would not exist at run time; undefined when it does. */
  problem?: string;
}

export function checkDockerfileUser(dockerfile: string): UserCheck {
  const lines = dockerfile.replace(/\\\n/g, " ").split("\n");
  const base = lines
    .map((l) => /^FROM\s+(\S+)/i.exec(l)?.[1])
    .filter(Boolean)
    .pop();
  const created: string[] = [];
  let user: string | undefined;
  for (const line of lines) {
    for (const m of line.matchAll(/\b(?:useradd|adduser)\b[^&;|]*?\s([a-z_][a-z0-9_-]*)\s*(?:$|&&|;|\|)/g)) created.push(m[1]!);
    const u = /^USER\s+([^\s:]+)/i.exec(line);
    if (u) user = u[1];
  }
  if (!user) return { user, base, problem: "no USER line: the worker would run as root" };
  if (/^\d+$/.test(user)) return { user, base };
  if (!base?.startsWith("nvidia/cuda:") || !/ubuntu24\.04$/.test(base))
    return { user, base, problem: `base ${base} is not the nvidia/cuda Ubuntu 24.04 image this check knows` };
  if (ubuntu2404Users.includes(user) || created.includes(user)) return { user, base };
  return {
    user,
    base,
    problem: `USER ${user} does not exist on ${base} (its users: ${ubuntu2404Users.join(", ")}) and no RUN useradd creates it`,
  };
}
