// Parses and formats WWW-Authenticate challenges (RFC 7235), as registries send them:
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"
// Used by the registry client for the token dance and by the proxy to rewrite realms.

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** All challenges in a header value; parameter names are lower-cased. */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipSpaces = () => {
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  };
  const token = () => {
    const start = i;
    while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i])) i++;
    return s.slice(start, i);
  };
  while (i < s.length) {
    skipSpaces();
    while (s[i] === ",") {
      i++;
      skipSpaces();
    }
    const scheme = token();
    if (!scheme) break;
    const challenge: Challenge = { scheme, params: {} };
    challenges.push(challenge);
    // A token68 ("Negotiate abc==") instead of parameters: skip it whole, or its
    // trailing "=" reads as an empty parameter and swallows the next challenge.
    const token68 = /^[ \t]+[A-Za-z0-9\-._~+/]+=*[ \t]*(?=,|$)/.exec(s.slice(i));
    if (token68 && !/^[ \t]+[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=[ \t]*[^= \t,]/.test(s.slice(i))) {
      i += token68[0].length;
      continue;
    }
    for (;;) {
      skipSpaces();
      const save = i;
      const name = token();
      skipSpaces();
      if (!name || s[i] !== "=") {
        i = save;
        // token68 (e.g. "Basic abc==") or the start of the next challenge.
        if (name && s[i] !== ",") break;
        if (!name) {
          if (s[i] === ",") {
            i++;
            continue;
          }
          break;
        }
        break;
      }
      i++;
      skipSpaces();
      let value = "";
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === "\\" && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++;
      } else {
        value = token();
      }
      challenge.params[name.toLowerCase()] = value;
      skipSpaces();
      if (s[i] === ",") {
        i++;
        // A following "name=" continues this challenge; a following scheme starts a new one.
        const look = i;
        skipSpaces();
        const next = token();
        skipSpaces();
        const isParam = next !== "" && s[i] === "=";
        i = look;
        if (!isParam) break;
      } else {
        break;
      }
    }
  }
  return challenges;
}

export function formatChallenge(challenge: Challenge): string {
  const params = Object.entries(challenge.params).map(([k, v]) => `${k}="${v.replace(/["\\]/g, "\\$&")}"`);
  return params.length ? `${challenge.scheme} ${params.join(",")}` : challenge.scheme;
}

/** The first challenge of the given scheme (case-insensitive), if any. */
export function findChallenge(header: string | null, scheme: string): Challenge | undefined {
  if (!header) return undefined;
  return parseChallenges(header).find((c) => c.scheme.toLowerCase() === scheme.toLowerCase());
}

/** Splits "repository:name:pull,push" (the name may contain a port colon). */
export function parseScope(scope: string): { type: string; name: string; actions: string[] } | null {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first < 0 || last <= first) return null;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(",").filter(Boolean) };
}
