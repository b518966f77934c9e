// Partnerkreis embed loader: the source of /embed.js. scripts/build-loader minifies it
// with terser (tools/) into embed.min.js, which is committed; tests/test_loader.py checks
// that the two match. serving/loader.py then puts the block stylesheet's path in place of
// "__PK_CSS__" and serves the result.
(() => {
  const W = window, D = document, OLD = W.Partnerkreis;
  // Loaded twice (snippet pasted several times): the first copy picks up
  // only the containers it has not seen yet.
  if (OLD?.reload) return void OLD.reload(1);

  // The block stylesheet (widget.css + block.css), relative to this script. Its URL names
  // its content, so browsers keep it for a year, and the iframe and server-side blocks
  // share it. Fetched (not linked: a strict CSP's style-src would block a <link>) on first
  // use, alongside the first block, into one constructable sheet all shadow roots adopt.
  const CSS = "__PK_CSS__";
  // Directory of this script: "https://host/" for "https://host/embed.js?v=1".
  const me = D.currentScript || [...D.querySelectorAll('script[src$="/embed.js"]')].pop();
  const BASE = me?.src && new URL(".", me.src);
  // container -> {job: promise, stop: cancels its request and its beacon}
  const runs = new WeakMap();
  // The stylesheet's promise. A failure resolves it to 0 and resets this to 0, so the
  // next load tries again.
  let sheet;

  // Every request of the loader: no cookies, no credentials (CORS is fetch's default).
  const get = (url, opts) => fetch(url, { ...opts, credentials: "omit" });
  // Trimmed string, else "" (of JSON's types only strings have trim).
  const str = (x) => (x?.trim ? x.trim() : "");
  // Absolute http(s) URL or "" (drops javascript:, data:, relative, junk).
  const web = (x) => {
    try {
      x = new URL(str(x));
      return /^https?:/.test(x.protocol) ? x.href : "";
    } catch {
      return "";
    }
  };
  // createElement + class "pk-NAME" + DOM properties (never HTML) + children.
  const el = (tag, name, props, ...kids) => {
    const e = Object.assign(D.createElement(tag), { className: "pk-" + name }, props);
    e.append(...kids);
    return e;
  };
  const shadow = (box) => box.shadowRoot || box.attachShadow({ mode: "open" });
  // A span of text; "" (which appends nothing visible) when there is no text.
  const span = (name, text) => text && el("span", name, { textContent: text });
  const mono = (name) => el("span", "mono", { ariaHidden: "true", textContent: [...name][0].toUpperCase() });
  // Resolves once the document is parsed (at once if it is).
  const parsed = new Promise((ok) =>
    D.readyState == "loading" ? D.addEventListener("DOMContentLoaded", ok) : ok(),
  );

  // One <li>, or null if the partner lacks a name or a usable URL.
  const item = (p, compact) => {
    const name = str(p.name), url = web(p.url), logo = web(p.logo);
    const meta = [str(p.category), str(p.town)].filter(Boolean).join(" \u00b7 ");
    if (!name || !url) return null;
    const body = el("span", "body", {}, span("name", name), span("meta", meta), span("desc", str(p.description)));
    const a = el("a", "link", { href: url, rel: str(p.rel) }, body);
    // The compact layout shows neither logo nor monogram; a logo that fails to load
    // falls back to the monogram.
    if (!compact)
      a.prepend(
        logo
          ? el("img", "logo", { alt: "", loading: "lazy", width: 48, height: 48, src: logo, onerror() { this.replaceWith(mono(name)); } })
          : mono(name),
      );
    // A joint offer or event (the block's slot) is a partner card with a class of its kind.
    return el("li", "item" + (/^(offer|event)$/.test(p.kind) ? " pk-" + p.kind : ""), {}, a);
  };

  // The <nav>, or null if no partner survived validation.
  const build = (d) => {
    // Unknown layout/scheme values only yield an unstyled class: the CSS
    // falls back to cards and to the automatic colour scheme.
    const layout = str(d.layout), heading = str(d.heading), badge = str(d.badge);
    const items = d.partners.map((p) => p && item(p, layout == "compact")).filter(Boolean);
    // No partners: render only when the rules ask for the directory fallback.
    if (!items.length && !d.fallback) return null;
    const nav = el(
      "nav",
      layout,
      { className: `pk pk-${layout} pk-scheme-${str(d.scheme)}`, lang: str(d.lang) || "de", ariaLabel: str(d.label) || heading },
      el("h2", "heading", { textContent: heading }, span("badge", badge)),
      items.length ? el("ul", "list", {}, ...items) : "",
    );
    const more = web(d.more?.url), text = str(d.more?.text);
    if (more && text) nav.append(el("a", "more", { href: more, textContent: text }));
    return nav;
  };

  // ---- View beacon: POST once after the block was >= 50 % visible for 1 s.
  const watch = (run, box, view) => {
    let t;
    const io = new IntersectionObserver(
      (es) => {
        clearTimeout(t);
        if (es.pop().intersectionRatio < .5) return;
        t = setTimeout(() => {
          io.disconnect();
          get(view, { method: "POST", keepalive: true }).catch(() => {});
        }, 1e3);
      },
      { threshold: .5 },
    );
    io.observe(box);
    run.stop = () => (clearTimeout(t), io.disconnect());
  };

  // Fetches and renders one container. Never rejects.
  const load = async (box) => {
    const ctl = new AbortController(), run = { stop: () => ctl.abort() };
    runs.get(box)?.stop();
    runs.set(box, run);
    // Gives up after 3 s (an abort after the answer came changes nothing).
    setTimeout(() => ctl.abort(), 3e3);
    // bad: the pasted code is broken (no token, or one the server does not know).
    // view: the block's view link, posted once its links are in.
    let state = "error", why, bad, view;
    try {
      const ds = box.dataset, token = str(ds.partnerkreis);
      if (!token) throw (bad = "no token");
      if (!BASE) throw "no embed.js URL";
      const url = new URL("w/" + encodeURIComponent(token), BASE);
      // data-show="partners,offer,event": a joint offer or event as one card (server-checked).
      const q = { lang: ds.lang, layout: ds.layout, scheme: ds.colorScheme, show: ds.show };
      for (const k in q) if ((q[k] = str(q[k]))) url.searchParams.set(k, q[k]);
      // The stylesheet is requested before the block, so both travel at once.
      const styles = (sheet ||= get(new URL(CSS, BASE), { signal: AbortSignal.timeout(3e3) })
        .then(async (r) => {
          if (!r.ok) throw 0;
          const s = new CSSStyleSheet();
          s.replaceSync(await r.text());
          return s;
        })
        .catch(() => (sheet = 0)));
      const r = await get(url, { signal: ctl.signal });
      if (!r.ok) throw (bad = r.status == 404, "HTTP " + r.status);
      const d = await r.json();
      if (!Array.isArray(d?.partners)) throw "bad answer";
      const nav = build(d), css = nav && (await styles);
      if (nav && !css) throw "no stylesheet";
      state = "empty";
      if (nav && runs.get(box) == run) {
        const root = shadow(box);
        root.adoptedStyleSheets = [css];
        root.replaceChildren(nav);
        state = "ready";
        view = web(d.view);
      }
    } catch (e) {
      why = ctl.signal.aborted ? "timeout" : e;
    }
    // Superseded by a newer load of the same container: leave it alone.
    if (runs.get(box) != run) return;
    if (state != "ready") box.shadowRoot?.replaceChildren();
    if (why) console.warn("Partnerkreis: " + why, box);
    box.setAttribute("data-partnerkreis-state", state);
    // The links are in. The block may come from a shared cache: posting its view link
    // (which counts it as served) returns this visit's one-time beacon URL.
    if (view)
      get(view, { method: "POST" })
        .then((r) => r.json())
        .then((v) => runs.get(box) == run && (v = web(v.view)) && watch(run, box, v))
        .catch(() => {});
    // Broken code: show the <noscript> link that follows the container (text until
    // now, and parsed by then), so the page offers a way to the partners, never nothing.
    if (bad) {
      await parsed;
      const a = new DOMParser().parseFromString(box.nextElementSibling?.textContent, "text/html").links[0];
      if (web(a?.href) && runs.get(box) == run) shadow(box).replaceChildren(a);
    }
  };

  // Loads every container in the document; onlyNew skips those seen before.
  // Resolves when all have rendered or failed, and never rejects.
  const scan = (onlyNew) =>
    Promise.all(
      [...D.querySelectorAll("[data-partnerkreis]")].map((box) => {
        if (onlyNew && runs.has(box)) return runs.get(box).job;
        // load() registers its run synchronously, before its first await.
        const job = load(box);
        return (runs.get(box).job = job);
      }),
    ).then(() => {});

  const P = (W.Partnerkreis = {
    version: "1.0.0",
    // reload() rescans and re-fetches every container; reload(1), used by a
    // second copy of this script, only loads containers not seen before.
    // Containers already parsed load at once, without waiting for the rest of the
    // page; those parsed later load once the document is complete.
    reload: (onlyNew) => (scan(onlyNew), (P.ready = parsed.then(() => scan(1)))),
  });
  P.reload(1);
})();
