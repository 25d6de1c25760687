// MyData kiosk: a server-side session, live events over Socket.IO, and the screens in order: welcome → (take a
// card left in the reader out) → service → terms → identity → contact for notices (and records of use) → print →
// done → take your card.
// Nothing personal is kept in the browser: no storage, inputs cleared on every screen change.
import {
  $, announce, api, applyText, config, errorText, list, pick, registerRenderer, setScale, show, sleep, state, t, timers, toast,
} from "./core.js";
import {setUpAudio, speakKey} from "./audio.js";
import {setUpHelp} from "./help.js";
import {startIdleClock, waitDone, waitFor} from "./idle.js";
import {noticeTo, resetContact, setUpContact, showContact} from "./contact.js";
import {pushAnswered, qrAnswered, renderIdentity, resetIdentity, setUpIdentity} from "./identity.js";
import {newerTerms, resetTerms, setUpTerms} from "./terms.js";

const cardIn = () => Boolean(state.card && state.card.kind === "card_inserted");

// ---- services and terms -------------------------------------------------------------------------
function datasetName(id) {
  const d = state.catalogue.datasets.find((x) => x.id === id);
  return d ? pick(d.name) : id;
}

function serviceCard(agency, service) {
  const b = document.createElement("button");
  b.type = "button"; b.className = "card service"; b.dataset.serviceId = service.id;
  const title = document.createElement("strong"); title.textContent = pick(service.name);
  const who = document.createElement("span"); who.textContent = pick(agency.name);
  const what = document.createElement("small");
  what.textContent = t("kiosk.services.releases", {datasets: list(service.dataset_ids.map(datasetName))});
  b.append(title, who, what);
  if (service.illustrative) {
    const tag = document.createElement("span"); tag.className = "tag"; tag.textContent = t("kiosk.services.illustrative");
    b.append(tag);
  }
  b.onclick = () => chooseService(agency, service);
  return b;
}

// No search box (the kiosk has no keyboard): this counter's own agencies first, then categories to narrow.
function renderServices() {
  if (!state.catalogue) return;
  const home = config.homeAgencies || [];
  $("categories").replaceChildren(...[{id: "", name: null}, ...state.catalogue.categories].map((c) => {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = c.name ? pick(c.name) : t("kiosk.services.all");
    b.setAttribute("aria-pressed", String(state.category === c.id));
    b.onclick = () => { state.category = c.id; renderServices(); };
    return b;
  }));
  const groups = [];
  const here = state.catalogue.agencies.filter((a) => home.includes(a.id));
  const elsewhere = config.onlyHomeAgencies ? [] : state.catalogue.agencies.filter((a) => !home.includes(a.id));
  [[here, "kiosk.services.here"], [elsewhere, here.length ? "kiosk.services.others" : ""]].forEach(([agencies, title]) => {
    const cards = [];
    agencies.forEach((agency) => {
      if (state.category && agency.category !== state.category) return;
      agency.services.forEach((service) => cards.push(serviceCard(agency, service)));
    });
    if (!cards.length) return;
    if (title) { const h = document.createElement("h2"); h.textContent = t(title); groups.push(h); }
    const grid = document.createElement("div"); grid.className = "cards"; grid.append(...cards);
    groups.push(grid);
  });
  if (!groups.length) { const p = document.createElement("p"); p.textContent = t("kiosk.services.none"); groups.push(p); }
  $("services").replaceChildren(...groups);
}

function renderCode() {
  const r = state.result;
  if (!r) return;
  const grouped = (r.code || "").replace(/(\d{4})(?=\d)/g, "$1 ");
  $("done-code").textContent = grouped; $("fallback-code").textContent = grouped;
  $("done-valid").textContent = t("kiosk.done.valid", {time: r.expires});
  const to = noticeTo();
  $("done-notice").textContent = to ? t("kiosk.done.notice", {to}) : t("kiosk.done.no_notice");
  $("fallback-valid").textContent = t("kiosk.done.valid", {time: r.expires});
  if (r.error) $("print-error").textContent = errorText(r);
}

