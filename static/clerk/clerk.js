// Clerk scan page: camera (server decodes, Socket.IO tells us), hand scanner, keypad — all live at once.
// The citizen's data lives only in this page's DOM until purged; it is never in a URL or storage.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("config").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const input = $("code");
  let lang = "zh-TW", busy = false, countdown = null, lastSubmit = {code: "", at: 0}, shownReceipt = null;
  const REPEAT_MS = 4000;

  function t(key, params) {
    let text = (config.messages[lang] || {})[key] || (config.messages["zh-TW"] || {})[key] || key;
    Object.entries(params || {}).forEach(([k, v]) => { text = text.split("{" + k + "}").join(String(v)); });
    return text;
  }
  function pick(text) { return text ? (text[lang] || text["zh-TW"]) : ""; }
  function applyText() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll("[data-lang]").forEach((el) => el.setAttribute("aria-pressed", String(el.dataset.lang === lang)));
    if (current) renderResult(current);
    if (shownReceipt) showReceipt(shownReceipt);
  }
  function message(text, kind) { const el = $("message"); el.textContent = text; el.className = kind; el.hidden = !text; }

  async function post(path, body) {
    const response = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body || {}), cache: "no-store", credentials: "same-origin"});
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    return {status: response.status, data};
  }

  // ---- entry ------------------------------------------------------------------------------------
  input.addEventListener("input", () => {
    const digits = CodeEntry.digitsOnly(input.value);
    input.value = CodeEntry.grouped(digits);
    if (digits.length < 16) message("", "");
  });
  // A hand-scanner burst while a citizen's data is shown means "next citizen": the shown record is
  // finished (purged, as the button would) and the new code looked up, so a busy counter never has to
  // reach for the mouse. A burst carrying the shown code again is ignored as a double scan.
  // A 2-D hand scanner reading a signed receipt types its whole QR text (MYDATA2: + base45).
  const wedge = new CodeEntry.WedgeDetector(async (burst) => {
    input.value = "";
    if (current && !busy) {
      const key = entryKey(burst);
      if (!key || key === lastSubmit.code) return;
      await purge();
    }
    submit(burst, "wedge");
  });
  document.addEventListener("keydown", (event) => {
    if (wedge.key(event)) { event.preventDefault(); return; }
    if (event.key === "Enter" && event.target === input) { event.preventDefault(); submit(input.value, "keypad"); }
  }, true);
  $("submit").onclick = () => submit(input.value, "keypad");
  $("clear").onclick = () => { input.value = ""; message("", ""); input.focus(); };

  let current = null;
  function requestId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  // One lookup, named by a request id. The station answers a repeat of the same id without asking MyData
  // again, and MyData answers a repeat of it with the same record, so when an answer is lost (no reply, or 504
  // from the station: MyData's answer was lost) the page asks again with that id ("checking…"); a definite
  // refusal (expired, used, broker unreachable) is shown as it is, never resent.
  // What names an entry: a signed receipt's whole text, else the 16 digits (null: not a code).
  function entryKey(text) {
    if (CodeEntry.isSigned(text)) return String(text).trim();
    const checked = CodeEntry.check(text);
    return checked.ok ? checked.digits : null;
  }
  // A signed receipt (MYDATA2:) is checked on this station first, with no MyData call: refused at once, or its
  // agency, service and expiry shown while the data is fetched.
  function showReceipt(receipt) {
    shownReceipt = receipt;
    const el = $("receipt");
    el.hidden = !receipt;
    el.textContent = receipt ? t("clerk.receipt.genuine", {agency: pick(receipt.agency), service: pick(receipt.service), until: receipt.until}) : "";
  }
  async function submit(text, source) {
    const signed = CodeEntry.isSigned(text);
    const checked = signed ? {ok: true, digits: String(text).trim()} : CodeEntry.check(text);
    if (!checked.ok) {
      message(t(checked.reason === "typo" ? "clerk.code.typo" : "clerk.code.incomplete"), "error");
      return;
    }
    const now = Date.now();
    if (busy) return;
    if (current && checked.digits === lastSubmit.code && now - lastSubmit.at < REPEAT_MS) {
      message(t("clerk.scan.just_looked_up"), "ok");  // a double scan of the record on screen
      return;
    }
    lastSubmit = {code: checked.digits, at: now};
    busy = true; message("", "");
    if (signed) {
      showReceipt(null);
      let verdict = null;
      try { verdict = await post("/api/check", {text: checked.digits, source}); } catch (e) { verdict = null; }
      if (!verdict || verdict.status !== 200) {
        busy = false;
        if (verdict && verdict.status === 401) { window.location.assign("/login"); return; }
        message(verdict && verdict.data.error ? pick(verdict.data.message) : t("broker.error"), "error");
        return;
      }
      showReceipt(verdict.data.receipt);
    }
    $("busy").hidden = false; $("busy-text").textContent = t("clerk.scan.busy");
    const id = requestId();
    try {
      for (let attempt = 0; attempt < 4; attempt += 1) {
        let reply = null;
        try { reply = await post("/api/redeem", {code: checked.digits, source, request_id: id}); } catch (e) { reply = null; }
        if (reply && reply.status === 200) {
          input.value = "";
          if (source !== "camera") sound();
          show(reply.data);
          if (reply.data.again) message(t("clerk.scan.just_looked_up"), "ok");
          return;
        }
        if (reply && reply.status === 401) { window.location.assign("/login"); return; }
        const unknown = !reply || reply.status === 504;  // sent, but the answer was lost on the way
        if (!unknown && reply.data && reply.data.error) {
          const offline = reply.data.error === "clerk.receipt.genuine_offline";  // genuine, but no data now
          message(pick(reply.data.message) || t("broker.error"), offline ? "warn" : "error");
          return;
        }
        $("busy-text").textContent = t("clerk.scan.checking");  // no answer: it may have happened; ask again
        await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
      }
      message(t("clerk.scan.lost"), "error");
    } finally { busy = false; $("busy").hidden = true; }
  }

  // ---- result -----------------------------------------------------------------------------------
  function show(data) {
    current = data.redemption;
    renderResult(current);
    $("scan").hidden = true; $("result").hidden = false;
    let left = data.purge_in_s;
    const tick = () => {
      $("countdown").textContent = t("clerk.result.countdown", {minutes: Math.floor(left / 60), seconds: left % 60});
      left -= 1;
      if (left < 0) purge();
    };
    clearInterval(countdown); tick(); countdown = setInterval(tick, 1000);
  }
  function renderResult(r) {
    const time = (iso) => new Date(iso).toLocaleTimeString(lang === "en" ? "en-GB" : "zh-TW");
    $("result-service").textContent = t("clerk.result.service", {service: `${pick(r.agency)} ${pick(r.service)}`, transaction: r.transaction_id});
    $("result-applicant").textContent = r.applicant ? t("clerk.result.applicant", {name: r.applicant.name, masked_id: r.applicant.masked_id}) : "";
    $("result-methods").textContent = t("clerk.result.methods", {methods: r.identity_methods.map((m) => t("clerk.method." + m)).join("、")});
    $("datasets").replaceChildren(...r.datasets.map((d) => {
      const table = document.createElement("table");
      table.className = "dataset"; table.dataset.dataset = d.id;
      const caption = table.createCaption();
      caption.textContent = pick(d.name);
      const small = document.createElement("small");
      small.textContent = t("clerk.result.source", {agency: pick(d.source_agency), time: time(d.retrieved_at)});
      caption.appendChild(small);
      const head = table.createTHead().insertRow();
      ["clerk.result.field", "clerk.result.value", "clerk.result.meaning"].forEach((k) => {
        const th = document.createElement("th"); th.textContent = t(k); head.appendChild(th);
      });
      const body = table.createTBody();
      d.fields.forEach((f) => {
        const row = body.insertRow();
        row.dataset.field = f.key;
        row.insertCell().textContent = pick(f.name);   // textContent: dataset values are untrusted text
        row.insertCell().textContent = f.value;
        row.insertCell().textContent = pick(f.meaning);
      });
      return table;
    }));
  }
  function wipe() {
    clearInterval(countdown); current = null; showReceipt(null);
    $("datasets").replaceChildren(); $("result-service").textContent = ""; $("result-applicant").textContent = ""; $("result-methods").textContent = "";
    $("result").hidden = true; $("scan").hidden = false;
  }
  async function purge() {
    wipe();
    message(t("clerk.result.purged"), "ok");
    await post("/api/purge");
    input.focus();
  }
  $("purge").onclick = purge;
  // One key finishes the record on screen and clears it, ready for the next citizen.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && current) { event.preventDefault(); purge(); }
  });

  // ---- live -------------------------------------------------------------------------------------
  const socket = window.counterSocket;
  let beep = null;
  function sound() {
    try {
      beep = beep || new (window.AudioContext || window.webkitAudioContext)();
      const osc = beep.createOscillator(); osc.frequency.value = 1320; osc.connect(beep.destination);
      osc.start(); osc.stop(beep.currentTime + 0.12);
    } catch (e) { /* no audio device */ }
  }
  socket.on("code_found", (event) => {
    if (!$("scan").hidden && !busy) { sound(); message(t("clerk.scan.found"), "ok"); submit(event.text || event.code, "camera"); }
  });
  socket.on("purged", () => { if (current) { wipe(); message(t("clerk.result.purged"), "ok"); } });
  // ---- kiosks of this counter calling for help ----------------------------------------------------------
  const calls = new Map();
  function renderCalls() {
    $("help-calls").replaceChildren(...[...calls.values()].map((call) => {
      const row = document.createElement("p");
      row.className = "helpcall"; row.dataset.call = call.id;
      const what = document.createElement("span");
      what.textContent = t("clerk.help.call", {kiosk: call.kiosk, screen: t("clerk.help.screen." + call.screen)});
      const go = document.createElement("button");
      go.type = "button"; go.className = "primary"; go.textContent = t("clerk.help.answer");
      go.onclick = () => post(`/api/help-requests/${encodeURIComponent(call.id)}/answer`);
      row.append(what, go);
      return row;
    }));
  }
  socket.on("help", (call) => { calls.set(call.id, call); renderCalls(); sound(); });
  socket.on("help_answered", (call) => {
    calls.delete(call.id); renderCalls();
    message(t("clerk.help.answered", {clerk: call.answered_by, kiosk: call.kiosk}), "ok");
  });
  fetch("/api/help-requests", {cache: "no-store", credentials: "same-origin"})
    .then((r) => (r.ok ? r.json() : {calls: []}))
    .then((body) => { body.calls.forEach((call) => calls.set(call.id, call)); renderCalls(); })
    .catch(() => {});

  socket.on("disconnect", () => { $("offline").hidden = false; });
  socket.on("hello", () => { $("offline").hidden = true; });

  // Never bring the data back from the back/forward cache or after the tab slept.
  window.addEventListener("pagehide", wipe);
  window.addEventListener("pageshow", (event) => { if (event.persisted) window.location.reload(); });
  document.querySelectorAll("[data-lang]").forEach((b) => { b.onclick = () => { lang = b.dataset.lang; applyText(); renderCalls(); }; });
  applyText();
  input.focus();
})();
