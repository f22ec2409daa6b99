// The image page's Markdown renderer gets text anyone can push to Docker Hub: it must
// render what READMEs use and nothing that runs. The parser's tree is checked here
// (serialised to HTML with everything escaped, as the DOM renderer would produce it),
// with the usual XSS attempts and pathological input.
import { describe, expect, it } from "vitest";
import { parseMarkdown, safeUrl, type MdNode } from "../../web/page/markdown/index.ts";

const ALLOWED_TAGS = new Set(["h3", "h4", "h5", "h6", "p", "ul", "ol", "li", "pre", "code", "em", "strong", "del", "a", "blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td"]);

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function html(nodes: MdNode[]): string {
  return nodes.map((n) => {
    if (typeof n === "string") return escape(n);
    const attrs = Object.entries(n.attrs ?? {}).map(([k, v]) => ` ${k}="${escape(v)}"`).join("");
    return `<${n.tag}${attrs}>${html(n.children)}</${n.tag}>`;
  }).join("");
}

function* elements(nodes: MdNode[]): Generator<Exclude<MdNode, string>> {
  for (const n of nodes) {
    if (typeof n === "string") continue;
    yield n;
    yield* elements(n.children);
  }
}

/** Every element allowed, every attribute allowed, every href an absolute http(s) URL. */
function expectSafe(nodes: MdNode[]): void {
  for (const e of elements(nodes)) {
    expect(ALLOWED_TAGS.has(e.tag), e.tag).toBe(true);
    for (const [name, value] of Object.entries(e.attrs ?? {})) {
      expect(["href", "title", "start"]).toContain(name);
      if (name === "href") expect(value).toMatch(/^https?:\/\//);
      if (name === "start") expect(value).toMatch(/^\d+$/);
    }
  }
}

describe("markdown rendering of image descriptions", () => {
  it.each([
    ["# Title", "<h3>Title</h3>"],
    ["## Sub ##", "<h3>Sub</h3>"],
    ["### Three\n\ntext", "<h4>Three</h4><p>text</p>"],
    ["Title\n=====\n\nbody", "<h3>Title</h3><p>body</p>"],
    ["#hashtag", "<p>#hashtag</p>"],
    ["one\ntwo\n\nthree", "<p>one two</p><p>three</p>"],
    ["hard  \nbreak", "<p>hard<br></br>break</p>"],
    ["**bold** and *em* and _em_ and ~~gone~~", "<p><strong>bold</strong> and <em>em</em> and <em>em</em> and <del>gone</del></p>"],
    ["*a **b** c*", "<p><em>a <strong>b</strong> c</em></p>"],
    ["snake_case_name stays", "<p>snake_case_name stays</p>"],
    ["2 * 3 * 4", "<p>2 * 3 * 4</p>"],
    ["use `docker run -it`", "<p>use <code>docker run -it</code></p>"],
    ["``a ` b``", "<p><code>a ` b</code></p>"],
    ["```sh\ndocker run <x> & y\n```", "<pre><code>docker run &lt;x&gt; &amp; y</code></pre>"],
    ["    indented\n    code", "<pre><code>indented\ncode</code></pre>"],
    ["- a\n- b\n  - c", "<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul>"],
    ["3. three\n4. four", '<ol start="3"><li>three</li><li>four</li></ol>'],
    ["> quoted\n> text", "<blockquote><p>quoted text</p></blockquote>"],
    ["---", "<hr></hr>"],
    ["| a | b |\n|---|:-:|\n| 1 | 2 |", "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>"],
    ["[Docs](https://docs.docker.com/ \"The docs\")", '<p><a href="https://docs.docker.com/" title="The docs">Docs</a></p>'],
    ["see <https://example.com/a>", '<p>see <a href="https://example.com/a">https://example.com/a</a></p>'],
    ["at https://example.com/x.", '<p>at <a href="https://example.com/x">https://example.com/x</a>.</p>'],
    ["[ref link][r]\n\n[r]: https://example.com/r", '<p><a href="https://example.com/r">ref link</a></p>'],
    ["[![Build](https://ci.example/badge.svg)](https://ci.example/)", '<p><a href="https://ci.example/">Build</a></p>'],
    ["![logo](https://example.com/logo.png)", '<p><a href="https://example.com/logo.png">logo</a></p>'],
    ["\\*not em\\*", "<p>*not em*</p>"],
  ])("renders %j", (source, expected) => {
    const tree = parseMarkdown(source);
    expectSafe(tree);
    expect(html(tree)).toBe(expected);
  });

  it.each([
    ["a script block", '<script>alert("xss")</script>', ""],
    ["a script block with blank lines", "<script>\nalert(1)\n\nalert(2)\n</script>\n\nafter", "<p>after</p>"],
    ["an HTML block", '<div onclick="alert(1)">\n<b>hi</b>\n</div>\n\nafter', "<p>after</p>"],
    ["an img with onerror", "<img src=x onerror=alert(1)>", ""],
    ["inline html in text", "text <img src=x onerror=alert(1)> more <b onmouseover=alert(1)>bold</b>", "<p>text  more bold</p>"],
    ["an iframe", '<iframe src="javascript:alert(1)"></iframe>', ""],
    ["a svg", "<svg onload=alert(1)>", ""],
    ["a comment", "<!-- <script>alert(1)</script> -->\nok", "<p>ok</p>"],
    ["a javascript: link", "[link](javascript:alert(1))", "<p>link</p>"],
    ["a JaVaScRiPt: link with spaces", "[x]( JaVaScRiPt:alert(1) )", "<p>x</p>"],
    ["a javascript: link with a tab", "[x](java\tscript:alert(1))", "<p>x</p>"],
    ["an entity-encoded javascript: link", "[x](&#106;avascript:alert(1))", "<p>x</p>"],
    ["a vbscript: link", "[x](vbscript:msgbox(1))", "<p>x</p>"],
    ["a data: link", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "<p>x</p>"],
    ["a data: image", "![x](data:image/svg+xml,<svg onload=alert(1)>)", "<p>x</p>"],
    ["a javascript: autolink", "<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>"],
    ["a javascript: reference", "[x][r]\n\n[r]: javascript:alert(1)", "<p>x</p>"],
    ["a relative link", "[x](/etc/passwd)", "<p>x</p>"],
    ["a protocol-relative link", "[x](//evil.example/)", "<p>x</p>"],
    ["a link with credentials", "[x](https://user:pass@evil.example/)", "<p>x</p>"],
    ["a quote breaking out of the title", '[x](https://ok.example/ "a\\" onmouseover=\\"alert(1)")', null],
    ["markup in a code span", "`<script>alert(1)</script>`", "<p><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></p>"],
    ["markup in a link label", "[<img src=x onerror=alert(1)>click](https://ok.example/)", '<p><a href="https://ok.example/">click</a></p>'],
  ])("drops %s", (_name, source, expected) => {
    const tree = parseMarkdown(source);
    expectSafe(tree);
    const out = html(tree);
    if (expected !== null) expect(out).toBe(expected);
    // Whatever survives is text: no live tag, no handler attribute, no script URL.
    expect(out).not.toMatch(/<(script|img|iframe|svg|div|b)\b/i);
    expect(out).not.toMatch(/\son\w+="/i);
    expect(out).not.toMatch(/href="(?!https?:)/i);
  });

  it("keeps only absolute http(s) URLs", () => {
    expect(safeUrl("https://example.com/a b")).toBe("https://example.com/a%20b");
    expect(safeUrl("HTTP://Example.com")).toBe("http://example.com/");
    for (const bad of ["javascript:alert(1)", " javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "ftp://x", "/relative", "relative", "//host/x", ""]) {
      expect(safeUrl(bad), bad).toBeNull();
    }
  });

  it("renders pathological input safely, all of it within 3 s", () => {
    const started = performance.now();
    for (const source of [
      "*a ".repeat(20_000),
      "[".repeat(50_000),
      "<".repeat(50_000),
      "`".repeat(30_000) + "x",
      "# " + " #".repeat(30_000) + "x",
      "[a]: x" + " ".repeat(30_000) + "y",
      "|a|\n|" + " -".repeat(20_000) + " x",
      "> ".repeat(5_000) + "deep",
      "- ".repeat(5_000) + "deep",
      "_a ".repeat(20_000) + "**b ".repeat(10_000),
    ]) {
      expectSafe(parseMarkdown(source));
    }
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it("renders a Docker Hub style README: headings, links, inline code and code blocks", () => {
    const tree = parseMarkdown([
      "# Quick reference",
      "",
      "-\t**Maintained by**:  ",
      "\t[the Docker Community](https://github.com/docker-library/docker)",
      "",
      "# Supported tags and respective `Dockerfile` links",
      "",
      "-\t[`24.04`, `noble`, `latest`](https://git.launchpad.net/cloud-images/+oci/ubuntu-base/tree/Dockerfile?h=noble-amd64)",
      "",
      "![logo](https://raw.githubusercontent.com/docker-library/docs/master/ubuntu/logo.png)",
      "",
      "```console",
      "$ docker run -it ubuntu",
      "```",
    ].join("\n"));
    expectSafe(tree);
    const out = html(tree);
    expect(out).toContain("<h3>Quick reference</h3>");
    expect(out).toContain('<a href="https://github.com/docker-library/docker">the Docker Community</a>');
    expect(out).toContain("<code>24.04</code>, <code>noble</code>");
    expect(out).toContain("<pre><code>$ docker run -it ubuntu</code></pre>");
  });
});
