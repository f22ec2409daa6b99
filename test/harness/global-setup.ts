// vitest globalSetup for the integration project: one harness (registries, fixtures,
// Worker) for the whole run, handed to tests through `inject("harness")`.
import type { TestProject } from "vitest/node";
import { startHarness, type HarnessInfo } from "./harness.ts";

declare module "vitest" {
  export interface ProvidedContext {
    harness: HarnessInfo;
  }
}

export default async function setup(project: TestProject) {
  const harness = await startHarness({ worker: true, keep: process.env.DOCKERDL_KEEP_HARNESS === "1" });
  project.provide("harness", harness.info);
  return async () => {
    await harness.stop();
  };
}
