// The state of the reference, platform and credentials fields (ImageReferenceFields),
// shared by the download form and the explore view: parse what is typed, fill
// remembered credentials for its registry, look the image up (its platforms) once
// typing pauses, and keep a sensible platform chosen. The lookup itself (`overview`) is
// the caller's, as each view asks its own worker.
import { useEffect, useMemo, useRef, useState, type Dispatch, type StateUpdater } from "preact/hooks";
import type { Platform } from "../../../shared/platform.ts";
import { familiarName, parseReference, type Reference } from "../../../shared/reference.ts";
import { forgetCredentials, rememberCredentials, rememberedCredentials } from "../../lib/db.ts";
import type { Credentials, ImageOverview } from "../../lib/image-lookup.ts";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import type { ImageQuery } from "../../lib/protocol.ts";
import { debounced } from "../debounce.ts";
import type { CredentialsState } from "./CredentialsFields.tsx";
import { choosePlatform } from "./platform-choice.ts";

type Lookup =
  | { status: "idle" }
  | { status: "loading"; name: string }
  | { status: "ok"; kind: "index" | "image"; platforms: Platform[] }
  | { status: "error"; error: ErrorInfo };

const NO_CREDENTIALS: CredentialsState = { username: "", password: "", remember: false };

function tryParse(text: string): { ref?: Reference; error?: ErrorInfo } {
  if (text.trim() === "") return {};
  try {
    return { ref: parseReference(text) };
  } catch (error) {
    return { error: errorInfoOf(error) };
  }
}

interface Options {
  initialReference?: string;
  initialPlatform?: string;
  /** A platform to select once the image is looked up (from the address): os/arch[/variant] or an architecture. */
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
  const [platformError, setPlatformError] = useState<ErrorInfo>();
  const wantedPlatform = useRef(wanted);

  const current = useRef(platform);
  current.current = platform;
  /** Selects what `asked` names among `found`'s platforms, or says it is not offered. */
  const applyPlatform = (found: Platform[], asked: string | undefined) => {
    const choice = choosePlatform(found, asked, current.current, name);
    setPlatform(choice.platform);
    setPlatformError(choice.error);
  };

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
    setPlatformError(undefined);
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
          const asked = wantedPlatform.current;
          wantedPlatform.current = undefined;
          applyPlatform(found.platforms, asked);
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

  /**
   * Selects the platform `asked` names (from the address): at once when `image` is the
   * image already looked up, else once its lookup answers.
   */
  const askPlatform = (image: string, asked: string | undefined) => {
    if (lookup.status === "ok" && image === reference) applyPlatform(lookup.platforms, asked);
    else wantedPlatform.current = asked;
  };
  /** The person's own pick from the list. */
  const pickPlatform = (chosen: string) => {
    setPlatformError(undefined);
    setPlatform(chosen);
  };

  const platforms = lookup.status === "ok" ? lookup.platforms : [];
  const refError = reference.trim() !== "" ? parsed.error : undefined;
  return {
    reference, setReference, parsed, refError, name, registry,
    creds, setCreds, remembered, credsNotice, credentials, credentialsKey, rememberIfAsked, forget,
    lookup, platforms, platform, setPlatform: setPlatform as Dispatch<StateUpdater<string>>, wantedPlatform, platformError, askPlatform, pickPlatform,
  };
}

export type ImageLookup = ReturnType<typeof useImageLookup>;
