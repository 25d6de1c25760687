// Consent that holds up: the receiving agency, the service's purpose, how long the clerk may see the data, the
// legal basis (個資法 §15/§16, the data subject's consent), the exact datasets and fields (a minimised service shows
// what it does not get, too), and the full, versioned terms of service and privacy policy. "I have read and agree"
// works only once the text was shown to its end — scrolled through, or read aloud by the audio guide to its last
// sentence — and the consent names the version shown and how; a newer version at the broker is shown and asked again.
import {$, announce, api, pick, registerRenderer, show, state, t, whenShown} from "./core.js";
import {waitDone, waitFor} from "./idle.js";

const READING_MAX_S = 900;  // the longest the audio guide takes to read the terms aloud
let read = null;  // how the terms were shown to their end: "scrolled" | "read_aloud"
let reading = false;  // the audio guide is reading them
let onAgreed = () => {};
let onFatal = () => {};

function legal(text) {  // sections separated by blank lines; each section's first line is its title
  return text.split(/\n\n+/).map((block) => {
    const [title, ...lines] = block.split("\n");
    const section = document.createElement("div");
    const h = document.createElement("h3"); h.textContent = title;
    section.append(h, ...lines.map((line) => Object.assign(document.createElement("p"), {textContent: line})));
    return section;
  });
}

function datasetTable(service, id) {
  const d = state.catalogue.datasets.find((x) => x.id === id);
  const keys = (service.released_fields || {})[id];
  const released = d.fields.filter((f) => !keys || keys.includes(f.key));
  const withheld = d.fields.filter((f) => keys && !keys.includes(f.key));
  const table = document.createElement("table");
  table.dataset.dataset = id;
  const caption = table.createCaption(); caption.textContent = `${pick(d.name)} — ${pick(d.source_agency)}`;
  const head = table.createTHead().insertRow();
  ["kiosk.terms.field", "kiosk.terms.meaning"].forEach((k) => {
    const th = document.createElement("th"); th.scope = "col"; th.textContent = t(k); head.appendChild(th);
  });
  const body = table.createTBody();
  released.forEach((f) => {
    const row = body.insertRow(); row.dataset.field = f.key;
    row.insertCell().textContent = pick(f.name);
    row.insertCell().textContent = pick(f.meaning);
  });
  if (!withheld.length) return [table];
  const note = document.createElement("p"); note.className = "withheld";
  note.textContent = t("kiosk.terms.not_released", {fields: withheld.map((f) => pick(f.name)).join("、")});
  return [table, note];
}

export function renderTerms() {
  if (!state.service) return;
  const {agency, service} = state.service;
  const terms = state.catalogue.terms;
  const windows = state.windows || {code: 600, view: 600};
  $("terms-body").textContent = t("kiosk.terms.body", {agency: pick(agency.name), service: pick(service.name)});
  $("consent-agency").textContent = pick(agency.name);
  $("consent-service").textContent = pick(service.name);
  $("consent-purpose").textContent = pick(service.purpose);
  $("consent-window").textContent = t("kiosk.terms.window_text",
    {code_min: Math.round(windows.code / 60), view_min: Math.round(windows.view / 60)});
  $("consent-basis").textContent = pick(terms.legal_basis);
  $("datasets").replaceChildren(...service.dataset_ids.flatMap((id) => datasetTable(service, id)));
  $("tos-title").textContent = t("kiosk.terms.tos", {version: terms.version, date: terms.effective});
  $("tos").replaceChildren(...legal(pick(terms.terms_of_service)));
  $("privacy").replaceChildren(...legal(pick(terms.privacy_policy)));
  $("terms-updated").hidden = !state.termsUpdated;
  $("terms-updated").textContent = state.termsUpdated ? t("kiosk.terms.updated", {version: state.termsUpdated}) : "";
  renderRead();
}

function renderRead() {
  $("agree").disabled = !read;
  $("terms-hint").textContent = t(read ? "kiosk.terms.hint_done" : (reading ? "kiosk.terms.hint_reading" : "kiosk.terms.hint"));
}

function shownToTheEnd(how) {
  if (read || state.screen !== "terms") return;
  read = how;
  renderRead();
  announce($("terms-hint").textContent);
}

function atEnd() {
  const box = $("terms-scroll");
  return box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
}

// A new service (or new terms): read again from the top.
export function resetTerms() {
  read = null; reading = false;
  $("terms-scroll").scrollTop = 0;
}

// The broker's terms are newer than those on screen: fetch them and show them, to be read again.
export async function newerTerms() {
  state.catalogue = await api("GET", "/catalogue");
  const agency = state.catalogue.agencies.find((a) => a.id === state.service.agency.id);
  const service = agency && agency.services.find((s) => s.id === state.service.service.id);
  if (!service) throw new Error("service gone");
  state.service = {agency, service};
  state.termsUpdated = state.catalogue.terms_version;
  resetTerms();
}

async function agree() {
  if (!read) { announce(t("kiosk.terms.unread")); return; }
  try {
    state.session = await api("POST", "/consent", {accepted: true, terms_version: state.catalogue.terms_version, shown: read});
    onAgreed();
  } catch (e) {
    if (e.body && e.body.error === "broker.consent.mismatch") {
      try { await newerTerms(); } catch (err) { onFatal(e); return; }
      show("terms");
      announce($("terms-updated").textContent);
      return;
    }
    onFatal(e);
  }
}

export function setUpTerms({agreed, fatal}) {
  onAgreed = agreed; onFatal = fatal;
  registerRenderer(["terms"], renderTerms);
  $("agree").onclick = agree;
  $("terms-scroll").addEventListener("scroll", () => { if (atEnd()) shownToTheEnd("scrolled"); }, {passive: true});
  $("terms-more").onclick = () => {
    const box = $("terms-scroll");
    box.scrollBy({top: Math.round(box.clientHeight * 0.85)});
    if (atEnd()) shownToTheEnd("scrolled");
  };
  // The audio guide read the whole text to its last sentence (audio.js): shown to its end as well.
  // Listening to the whole text takes minutes the citizen cannot shorten: the idle clock waits meanwhile.
  document.addEventListener("terms-reading", () => { reading = true; waitFor("reading", READING_MAX_S); renderRead(); });
  document.addEventListener("terms-read", () => { reading = false; waitDone("reading"); shownToTheEnd("read_aloud"); });
  document.addEventListener("terms-interrupted", () => { reading = false; waitDone("reading"); renderRead(); });
  whenShown((screen) => { if (screen === "terms" && atEnd()) shownToTheEnd("scrolled"); });  // it all fits
}