// ---- the card left in the reader ------------------------------------------------------------------
let afterCardOut = null;
function askForCard(next, why) {
  afterCardOut = next;
  $("takecard-body").textContent = t(why);
  show("takecard");
  chime();
  speakKey(why);
}
function cardTaken() {
  if (state.screen !== "takecard" || cardIn()) return;
  const next = afterCardOut; afterCardOut = null;
  if (next) next();
}
let audioContext = null;
function chime() {
  try {
    audioContext = audioContext || new (window.AudioContext || window.webkitAudioContext)();
    [880, 660].forEach((frequency, i) => {
      const osc = audioContext.createOscillator(); osc.frequency.value = frequency; osc.connect(audioContext.destination);
      osc.start(audioContext.currentTime + i * 0.25); osc.stop(audioContext.currentTime + i * 0.25 + 0.2);
    });
  } catch (e) { /* no audio device */ }
}

// ---- steps --------------------------------------------------------------------------------------
async function start() {
  try {
    const started = await api("POST", "/start", {language: state.lang});
    window.counterSocket.emit("join", {token: started.socket_token});  // this session's events from now on
    state.card = started.card;  // what the reader holds now (card events before the session did not reach us)
    state.readerProblem = started.reader_problem || "";  // pcscd down or no reader: the card methods are paused
    if (!state.catalogue) state.catalogue = await api("GET", "/catalogue");
    state.category = "";
    if (cardIn()) { askForCard(() => show("services"), "kiosk.takecard.before"); return; }
    show("services");
  } catch (e) { toast(errorText(e.body)); }
}

async function chooseService(agency, service) {
  try {
    const chosen = await api("POST", "/service", {service_id: service.id});
    state.service = {agency, service};
    state.windows = {code: chosen.code_ttl_s, view: chosen.view_window_s};
    state.termsUpdated = "";
    resetTerms();
    if (chosen.terms_version !== state.catalogue.terms_version) await newerTerms();  // shown the version in force
    show("terms");
  } catch (e) { handleFatal(e); }
}

function requestId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function printFailed(result) {
  state.result = result;
  $("print-busy").hidden = true; $("print-checking").hidden = true;
  $("print-failed").hidden = false; $("print-title").hidden = true;
  renderCode();
  announce($("print-error").textContent + " " + t("kiosk.print.failed"));
}

// One print attempt, named by a request id: when its answer is lost the page asks again with the same id,
// which the kiosk answers without printing twice (and the code is never lost: it is shown either way).
async function printReceipt() {
  show("print");
  $("print-busy").hidden = false; $("print-failed").hidden = true; $("print-title").hidden = false;
  $("print-checking").hidden = true; $("print-error").textContent = "";
  waitFor("print", 60);
  const id = requestId();
  try {
    for (let attempt = 0; attempt < 6; attempt += 1) {
      try {
        const result = await api("POST", "/print", {request_id: id});
        state.result = result;
        if (result.printed) { showDone(); return; }
        printFailed(result);
        return;
      } catch (e) {
        if (e.body && e.body.error === "broker.session.expired") { handleFatal(e); return; }
        if (e.body && e.body.error) { printFailed({code: "", expires: "", ...e.body}); return; }
        $("print-checking").hidden = false;  // no answer: it may have printed; ask again, never print twice
        await sleep(800 * (attempt + 1));
      }
    }
    let known = {code: "", expires: ""};
    try { known = await api("GET", "/receipt"); } catch (e) { /* the code is not known yet */ }
    const lost = Object.fromEntries(Object.entries(config.messages).map(([lang, texts]) => [lang, texts["kiosk.print.lost"]]));
    printFailed({...known, error: "kiosk.print.lost", message: lost});
  } finally { waitDone("print"); }
}

function showDone() {
  show("done");
  announce(`${t("kiosk.done.title")} ${t("kiosk.done.valid", {time: state.result.expires})} ${$("done-notice").textContent}`);
  let left = config.doneReturnS;
  const tick = () => { $("done-countdown").textContent = t("kiosk.done.back", {seconds: left}); left -= 1; if (left < 0) finish(""); };
  clearInterval(timers.done); tick(); timers.done = setInterval(tick, 1000);
}

