// MyData kiosk: six screens, server-side session, live events over Socket.IO.
// Nothing personal is kept in the browser: no storage, inputs cleared on every screen change.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("config").textContent);
  const $ = (id) => document.getElementById(id);
  const SCREENS = ["welcome", "services", "terms", "identity", "print", "done"];
  const METHODS = ["moica", "mobile", "nhi_household", "otp"];
  const state = {
    lang: config.defaultLanguage, size: "normal", screen: "welcome", catalogue: null, category: "",
    service: null, session: null, method: "", inputs: {pin: "", nid: "", hh: "", otpid: "", otp: ""},
    push: null, card: null, result: null,
  };
  const timers = {idle: null, idleTick: null, done: null, push: null};

  // ---- text -------------------------------------------------------------------------------------
  function t(key, params) {
    let text = (config.messages[state.lang] || {})[key] || (config.messages["zh-TW"] || {})[key] || key;
    Object.entries(params || {}).forEach(([k, v]) => { text = text.split("{" + k + "}").join(String(v)); });
    return text;
  }
  function pick(text) { return text ? (text[state.lang] || text["zh-TW"]) : ""; }
  function errorText(body) { return body && body.message ? pick(body.message) : t("broker.error"); }
  function applyText() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    document.querySelectorAll("[data-lang]").forEach((el) => el.setAttribute("aria-pressed", String(el.dataset.lang === state.lang)));
    document.querySelectorAll("[data-size]").forEach((el) => el.setAttribute("aria-pressed", String(el.dataset.size === state.size)));
    const index = SCREENS.indexOf(state.screen);
    $("step").textContent = index > 0 ? t("kiosk.step", {n: index}) : "";
    render();
  }

  // ---- server -----------------------------------------------------------------------------------
  async function api(method, path, body) {
    const response = await fetch("/api" + path, {
      method, headers: {"Content-Type": "application/json"}, body: body ? JSON.stringify(body) : undefined,
      cache: "no-store", credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) { const error = new Error(data.error || "error"); error.body = data; throw error; }
    return data;
  }

  // ---- screens ----------------------------------------------------------------------------------
  function show(screen) {
    state.screen = screen;
    SCREENS.forEach((name) => { $("screen-" + name).hidden = name !== screen; });
    Object.keys(state.inputs).forEach((k) => { state.inputs[k] = ""; });
    hideError();
    applyText();
    window.scrollTo(0, 0);
    touched();  // every screen but the welcome screen starts the idle clock
  }
  function toast(text) {
    const el = $("toast"); el.textContent = text; el.hidden = false;
    setTimeout(() => { el.hidden = true; }, 4000);
  }
  function showError(body) { const el = $("identity-error"); el.textContent = errorText(body); el.hidden = false; }
  function hideError() { $("identity-error").hidden = true; }
  function busy(on) { $("identity-busy").hidden = !on; }

  function render() {
    if (state.screen === "services") renderServices();
    if (state.screen === "terms") renderTerms();
    if (state.screen === "identity") renderIdentity();
    if (state.screen === "done" || state.screen === "print") renderCode();
  }

  function datasetName(id) {
    const d = state.catalogue.datasets.find((x) => x.id === id);
    return d ? pick(d.name) : id;
  }

  function renderServices() {
    if (!state.catalogue) return;
    const chips = $("categories");
    chips.replaceChildren(...[{id: "", name: null}, ...state.catalogue.categories].map((c) => {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = c.name ? pick(c.name) : t("kiosk.services.all");
      b.setAttribute("aria-pressed", String(state.category === c.id));
      b.onclick = () => { state.category = c.id; renderServices(); };
      return b;
    }));
    const query = $("search").value.trim().toLowerCase();
    const cards = [];
    state.catalogue.agencies.forEach((agency) => {
      if (state.category && agency.category !== state.category) return;
      agency.services.forEach((service) => {
        const haystack = [agency.name["zh-TW"], agency.name.en, service.name["zh-TW"], service.name.en].join(" ").toLowerCase();
        if (query && !haystack.includes(query)) return;
        const b = document.createElement("button");
        b.type = "button"; b.className = "card service"; b.dataset.serviceId = service.id;
        const title = document.createElement("strong"); title.textContent = pick(service.name);
        const who = document.createElement("span"); who.textContent = pick(agency.name);
        const what = document.createElement("small");
        what.textContent = t("kiosk.services.releases", {datasets: service.dataset_ids.map(datasetName).join("、")});
        b.append(title, who, what);
        b.onclick = () => chooseService(agency, service);
        cards.push(b);
      });
    });
    if (!cards.length) { const p = document.createElement("p"); p.textContent = t("kiosk.services.none"); cards.push(p); }
    $("services").replaceChildren(...cards);
  }

  function renderTerms() {
    if (!state.service) return;
    const {agency, service} = state.service;
    $("terms-body").textContent = t("kiosk.terms.body", {agency: pick(agency.name), service: pick(service.name)});
    $("datasets").replaceChildren(...service.dataset_ids.map((id) => {
      const d = state.catalogue.datasets.find((x) => x.id === id);
      const table = document.createElement("table");
      const caption = table.createCaption(); caption.textContent = `${pick(d.name)} — ${pick(d.source_agency)}`;
      d.fields.forEach((f) => {
        const row = table.insertRow();
        row.insertCell().textContent = pick(f.name);
        row.insertCell().textContent = pick(f.meaning);
      });
      return table;
    }));
  }

  function renderIdentity() {
    const s = state.session || {methods: []};
    const note = $("identity-note");
    if (s.needs_another_method) {
      note.hidden = false;
      note.textContent = `${t("kiosk.identity.second")} ${t("kiosk.identity.passed", {methods: s.methods.map((m) => t("kiosk.method." + m)).join("、")})}`;
    } else { note.hidden = true; }
    $("methods").hidden = Boolean(state.method);
    $("methods").replaceChildren(...METHODS.filter((m) => !s.methods.includes(m)).map((m) => {
      const b = document.createElement("button");
      b.type = "button"; b.className = "card method"; b.dataset.method = m;
      const title = document.createElement("strong"); title.textContent = t("kiosk.method." + m);
      const hint = document.createElement("small"); hint.textContent = t("kiosk.method." + m + ".hint");
      b.append(title, hint);
      b.onclick = () => chooseMethod(m);
      return b;
    }));
    METHODS.forEach((m) => { $("pane-" + m).hidden = state.method !== m; });
    const inserted = (...types) => Boolean(state.card && state.card.kind === "card_inserted" && types.includes(state.card.card_type));
    // A certificate card the reader cannot name is offered the PIN pad too: its PKCS#11 module decides.
    $("moica-card").textContent = inserted("moica", "unknown") ? t("kiosk.card.inserted") : t("kiosk.card.insert");
    $("moica-pin").hidden = !inserted("moica", "unknown");
    $("nhi-card").textContent = inserted("nhi") ? t("kiosk.card.inserted") : t("kiosk.card.insert_nhi");
    $("pin-display").textContent = "●".repeat(state.inputs.pin.length);
    $("nid-display").textContent = state.inputs.nid;
    $("hh-display").textContent = state.inputs.hh;
    $("otpid-display").textContent = state.inputs.otpid;
    $("otp-display").textContent = state.inputs.otp;
    if (state.push) {
      $("mobile-id").hidden = true; $("mobile-wait").hidden = false;
      $("match-number").textContent = state.push.match_number;
    } else { $("mobile-id").hidden = false; $("mobile-wait").hidden = true; }
  }

  function renderCode() {
    const r = state.result;
    if (!r) return;
    const grouped = r.code.replace(/(\d{4})(?=\d)/g, "$1 ");
    $("done-code").textContent = grouped; $("fallback-code").textContent = grouped;
    $("done-valid").textContent = t("kiosk.done.valid", {time: r.expires});
    $("fallback-valid").textContent = t("kiosk.done.valid", {time: r.expires});
    if (r.error) $("print-error").textContent = errorText(r);
  }

  // ---- steps ------------------------------------------------------------------------------------
  async function start() {
    try {
      await api("POST", "/start", {language: state.lang});
      if (!state.catalogue) state.catalogue = await api("GET", "/catalogue");
      $("search").value = ""; state.category = "";
      show("services");
    } catch (e) { toast(errorText(e.body)); }
  }

  async function chooseService(agency, service) {
    try {
      await api("POST", "/service", {service_id: service.id});
      state.service = {agency, service};
      show("terms");
    } catch (e) { handleFatal(e); }
  }

  async function agree() {
    try {
      state.session = await api("POST", "/consent", {accepted: true});
      state.method = ""; state.push = null;
      show("identity");
    } catch (e) { handleFatal(e); }
  }

  async function chooseMethod(method) {
    state.method = method; hideError();
    try { state.session = await api("POST", "/method", {method}); } catch (e) { handleFatal(e); return; }
    renderIdentity();
    // Demo kiosk (simulated reader): a card method opens the demo card panel, so a first-time visitor
    // sees where the "card" comes from instead of waiting at "insert your card".
    const cardMethod = method === "moica" || method === "nhi_household";
    if (config.simulatedReader && cardMethod && !(state.card && state.card.kind === "card_inserted")) $("demo").open = true;
  }

  async function identityStep(path, body) {
    hideError(); busy(true);
    try {
      const session = await api("POST", path, body);
      afterIdentity(session);
    } catch (e) {
      if (e.body && e.body.error === "broker.session.expired") { handleFatal(e); return; }
      showError(e.body);
    } finally {
      busy(false);
      state.inputs.pin = ""; state.inputs.otp = "";
      renderIdentity();
    }
  }

  function afterIdentity(session) {
    state.session = session;
    state.method = ""; state.push = null;
    Object.keys(state.inputs).forEach((k) => { state.inputs[k] = ""; });
    if (session.verified) { printReceipt(); } else { renderIdentity(); }
  }

  async function startPush() {
    hideError();
    try {
      const started = await api("POST", "/identity/mobile", {national_id: state.inputs.nid});
      state.push = started;
      let left = started.seconds;
      $("mobile-progress").max = left;
      const tick = () => {
        $("mobile-progress").value = Math.max(0, left);
        $("mobile-countdown").textContent = t("kiosk.mobile.waiting", {seconds: Math.max(0, left)});
        left -= 1;
      };
      clearInterval(timers.push); tick(); timers.push = setInterval(tick, 1000);
      renderIdentity();
    } catch (e) { showError(e.body); }
  }

  async function sendOtp() {
    hideError();
    try {
      const sent = await api("POST", "/identity/otp/send", {national_id: state.inputs.otpid});
      $("otp-id").hidden = true; $("otp-code").hidden = false;
      $("otp-sent").textContent = t("kiosk.otp.sent", {phone: sent.sent_to});
    } catch (e) { showError(e.body); }
  }

  async function printReceipt() {
    show("print");
    $("print-busy").hidden = false; $("print-failed").hidden = true; $("print-title").hidden = false;
    try {
      const result = await api("POST", "/print");
      state.result = result;
      if (result.printed) { showDone(); return; }
      $("print-busy").hidden = true; $("print-failed").hidden = false; $("print-title").hidden = true;
      renderCode();
    } catch (e) { handleFatal(e); }
  }

  function showDone() {
    show("done");
    let left = config.doneReturnS;
    const tick = () => { $("done-countdown").textContent = t("kiosk.done.back", {seconds: left}); left -= 1; if (left < 0) finish(); };
    clearInterval(timers.done); tick(); timers.done = setInterval(tick, 1000);
  }

  async function finish() {
    clearInterval(timers.done); clearInterval(timers.push);
    try { await api("POST", "/cancel"); } catch (e) { /* already gone */ }
    reset();
  }

  function reset() {
    state.service = null; state.session = null; state.method = ""; state.push = null; state.result = null;
    $("done-code").textContent = ""; $("fallback-code").textContent = "";
    $("otp-id").hidden = false; $("otp-code").hidden = true; $("nhi-number").value = "";
    show("welcome");
  }

  function handleFatal(e) {
    toast(errorText(e.body));
    if (e.body && e.body.error === "broker.session.expired") reset();
  }

  // ---- keypads ----------------------------------------------------------------------------------
  const SUBMIT = {
    pin: () => { if (state.inputs.pin.length >= 4) identityStep("/identity/moica", {pin: state.inputs.pin}); },
    nid: () => startPush(),
    hh: () => identityStep("/identity/nhi", {household_number: state.inputs.hh, nhi_card_number: $("nhi-number").value.trim()}),
    otpid: () => sendOtp(),
    otp: () => identityStep("/identity/otp/verify", {otp: state.inputs.otp}),
  };
  function press(target, key) {
    const max = Number(document.querySelector(`.keypad[data-target="${target}"]`).dataset.max);
    if (key === "clear") state.inputs[target] = "";
    else if (key === "delete") state.inputs[target] = state.inputs[target].slice(0, -1);
    else if (key === "ok") { SUBMIT[target](); return; }
    else if (state.inputs[target].length < max) state.inputs[target] += key;
    renderIdentity();
  }
  document.querySelectorAll(".keypad").forEach((pad) => {
    const target = pad.dataset.target;
    ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "delete", "ok"].forEach((key) => {
      const b = document.createElement("button");
      b.type = "button"; b.dataset.key = key;
      if (["clear", "delete", "ok"].includes(key)) b.dataset.i18n = "kiosk.keypad." + key; else b.textContent = key;
      if (key === "ok") b.className = "primary";
      b.onclick = () => press(target, key);
      pad.appendChild(b);
    });
    const letters = pad.previousElementSibling && pad.previousElementSibling.classList.contains("letters") ? pad.previousElementSibling : null;
    if (letters) {
      "ABCDEFGHIJKLMNOPQRSTUVWXYZ".split("").forEach((letter) => {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = letter; b.dataset.key = letter;
        b.onclick = () => press(target, letter);
        letters.appendChild(b);
      });
    }
  });
  function activeKeypad() {
    if (state.screen !== "identity" || !state.method) return null;
    if (state.method === "moica") return $("moica-pin").hidden ? null : "pin";
    if (state.method === "mobile") return state.push ? null : "nid";
    if (state.method === "nhi_household") return "hh";
    if (state.method === "otp") return $("otp-code").hidden ? "otpid" : "otp";
    return null;
  }
  document.addEventListener("keydown", (event) => {
    const target = activeKeypad();
    if (!target || event.target.tagName === "INPUT") return;
    if (/^[0-9]$/.test(event.key)) press(target, event.key);
    else if (/^[a-zA-Z]$/.test(event.key) && target !== "pin" && target !== "otp") press(target, event.key.toUpperCase());
    else if (event.key === "Backspace") press(target, "delete");
    else if (event.key === "Enter") press(target, "ok");
    else return;
    event.preventDefault();
  });

  // ---- idle -------------------------------------------------------------------------------------
  function touched() {
    if (!$("idle").hidden) return;
    clearTimeout(timers.idle);
    if (state.screen === "welcome") return;
    timers.idle = setTimeout(idleWarning, config.idleWarningS * 1000);
  }
  function idleWarning() {
    let left = config.idleWipeS;
    $("idle").hidden = false;
    const tick = () => {
      $("idle-body").textContent = t("kiosk.idle.body", {seconds: left});
      left -= 1;
      if (left < 0) { clearInterval(timers.idleTick); $("idle").hidden = true; finish(); toast(t("kiosk.idle.wiped")); }
    };
    tick(); timers.idleTick = setInterval(tick, 1000);
  }
  $("idle-continue").onclick = () => { clearInterval(timers.idleTick); $("idle").hidden = true; touched(); };
  ["pointerdown", "keydown"].forEach((name) => document.addEventListener(name, touched, true));

  // ---- live events ------------------------------------------------------------------------------
  const socket = window.counterSocket;
  socket.on("card", (event) => {
    state.card = event;
    if (config.simulatedReader && event.kind === "card_inserted") $("demo").open = false;  // out of the way again
    if (state.screen === "identity") renderIdentity();
  });
  socket.on("wiped", async (event) => {
    if (state.screen === "welcome" || state.screen === "done") return;
    try { await api("GET", "/state"); return; } catch (e) { /* ours was wiped */ }
    clearInterval(timers.push); reset(); toast(t(event.reason === "card.removed" ? "kiosk.card.removed" : "kiosk.idle.wiped"));
  });
  socket.on("push", (event) => {
    clearInterval(timers.push);
    state.push = null;
    if (event.state === "approved") { afterIdentity(event.session); return; }
    state.method = "mobile"; renderIdentity();
    showError({message: event.message});
  });
  socket.on("disconnect", () => { $("offline").hidden = false; });
  socket.on("hello", () => { $("offline").hidden = true; });

  // ---- buttons ----------------------------------------------------------------------------------
  document.querySelectorAll("[data-lang]").forEach((b) => { b.onclick = () => { state.lang = b.dataset.lang; applyText(); }; });
  document.querySelectorAll("[data-size]").forEach((b) => {
    b.onclick = () => { state.size = b.dataset.size; document.documentElement.classList.toggle("large", state.size === "large"); applyText(); };
  });
  $("start").onclick = start;
  $("search").oninput = renderServices;
  $("agree").onclick = agree;
  $("terms-back").onclick = () => show("services");
  $("identity-back").onclick = async () => {
    if (state.method) {
      if (state.method === "mobile" && state.push) { try { await api("DELETE", "/identity/mobile"); } catch (e) { /* gone */ } }
      clearInterval(timers.push); state.method = ""; state.push = null; hideError();
      try { state.session = await api("POST", "/method", {method: ""}); } catch (e) { /* shown later */ }
      renderIdentity();
    } else { show("terms"); }
  };
  document.querySelectorAll(".cancel").forEach((b) => { b.onclick = finish; });
  $("print-retry").onclick = printReceipt;
  $("print-finish").onclick = finish;
  $("finish").onclick = finish;

  if (config.simulatedReader) {
    $("demo").hidden = false;
    $("demo-id").value = config.demoCitizen || "";
    const insert = (type) => fetch("/demo/card", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({type, national_id: $("demo-id").value.trim()})});
    $("demo-moica").onclick = () => insert("moica");
    $("demo-nhi").onclick = () => insert("nhi");
    $("demo-remove").onclick = () => fetch("/demo/card", {method: "DELETE"});
  }
  window.addEventListener("pageshow", (event) => { if (event.persisted) window.location.reload(); });
  applyText();
})();
