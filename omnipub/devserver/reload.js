// omnipub serve: reload on every good build; on a failed one, show its errors over the page.
(() => {
  const CSS = `
    :host { all: initial; }
    .box { position: fixed; inset: 0; z-index: 2147483647; overflow: auto; box-sizing: border-box;
      padding: 1.25rem; background: rgba(24, 6, 8, .97); color: #fbeaea;
      font: 14px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
    h1 { font: 600 16px/1.4 system-ui, sans-serif; margin: 0 0 1rem; color: #ffb4ab; }
    .close { float: right; font: inherit; color: inherit; background: transparent;
      border: 1px solid rgba(255,255,255,.4); border-radius: 4px; cursor: pointer; }
    article { margin: 0 0 1.5rem; padding: .75rem; border-left: 4px solid #ff6b5f;
      background: rgba(255, 255, 255, .04); }
    .where { color: #9fd3ff; }
    p, pre { margin: .25rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
    .code { margin: .5rem 0; padding: .5rem 0; background: rgba(0, 0, 0, .35); }
    .line { display: flex; }
    .line .n { flex: none; width: 4.5ch; padding-right: 1ch; text-align: right; color: #8a8f98;
      user-select: none; }
    .line .t { flex: 1; min-width: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
    .line.current { background: rgba(255, 107, 95, .22); }
    .line.current .n { color: #ffb4ab; }
    .hint { color: #c9f0c1; }`;
  let host = null;
  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function show(problems) {
    if (!host) {
      host = document.createElement("omnipub-overlay");
      host.id = "omnipub-overlay";
      (document.body || document.documentElement).appendChild(host);
    }
    const root = host.shadowRoot || host.attachShadow({ mode: "open" });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
    const box = element("div", "box");
    box.setAttribute("role", "alert");
    const close = element("button", "close", "×");
    close.setAttribute("aria-label", "Hide");
    close.addEventListener("click", () => { host.remove(); host = null; });
    box.append(close, element("h1", "", `Build failed (${problems.length}); still serving the last good build`));
    for (const problem of problems) {
      const entry = element("article");
      if (typeof problem === "string") { entry.append(element("pre", "", problem)); box.append(entry); continue; }
      const where = problem.path ? [problem.path, problem.line, problem.column].filter((p) => p).join(":") : "";
      const head = element("p");
      if (where) head.append(element("span", "where", where + ": "));
      head.append(`${problem.severity}[${problem.code}]: ${problem.message}`);
      entry.append(head);
      if (problem.excerpt && problem.excerpt.length) {
        const code = element("div", "code");
        for (const row of problem.excerpt) {
          const line = element("div", row.current ? "line current" : "line");
          line.append(element("span", "n", row.n), element("span", "t", row.text || " "));
          code.append(line);
        }
        entry.append(code);
      }
      if (problem.hint) entry.append(element("p", "hint", `hint: ${problem.hint}`));
      box.append(entry);
    }
    root.replaceChildren(box);
  }
  const source = new EventSource("/_omnipub/events");
  source.addEventListener("reload", () => location.reload());
  source.addEventListener("error", (event) => {
    if (event.data) show(JSON.parse(event.data));
  });
})();
