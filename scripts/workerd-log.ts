// `npm start` offline: every Docker Hub request the Worker makes fails its DNS lookup,
// and workerd (not the Worker: its answer is already a clear JSON or registry error)
// logs each as an internal error, a red "[ERROR]" line followed by a "stack:" line of
// workerd's own code addresses, which say nothing to a person. This filter turns each
// such block into one line, keeping the error reference the Worker's answer carries
// ("reference = …"), and passes every other line through unchanged.

// The escape sequences of wrangler's colours.
const ANSI = /\x1b\[[0-9;]*m/g;
const ERROR_LINE = /\[ERROR\]\s*(.*)$/;
const WORKERD_STACK = /^\s*stack: .*workerd@/;
const INTERNAL_PREFIX = /^e = \S+:\d+: failed: /;

export class WorkerdLogFilter {
  #held: string[] = [];
  #heldError: string | undefined;
  #afterCondensed = false;
  #blanks: string[] = [];

  /** One line in (without its newline); the lines to print now. */
  push(line: string): string[] {
    const plain = line.replace(ANSI, "");
    if (this.#heldError !== undefined) {
      if (plain.trim() === "") {
        this.#held.push(line);
        return [];
      }
      if (WORKERD_STACK.test(plain)) {
        const message = this.#heldError.replace(INTERNAL_PREFIX, "");
        const ref = /wdErrId = (\w+)/.exec(plain)?.[1];
        this.#reset();
        this.#afterCondensed = true;
        return [`workerd: ${message}${ref === undefined ? "" : ` (reference ${ref})`}`];
      }
      const out = this.#flush();
      return [...out, ...this.push(line)];
    }
    // Blank lines wait for the next line: those around a condensed block go with it.
    if (plain.trim() === "") {
      if (!this.#afterCondensed) this.#blanks.push(line);
      return [];
    }
    this.#afterCondensed = false;
    const blanks = this.#blanks;
    this.#blanks = [];
    const error = ERROR_LINE.exec(plain);
    if (error !== null) {
      this.#heldError = error[1].trim();
      this.#held = [...blanks, line];
      return [];
    }
    return [...blanks, line];
  }

  /** What is still held at the end of the output. */
  end(): string[] {
    const blanks = this.#blanks;
    this.#blanks = [];
    return [...this.#flush(), ...blanks];
  }

  #flush(): string[] {
    const out = this.#held;
    this.#reset();
    return out;
  }

  #reset(): void {
    this.#held = [];
    this.#heldError = undefined;
  }
}
