// The one table of platform input every caller reads alike (shared/platform.ts's
// parsePlatform): the parser's unit test, the web form's address, the CLI's --platform
// and /api/download's platform all run it. `platform`: what it reads as; `refused`: the
// BAD_PLATFORM key of the refusal (with `suggestion`, the order it meant).

export interface PlatformCase {
  input: string;
  platform?: string;
  refused?: "invalid" | "unknown" | "reversed";
  suggestion?: string;
}

export const PLATFORM_CASES: PlatformCase[] = [
  { input: "linux/amd64", platform: "linux/amd64" },
  { input: "Linux/ARM64", platform: "linux/arm64" },
  { input: "linux/arm64/v8", platform: "linux/arm64" },
  { input: "linux/arm/v7", platform: "linux/arm/v7" },
  { input: "linux/arm", platform: "linux/arm/v7" },
  { input: "amd64", platform: "linux/amd64" },
  { input: "arm64", platform: "linux/arm64" },
  { input: "arm/v7", platform: "linux/arm/v7" },
  { input: "arm/v6", platform: "linux/arm/v6" },
  { input: "arm64/v8", platform: "linux/arm64" },
  { input: "aarch64", platform: "linux/arm64" },
  { input: "x86_64", platform: "linux/amd64" },
  { input: "armhf", platform: "linux/arm/v7" },
  { input: " ppc64le ", platform: "linux/ppc64le" },
  { input: "windows/amd64", platform: "windows/amd64" },
  { input: "amd64/linux", refused: "reversed", suggestion: "linux/amd64" },
  { input: "arm/v7/linux", refused: "reversed", suggestion: "linux/arm/v7" },
  { input: "arm64/windows", refused: "reversed", suggestion: "windows/arm64" },
  { input: "linux", refused: "invalid" },
  { input: "nonsense", refused: "invalid" },
  { input: "linux/amd64/v8/x", refused: "invalid" },
  { input: "linux amd64", refused: "invalid" },
  { input: "unknown/unknown", refused: "unknown" },
];