// The citizen is done, gave up or timed out: wipe, then a card still in the reader is asked out.
async function finish(reason) {
  clearInterval(timers.done); clearInterval(timers.push); waitDone();
  try { await api("POST", "/cancel"); } catch (e) { /* already gone */ }
  reset(reason);
}

function reset(reason) {
  state.service = null; state.session = null; state.method = ""; state.push = null; state.result = null;
  $("done-code").textContent = ""; $("fallback-code").textContent = "";
  resetIdentity();
  resetContact();
  state.termsUpdated = "";
  setScale("1");  // the next citizen starts with the normal text size
  if (cardIn()) { askForCard(() => show("welcome"), "kiosk.takecard.after"); }
  else show("welcome");
  if (reason) toast(t(reason));
}

function handleFatal(e) {
  toast(errorText(e.body));
  if (e.body && e.body.error === "broker.session.expired") reset("");
}

// ---- set up -------------------------------------------------------------------------------------
registerRenderer(["services"], renderServices);
registerRenderer(["print", "done"], renderCode);
const audio = setUpAudio();
setUpTerms({agreed: () => { state.method = ""; state.push = null; show("identity"); }, fatal: handleFatal});
setUpIdentity({verified: showContact, fatal: handleFatal, keyPressed: audio.keyPressed});
setUpContact({print: printReceipt, fatal: handleFatal, keyPressed: audio.keyPressed});
startIdleClock(finish);
setUpHelp();

const socket = window.counterSocket;
socket.on("card", (event) => {
  if ("reader_problem" in event) state.readerProblem = event.reader_problem;  // a reader came or went
  if (event.kind === "reader_added" || event.kind === "reader_removed") {
    if (state.screen === "identity") renderIdentity();
    return;
  }
  state.card = event;
  if (config.simulatedReader && event.kind === "card_inserted") $("demo").open = false;  // out of the way again
  if (state.screen === "identity") renderIdentity();
  if (event.kind === "card_removed") cardTaken();
});
socket.on("wiped", async (event) => {
  if (["welcome", "done", "takecard"].includes(state.screen)) return;
  try { await api("GET", "/state"); return; } catch (e) { /* ours was wiped */ }
  clearInterval(timers.push); reset(event.reason === "card.removed" ? "kiosk.card.removed" : "kiosk.idle.wiped");
});
socket.on("push", pushAnswered);
socket.on("qr", qrAnswered);
socket.on("disconnect", () => { $("offline").hidden = false; });
socket.on("hello", () => { $("offline").hidden = true; });

document.querySelectorAll("[data-lang]").forEach((b) => { b.onclick = () => { state.lang = b.dataset.lang; applyText(); }; });
document.querySelectorAll("[data-size]").forEach((b) => { b.onclick = () => setScale(b.dataset.size); });
$("start").onclick = start;
$("terms-back").onclick = () => show("services");
document.querySelectorAll(".cancel").forEach((b) => { b.onclick = () => finish(""); });
$("print-retry").onclick = printReceipt;
$("print-finish").onclick = () => finish("");
$("finish").onclick = () => finish("");

if (config.simulatedReader) {
  $("demo").hidden = false;
  $("demo-id").value = config.demoCitizen || "";
  const insert = (type) => fetch("/demo/card", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({type, national_id: $("demo-id").value.trim()})});
  $("demo-moica").onclick = () => insert("moica");
  $("demo-nhi").onclick = () => insert("nhi");
  $("demo-bank").onclick = () => insert("bank");
  $("demo-remove").onclick = () => fetch("/demo/card", {method: "DELETE"});
  $("demo-unplug").onclick = () => {  // the reader's cable out, or back in
    const unplugged = $("demo-unplug").getAttribute("aria-pressed") !== "true";
    $("demo-unplug").setAttribute("aria-pressed", String(unplugged));
    fetch("/demo/reader", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({plugged: !unplugged})});
  };
}
window.addEventListener("pageshow", (event) => { if (event.persisted) window.location.reload(); });
applyText();
$("h-welcome").focus({preventScroll: true});
