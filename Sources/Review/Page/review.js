// The review page: the project as cards, one shot's candidates and settings, the server's work.
// Plain JavaScript against the HTTP API of Docs/review.md; nothing is fetched from elsewhere.
"use strict";

(() => {
  const token = document.querySelector('meta[name="kinecolor-token"]').content;
  const $ = (selector, root = document) => root.querySelector(selector);

  /** Creates an element: attributes (a `class` key is the class name), then children. */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  const state = {
    project: null,
    selected: 0,            // the open shot's number, 0 when none
    candidates: { shot: 0, key: "", cells: [], loading: null },
    clip: { shot: 0, checksum: "", url: "", loading: null },
    marks: new Set(),       // shot numbers marked for "Render marked"; kept in this browser only
    marksKey: "",
  };

  function shotByNumber(n) {
    return state.project ? state.project.shots.find((s) => s.shot === n) : undefined;
  }

  // ---- Notices -------------------------------------------------------------------------------

  let noticeTimer = 0;
  function notice(text, kind = "info") {
    const box = $("#notice");
    $("#notice-text").textContent = text;
    box.className = kind;
    box.hidden = false;
    clearTimeout(noticeTimer);
    if (kind !== "error") noticeTimer = setTimeout(() => { box.hidden = true; }, 10000);
  }

  // ---- Requests --------------------------------------------------------------------------------

  /** One request; answers {status, ok, data} where data is the parsed JSON or null. */
  async function request(method, path, body, contentType = "application/json", signal) {
    const headers = {};
    if (method === "POST") {
      headers["X-Kinecolor-Token"] = token;
      headers["Content-Type"] = contentType;
    }
    const response = await fetch(path, { method, headers, body, signal, cache: "no-store" });
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    return { status: response.status, ok: response.ok, data };
  }

  function errorLine(result) {
    return (result.data && result.data.error) || `The server answered ${result.status}.`;
  }

  // Edits run one after another, each with the version the previous one left.
  let edits = Promise.resolve();

  /** Sends an edit; `make(version)` gives [path, body, contentType]. The answer is the project.
   *  Resolves to true when the edit was made. */
  function edit(make) {
    const run = async () => {
      if (!state.project) return false;
      const [path, body, contentType] = make(state.project.version);
      document.body.classList.add("busy");
      try {
        const result = await request("POST", path, body, contentType);
        if (result.ok && result.data && Array.isArray(result.data.shots)) {
          setProject(result.data);
          return true;
        } else if (result.status === 409 && result.data && result.data.stale) {
          await loadProject();
          notice("The project file changed on disk; reloaded.", "warn");
        } else {
          notice(errorLine(result), "error");
        }
      } catch (error) {
        notice(`The server cannot be reached (${error.message}).`, "error");
      } finally {
        document.body.classList.remove("busy");
      }
      return false;
    };
    edits = edits.then(run, run);
    return edits;
  }

  function editShot(n, fields) {
    return edit((version) => [`/api/shots/${n}`, JSON.stringify({ version, ...fields })]);
  }

  async function loadProject() {
    try {
      const result = await request("GET", "/api/project");
      if (result.ok && result.data) setProject(result.data);
      else notice(errorLine(result), "error");
    } catch (error) {
      notice(`The server cannot be reached (${error.message}).`, "error");
    }
  }

  // ---- Marks: shots to render on their own, remembered per film and output in this browser -----

  function loadMarks() {
    const key = `kinecolor-marks:${state.project.film}:${state.project.output}`;
    if (key !== state.marksKey) {
      state.marksKey = key;
      let saved = [];
      try { saved = JSON.parse(localStorage.getItem(key) || "[]"); } catch (_) { saved = []; }
      state.marks = new Set(Array.isArray(saved) ? saved : []);
    }
    // A shot list edited on disk may have fewer shots now.
    for (const n of [...state.marks]) if (!shotByNumber(n)) state.marks.delete(n);
  }

  function saveMarks() {
    try { localStorage.setItem(state.marksKey, JSON.stringify([...state.marks].sort((a, b) => a - b))); } catch (_) { /* private mode */ }
  }

  function toggleMark(n) {
    if (!shotByNumber(n)) return;
    if (state.marks.has(n)) state.marks.delete(n); else state.marks.add(n);
    saveMarks();
    renderCards();
    renderDetail();
    showMarkCount();
  }

  function showMarkCount() {
    const button = $('[data-action="render-marked"]');
    button.textContent = `Render marked (${state.marks.size})`;
    button.disabled = state.marks.size === 0 || document.body.dataset.render === "running";
  }

  function setProject(project) {
    state.project = project;
    loadMarks();
    const info = `${project.film} · ${project.frames} frames at ${project.fps} fps · ` +
      `${project.shots.length} shots · renders to ${project.output}`;
    $("#film-info").textContent = info;
    $('[data-action="undo"]').disabled = !project.can_undo;
    renderCards();
    if (state.selected && !shotByNumber(state.selected)) closeDetail();
    renderDetail();
    showMarkCount();
  }

  // ---- Thumbnails: at most two requests in flight, visible cards first -----------------------

  const thumbs = { cache: new Map(), queue: [], inFlight: 0, visible: new Set() };
  const MAX_THUMBNAIL_REQUESTS = 2;

  const observer = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const n = Number(entry.target.dataset.shot);
      if (entry.isIntersecting) thumbs.visible.add(n); else thumbs.visible.delete(n);
    }
  }, { root: null, rootMargin: "200px" }) : null;

  function wantThumbnail(url) {
    let entry = thumbs.cache.get(url);
    if (!entry || entry.state === "failed") {
      entry = { state: "queued", blob: "" };
      thumbs.cache.set(url, entry);
      thumbs.queue.push(url);
    }
    return entry;
  }

  function pumpThumbnails() {
    while (thumbs.inFlight < MAX_THUMBNAIL_REQUESTS && thumbs.queue.length > 0) {
      const visibleUrls = new Set();
      for (const n of thumbs.visible) {
        const shot = shotByNumber(n);
        if (shot) visibleUrls.add(shot.thumbnail);
      }
      let index = thumbs.queue.findIndex((url) => visibleUrls.has(url));
      if (index < 0) index = 0;
      const url = thumbs.queue.splice(index, 1)[0];
      const entry = thumbs.cache.get(url);
      if (!entry || entry.state !== "queued") continue;
      entry.state = "loading";
      thumbs.inFlight += 1;
      fetch(url)
        .then((response) => (response.ok ? response.blob() : Promise.reject(new Error(`HTTP ${response.status}`))))
        .then((blob) => { entry.blob = URL.createObjectURL(blob); entry.state = "done"; },
              (error) => { entry.state = "failed"; entry.error = error.message; })
        .finally(() => {
          thumbs.inFlight -= 1;
          for (const card of document.querySelectorAll("#shots [data-shot]")) {
            if (card.dataset.thumb === url) showThumbnail(card, entry);
          }
          pumpThumbnails();
        });
    }
  }

  function showThumbnail(card, entry) {
    const img = $("img.thumb", card);
    const holder = $(".thumb-holder", card);
    holder.classList.toggle("loading", entry.state === "queued" || entry.state === "loading");
    holder.classList.toggle("failed", entry.state === "failed");
    $(".thumb-note", card).textContent = entry.state === "failed" ? `thumbnail failed (${entry.error})` : "";
    if (entry.state === "done" && img.getAttribute("src") !== entry.blob) img.src = entry.blob;
    img.hidden = entry.state !== "done";
  }

  /** Forgets the pictures of settings no shot has any more (their blobs are freed). */
  function pruneThumbnails() {
    const wanted = new Set(state.project.shots.map((s) => s.thumbnail));
    thumbs.queue = thumbs.queue.filter((url) => wanted.has(url));
    for (const [url, entry] of thumbs.cache) {
      if (wanted.has(url)) continue;
      if (entry.state === "done") URL.revokeObjectURL(entry.blob);
      if (entry.state !== "loading") thumbs.cache.delete(url);
    }
  }

  // ---- Cards -----------------------------------------------------------------------------------

  function makeCard(n) {
    const card = el("article", { class: "card", "data-shot": n, tabindex: 0 },
      el("div", { class: "thumb-holder loading" },
        el("img", { class: "thumb", alt: `Shot ${n}`, hidden: true }),
        el("span", { class: "spinner", "aria-hidden": "true" }),
        el("span", { class: "thumb-note" })),
      el("div", { class: "card-meta" }));
    card.addEventListener("click", () => openShot(n));
    card.addEventListener("keydown", (event) => { if (event.key === "Enter") openShot(n); });
    if (observer) observer.observe(card);
    return card;
  }

  function fact(label, value) {
    return el("span", { class: "fact" }, el("span", { class: "label" }, label), " ", String(value));
  }

  function fillCard(card, shot) {
    const meta = $(".card-meta", card);
    meta.replaceChildren(...[
      el("div", { class: "card-head" }, el("b", {}, `#${shot.shot}`), " ",
        el("span", { class: "timecode" }, `${shot.start_timecode} – ${shot.end_timecode}`)),
      el("div", { class: "facts" },
        fact("frames", shot.frames), fact("class", shot.class), fact("seed", shot.seed),
        fact("setup", shot.setup ?? "–"),
        fact("keyframes", shot.keyframes === "all" ? "all" : `auto (${shot.keyframe_count})`),
        fact("refs", shot.references.length)),
      shot.skip ? el("span", { class: "badge" }, "skipped") : null,
      state.marks.has(shot.shot) ? el("span", { class: "badge mark" }, "marked") : null].filter(Boolean));
    card.classList.toggle("skipped", !!shot.skip);
    card.classList.toggle("marked", state.marks.has(shot.shot));
    card.classList.toggle("selected", shot.shot === state.selected);
    card.setAttribute("aria-selected", shot.shot === state.selected ? "true" : "false");
    card.dataset.thumb = shot.thumbnail;
    showThumbnail(card, wantThumbnail(shot.thumbnail));
  }

  function renderCards() {
    const container = $("#shots");
    const shots = state.project.shots;
    const cards = new Map();
    for (const card of container.querySelectorAll("[data-shot]")) cards.set(Number(card.dataset.shot), card);
    $(".empty", container)?.remove();
    for (const [n, card] of cards) {
      if (!shotByNumber(n)) { if (observer) observer.unobserve(card); card.remove(); cards.delete(n); }
    }
    let previous = null;
    for (const shot of shots) {
      let card = cards.get(shot.shot);
      if (!card) card = makeCard(shot.shot);
      const expected = previous ? previous.nextElementSibling : container.firstElementChild;
      if (card !== expected) container.insertBefore(card, expected);
      fillCard(card, shot);
      previous = card;
    }
    if (shots.length === 0) container.append(el("p", { class: "muted empty" }, "The project has no shots."));
    pruneThumbnails();
    pumpThumbnails();
  }

  // ---- The open shot ---------------------------------------------------------------------------

  function openShot(n) {
    if (!shotByNumber(n)) return;
    if (state.selected !== n) resetClip();
    state.selected = n;
    $("#detail").hidden = false;
    for (const card of document.querySelectorAll("#shots [data-shot]")) {
      const on = Number(card.dataset.shot) === n;
      card.classList.toggle("selected", on);
      card.setAttribute("aria-selected", on ? "true" : "false");
      if (on) card.scrollIntoView({ block: "nearest" });
    }
    renderDetail();
  }

  function closeDetail() {
    resetClip();
    state.selected = 0;
    $("#detail").hidden = true;
    for (const card of document.querySelectorAll("#shots .selected")) card.classList.remove("selected");
  }

  function step(delta) {
    if (!state.project || state.project.shots.length === 0) return;
    const numbers = state.project.shots.map((s) => s.shot);
    const at = numbers.indexOf(state.selected);
    const next = at < 0 ? (delta > 0 ? 0 : numbers.length - 1) : Math.min(numbers.length - 1, Math.max(0, at + delta));
    openShot(numbers[next]);
  }

  function renderDetail() {
    const shot = shotByNumber(state.selected);
    if (!shot) return;
    $("#detail-title").textContent = `Shot ${shot.shot}`;
    $("#detail-meta").textContent = `${shot.start_timecode} – ${shot.end_timecode} · frames ${shot.start_frame}–` +
      `${shot.end_frame} (${shot.frames}) · ${shot.class}, seed ${shot.seed} · setup ${shot.setup ?? "–"}`;
    $('[data-field="skip"]').checked = !!shot.skip;
    $('[data-field="mark"]').checked = state.marks.has(shot.shot);
    $('[data-field="keyframes"]').value = shot.keyframes === "all" ? "all" : "auto";
    $("#keyframe-note").textContent = shot.references.length > 0 ? "(ignored: the shot has references)"
      : shot.keyframes === "all" ? "" : `${shot.keyframe_count} keyframes`;
    const paint = $('[data-field="paint"]');
    paint.href = `/api/shots/${shot.shot}/paint`;
    paint.setAttribute("download", `shot${shot.shot}-frame${shot.frame_to_paint}.png`);
    $('[data-field="reference"]').title = `The painted frame ${shot.frame_to_paint} of shot ${shot.shot}`;
    renderReferences(shot);
    if (state.clip.shot === shot.shot && state.clip.checksum !== shot.checksum) resetClip();
    updateCandidates(shot);
  }

  function renderReferences(shot) {
    const list = $("#references");
    list.replaceChildren(...shot.references.map((reference) => {
      const name = String(reference.image).split("/").pop();
      const remove = el("button", { type: "button", "data-action": "remove-reference", title: "Remove this reference" }, "Remove");
      remove.addEventListener("click", () => removeReference(shot.shot, reference.frame));
      const picture = el("img", { class: "reference-picture", src: reference.picture, alt: `reference at frame ${reference.frame}`,
        loading: "lazy" });
      return el("li", { "data-reference-frame": reference.frame }, picture,
        el("span", {}, `frame ${reference.frame}`), el("span", { class: "muted file", title: reference.image }, name), remove);
    }));
    if (shot.references.length === 0) list.append(el("li", { class: "muted" }, "No reference: the network's colors."));
  }

  // ---- Candidates ------------------------------------------------------------------------------

  /** The settings other than class and seed that change every candidate's picture. */
  function candidateKey(shot) {
    return JSON.stringify([shot.shot, shot.references, shot.keyframes]);
  }

  function updateCandidates(shot) {
    const c = state.candidates;
    const key = candidateKey(shot);
    const inGrid = c.cells.some((cell) => cell.class === shot.class && cell.seed === shot.seed);
    const pair = `${shot.class}/${shot.seed}`;
    if (c.shot !== shot.shot || c.key !== key || (!inGrid && c.pair !== pair)) {
      loadCandidates(shot, key, pair);
    } else {
      markCurrent(shot);
    }
  }

  async function loadCandidates(shot, key, pair) {
    const c = state.candidates;
    if (c.loading) c.loading.abort();
    const controller = new AbortController();
    const sameShot = c.shot === shot.shot;
    Object.assign(c, { shot: shot.shot, key, pair, loading: controller });
    if (!sameShot) { c.cells = []; $("#candidates").replaceChildren(); }
    $("#candidates").classList.add("stale");
    $("#candidate-status").textContent = "rendering candidates…";
    try {
      const result = await request("GET", `/api/shots/${shot.shot}/candidates`, undefined, undefined, controller.signal);
      if (c.loading !== controller) return;
      if (!result.ok || !result.data) throw new Error(errorLine(result));
      c.cells = result.data.cells;
      $("#candidate-status").textContent = "";
      renderCandidates();
    } catch (error) {
      if (error.name === "AbortError" || c.loading !== controller) return;
      $("#candidate-status").textContent = `candidates failed: ${error.message}`;
    } finally {
      if (c.loading === controller) { c.loading = null; $("#candidates").classList.remove("stale"); }
    }
  }

  function renderCandidates() {
    const cells = state.candidates.cells;
    const classes = [], seeds = [], labels = new Map();
    for (const cell of cells) {
      if (!classes.includes(cell.class)) { classes.push(cell.class); labels.set(cell.class, cell.label || cell.class); }
      if (!seeds.includes(cell.seed)) seeds.push(cell.seed);
    }
    const table = el("table", { class: "grid" });
    table.append(el("thead", {}, el("tr", {}, el("th", {}, ""), ...seeds.map((s) => el("th", {}, `seed ${s}`)))));
    const body = el("tbody");
    let index = 0;
    for (const name of classes) {
      const row = el("tr", {}, el("th", { scope: "row" }, labels.get(name)));
      for (const seed of seeds) {
        const cell = cells.find((x) => x.class === name && x.seed === seed);
        if (!cell) { row.append(el("td")); continue; }
        index += 1;
        const img = el("img", { class: "candidate", src: cell.image, alt: `${labels.get(name)}, seed ${seed}`,
          "data-class": cell.class, "data-seed": cell.seed, "data-index": index, tabindex: 0,
          title: index <= 9 ? `${labels.get(name)}, seed ${seed} (key ${index})` : `${labels.get(name)}, seed ${seed}` });
        img.addEventListener("click", () => chooseCandidate(img));
        img.addEventListener("keydown", (event) => { if (event.key === "Enter") chooseCandidate(img); });
        row.append(el("td", {}, img, index <= 9 ? el("span", { class: "key" }, String(index)) : null));
      }
      body.append(row);
    }
    table.append(body);
    $("#candidates").replaceChildren(table);
    const shot = shotByNumber(state.candidates.shot);
    if (shot) markCurrent(shot);
  }

  function markCurrent(shot) {
    for (const img of document.querySelectorAll("#candidates img.candidate")) {
      const on = img.dataset.class === shot.class && Number(img.dataset.seed) === shot.seed;
      img.classList.toggle("current", on);
      img.parentElement.classList.toggle("current", on);
    }
  }

  function chooseCandidate(img) {
    const n = state.candidates.shot;
    const shot = shotByNumber(n);
    if (!shot || img.classList.contains("current")) return;
    editShot(n, { class: img.dataset.class, seed: Number(img.dataset.seed) });
  }

  // ---- References ------------------------------------------------------------------------------

  function uploadReference(input) {
    const file = input.files && input.files[0];
    const shot = shotByNumber(state.selected);
    if (!file || !shot) return;
    const n = shot.shot, frame = shot.frame_to_paint;
    notice(`Uploading ${file.name} for shot ${n}…`);
    edit((version) => [`/api/shots/${n}/references?frame=${encodeURIComponent(frame)}&version=${encodeURIComponent(version)}`,
      file, file.type || "application/octet-stream"])
      .then((done) => {
        input.value = "";
        input.blur();
        if (done) notice(`Reference added to shot ${n} at frame ${frame}.`);
      });
  }

  function removeReference(n, frame) {
    edit((version) => [`/api/shots/${n}/references/delete`, JSON.stringify({ version, frame })]);
  }

  // ---- The clip --------------------------------------------------------------------------------

  function resetClip() {
    const c = state.clip;
    if (c.loading) c.loading.abort();
    const video = $("#clip");
    video.pause();
    video.removeAttribute("src");
    video.load();
    video.hidden = true;
    if (c.url) URL.revokeObjectURL(c.url);
    Object.assign(c, { shot: 0, checksum: "", url: "", loading: null });
    $("#clip-status").textContent = "";
  }

  async function playClip() {
    const shot = shotByNumber(state.selected);
    if (!shot) return;
    const c = state.clip, video = $("#clip");
    if (c.shot === shot.shot && c.checksum === shot.checksum) {
      if (c.url) { if (video.paused) video.play().catch(() => {}); else video.pause(); }
      return;  // loaded (toggled) or still loading
    }
    resetClip();
    const controller = new AbortController();
    Object.assign(c, { shot: shot.shot, checksum: shot.checksum, loading: controller });
    $("#clip-status").textContent = "rendering clip…";
    try {
      const response = await fetch(`/api/shots/${shot.shot}/clip`, { signal: controller.signal, cache: "no-store" });
      if (!response.ok) {
        let line = `HTTP ${response.status}`;
        try { line = (await response.json()).error || line; } catch (_) { /* not JSON */ }
        throw new Error(line);
      }
      const blob = await response.blob();
      if (c.loading !== controller) return;
      c.url = URL.createObjectURL(blob);
      c.loading = null;
      $("#clip-status").textContent = "";
      video.src = c.url;
      video.hidden = false;
      video.scrollIntoView({ block: "nearest" });
      video.play().catch(() => {});  // without a recent gesture the browser may want a click
    } catch (error) {
      if (error.name === "AbortError" || c.loading !== controller) return;
      c.loading = null;
      c.checksum = "";
      $("#clip-status").textContent = `clip failed: ${error.message}`;
    }
  }

  // ---- Render and status -----------------------------------------------------------------------

  /** The whole film, or with `shots` (1-based) those shots into <output>-marked, as `render --shots`. */
  async function startRender(overwrite = false, shots = null) {
    try {
      const body = shots ? { overwrite, shots } : { overwrite };
      const result = await request("POST", "/api/render", JSON.stringify(body));
      if (result.ok) {
        notice(shots ? `Rendering ${shots.length} marked shot${shots.length === 1 ? "" : "s"}.` : "Render started.");
        pollStatus();
        return;
      }
      if (result.status === 409 && result.data && result.data.exists && !overwrite) {
        const output = state.project ? state.project.output : "The output";
        const name = shots ? output.replace(/(\.[^./]*)?$/, "-marked$1") : output;
        if (confirm(`${name} exists. Overwrite it?`)) await startRender(true, shots);
        return;
      }
      notice(errorLine(result), "error");
    } catch (error) {
      notice(`The server cannot be reached (${error.message}).`, "error");
    }
  }

  async function stopRender() {
    try {
      const result = await request("POST", "/api/render/stop", JSON.stringify({}));
      if (result.ok) notice("Render stopping; finished shots are kept.");
      else notice(errorLine(result), "error");
    } catch (error) {
      notice(`The server cannot be reached (${error.message}).`, "error");
    }
  }

  function duration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const two = (x) => String(x).padStart(2, "0");
    return h > 0 ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
  }

  function showStatus(status) {
    const jobs = status.jobs || {};
    const parts = [];
    if (jobs.running) parts.push(`rendering ${jobs.running}`);
    if (jobs.queued) parts.push(`${jobs.queued} queued`);
    $("#jobs").textContent = parts.length ? parts.join(", ") : "no background work";
    const r = status.render || { state: "idle" };
    const bar = $("#render-progress"), text = $("#render-text");
    const running = r.state === "running";
    bar.hidden = !running;
    if (running && r.total > 0) { bar.max = r.total; bar.value = r.done; } else if (running) bar.removeAttribute("value");
    $('[data-action="render"]').disabled = running;
    $('[data-action="stop-render"]').disabled = !running;
    if (running) {
      const eta = typeof r.eta_seconds === "number" ? ` · ETA ${duration(r.eta_seconds)}` : "";
      const count = r.total > 0 ? ` ${r.done ?? 0}/${r.total}` : "…";
      text.textContent = `${r.phase || "rendering"}${count}${eta}${r.message ? ` · ${r.message}` : ""}`;
    } else if (r.state === "done") text.textContent = `Render done → ${r.output || ""}` +
      (typeof r.shots === "number" ? ` (${r.shots} marked shot${r.shots === 1 ? "" : "s"})` : "");
    else if (r.state === "failed") text.textContent = `Render failed: ${r.message || ""}`;
    else if (r.state === "stopped") text.textContent = "Render stopped; finished shots are kept.";
    else text.textContent = "";
    document.body.dataset.render = r.state;
    showMarkCount();
  }

  let statusTimer = 0;
  async function pollStatus() {
    clearTimeout(statusTimer);
    try {
      const result = await request("GET", "/api/status");
      if (result.ok && result.data) showStatus(result.data);
      else $("#jobs").textContent = `status: ${errorLine(result)}`;
    } catch (_) {
      $("#jobs").textContent = "The server cannot be reached.";
    }
    clearTimeout(statusTimer);
    statusTimer = setTimeout(pollStatus, 1000);
  }

  // ---- Keys and buttons ------------------------------------------------------------------------

  function undo() {
    if (!state.project || !state.project.can_undo) return;
    edit((version) => ["/api/undo", JSON.stringify({ version })]);
  }

  function toggleSkip() {
    const shot = shotByNumber(state.selected);
    if (shot) editShot(shot.shot, { skip: !shot.skip });
  }

  function onKey(event) {
    const target = event.target;
    const tag = target && target.tagName;
    // Typing in a field is not a command; a checkbox or file button keeps its own Space and Enter.
    if (tag === "SELECT" || tag === "TEXTAREA") return;
    if (tag === "INPUT" && !["checkbox", "file"].includes(target.type)) return;
    if (tag === "INPUT" && (event.key === " " || event.key === "Enter")) return;
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "z") {
      event.preventDefault(); undo(); return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key;
    if (key === "j" || key === "ArrowRight") step(1);
    else if (key === "k" || key === "ArrowLeft") step(-1);
    else if (/^[1-9]$/.test(key) && state.selected) {
      const img = document.querySelector(`#candidates img.candidate[data-index="${key}"]`);
      if (img) chooseCandidate(img);
    } else if (key === " " || key === "p") { if (target && target.tagName === "BUTTON" && key === " ") return; playClip(); }
    else if (key === "s") toggleSkip();
    else if (key === "m" && state.selected) toggleMark(state.selected);
    else if (key === "u") undo();
    else if (key === "Escape") closeDetail();
    else return;
    event.preventDefault();
  }

  function wire() {
    const on = (selector, type, handler) => $(selector).addEventListener(type, handler);
    on('[data-action="undo"]', "click", undo);
    on('[data-action="render"]', "click", () => startRender(false));
    on('[data-action="stop-render"]', "click", stopRender);
    on('[data-action="render-marked"]', "click", () => {
      const shots = [...state.marks].sort((a, b) => a - b);
      if (shots.length) startRender(false, shots);
    });
    on('[data-field="mark"]', "change", () => { if (state.selected) toggleMark(state.selected); });
    on('[data-action="dismiss"]', "click", () => { $("#notice").hidden = true; });
    on('[data-action="close"]', "click", closeDetail);
    on('[data-action="play"]', "click", playClip);
    on('[data-field="skip"]', "change", (e) => { if (state.selected) editShot(state.selected, { skip: e.target.checked }); });
    on('[data-field="keyframes"]', "change", (e) => { if (state.selected) editShot(state.selected, { keyframes: e.target.value }); });
    on('[data-field="reference"]', "change", (e) => uploadReference(e.target));
    document.addEventListener("keydown", onKey);
  }

  wire();
  loadProject();
  pollStatus();
})();
