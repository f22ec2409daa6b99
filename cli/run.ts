// Everything past `--version`: entry.ts imports this only when there is work to do. The
// compiled CLI builds it into a file of its own (dockerdl-main.mjs), so `--version`
// never parses it.
import { main } from "./main.ts";
import { keepYoungGenerationSmall } from "./small-heap.ts";

export function run(argv: string[]): Promise<number> {
  keepYoungGenerationSmall();
  return main(argv);
}
