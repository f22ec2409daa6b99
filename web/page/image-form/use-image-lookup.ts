// The state of the reference, platform and credentials fields (ImageReferenceFields),
// shared by the download form and the explore view: parse what is typed, fill
// remembered credentials for its registry, look the image up (its platforms) once
// typing pauses, and keep a sensible platform chosen. The lookup itself (`overview`) is
// the caller's, as each view asks its own worker.
import { useEffect, useMemo, useRef, useState, type Dispatch, type StateUpdater } from "preact/hooks";
import { formatPlatform, type Platform } from "../../../shared/platform.ts";
import { familiarName, parseReference, type Reference } from "../../../shared/reference.ts";
import { forgetCredentials, rememberCredentials, rememberedCredentials } from "../../lib/db.ts";
import type { Credentials, ImageOverview } from "../../lib/image-lookup.ts";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import type { ImageQuery } from "../../lib/protocol.ts";
import { debounced } from "../debounce.ts";
import type { CredentialsState } from "./CredentialsFields.tsx";

type Lookup =
  | { status: "idle" }
  | { status: "loading"; name: string }
  | { status: "ok"; kind: "index" | "image"; platforms: Platform[] }
  | { status: "error"; error: ErrorInfo };

const DEFAULT_PLATFORM = "linux/amd64";
const NO_CREDENTIALS: CredentialsState = { username: "", password: "", remember: false };

function tryParse(text: string): { ref?: Reference; error?: ErrorInfo } {
  if (text.trim() === "") return {};
  try {
    return { ref: parseReference(text) };
  } catch (error) {
    return { error: errorInfoOf(error) };
  }
}

/** The platform to select among `names`: the one asked for, else the current one, else linux/amd64, else the first. */
function pickPlatform(names: string[], wanted: string | undefined, now: string): string {
  if (wanted && names.includes(wanted)) return wanted;
  if (names.includes(now)) return now;
  return names.includes(DEFAULT_PLATFORM) ? DEFAULT_PLATFORM : (names[0] ?? "");
}

interface Options {
  initialReference?: string;
  initialPlatform?: string;
  /** A platform to select once the next lookup offers it (from the address). */
  wantedPlatform?: string;
  overview(query: ImageQuery): Promise<ImageOverview>;
}

export function useImageLookup({ initialReference = "", initialPlatform = "", wantedPlatform: wanted, overview }: Options) {
  const [reference, setReference] = useState(initialReference);
  const parsed = useMemo(() => tryParse(reference), [reference]);
  const name = parsed.ref ? familiarName(parsed.ref) : "";
  const registry = parsed.ref?.registry;
  const [creds, setCreds] = useState<CredentialsState>(NO_CREDENTIALS);
  const [remembered, setRemembered] = useState(false);
  const [credsNotice, setCredsNotice] = useState<string>();
  const [lookup, setLookup] = useState<Lookup>({ status: "idle" });
  const [platform, setPlatform] = useState(initialPlatform);
  const wantedPlatform = useRef(wanted);

  const credentials: Credentials | undefined = creds.username !== "" ? { username: creds.username, password: creds.password } : undefined;
  const credentialsKey = credentials ? `${credentials.username}\n${credentials.password}` : "";

  /** Stores the typed credentials for this registry when "remember" is ticked. */
  const rememberIfAsked = () => {
    if (credentials && creds.remember && registry) void rememberCredentials(registry, credentials).then(() => setRemembered(true));
  };

  // A registry's remembered credentials fill the form when its image is typed.
  useEffect(() => {
    setRemembered(false);
    if (!registry) return;
    void rememberedCredentials(registry).then((found) => {
      if (!found) return;
      setCreds({ ...found, remember: true });
      setRemembered(true);
    });
  }, [registry]);

  // Look the image up (platforms) once typing pauses.
  useEffect(() => {
    if (!parsed.ref) {
      setLookup({ status: "idle" });
      return;
    }
    return debounced(350, (live) => {
      setLookup({ status: "loading", name });
      overview({ reference: name, credentials }).then(
        (found) => {
          if (!live()) return;
          setLookup({ status: "ok", kind: found.kind, platforms: found.platforms });
          const names = found.platforms.map(formatPlatform);
          const asked = wantedPlatform.current;
          wantedPlatform.current = undefined;
          setPlatform((now) => pickPlatform(names, asked, now));
          rememberIfAsked();
        },
        (error: unknown) => live() && setLookup({ status: "error", error: errorInfoOf(error) }),
      );
    });
  }, [name, credentialsKey]);

  /** Forgets this registry's credentials and clears the fields, showing `notice` if given. */
  const forget = async (notice?: string) => {
    await forgetCredentials(registry);
    setRemembered(false);
    setCreds(NO_CREDENTIALS);
    setCredsNotice(notice);
  };

  const platforms = lookup.status === "ok" ? lookup.platforms : [];
  const refError = reference.trim() !== "" ? parsed.error : undefined;
  return {
    reference, setReference, parsed, refError, name, registry,
    creds, setCreds, remembered, credsNotice, credentials, credentialsKey, rememberIfAsked, forget,
    lookup, platforms, platform, setPlatform: setPlatform as Dispatch<StateUpdater<string>>, wantedPlatform,
  };
}

export type ImageLookup = ReturnType<typeof useImageLookup>;
