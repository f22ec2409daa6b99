// The explore view's dedicated worker. This file only wires messages to its handlers
// (services.ts).
import { serve } from "../../lib/rpc.ts";
import { services } from "./services.ts";

declare const self: DedicatedWorkerGlobalScope;

const answer = serve(services);
self.addEventListener("message", (event) => void answer(event.data, (message) => self.postMessage(message)));
