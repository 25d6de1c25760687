// After the identity check: where the notice goes when an agency views the citizen's data, and the records of use.
// The first time, the citizen registers a mobile number (digits: the kiosk's keypad) or an e-mail address (the
// on-screen keyboard; optional), proves it with the code sent there and may choose the main one; a returning citizen
// sees it masked and can change it with the same proof, or skip. "查詢使用紀錄" lists who saw which data and when.
import {$, announce, api, errorText, hideError, pick, registerRenderer, show, showError, state, t} from "./core.js";
import {waitDone, waitFor} from "./idle.js";
import {buildKeyboard} from "./keyboard.js";
import {buildKeypads} from "./keypad.js";

const CODE_WAIT_S = 180;  // an SMS or e-mail on its way: the citizen cannot hurry it
let step = "overview";  // overview | phone | email | code
let pending = null;  // {kind, address, to}: the contact a code was sent to (kept only until the session ends)
let onPrint = () => {};
let onFatal = () => {};

export function noticeTo() {
  const c = state.contact;
  if (!c || !c.primary) return "";
  return (c.primary === "phone" ? c.phone : c.email) || "";
}

function button(id, key, className, action) {
  const b = document.createElement("button");
  b.type = "button"; b.id = id; b.className = className; b.textContent = t(key);
  b.onclick = action;
  return b;
}

function renderContact() {
  const c = state.contact;
  if (!c) return;
  $("contact-overview").hidden = step !== "overview";
  $("contact-phone").hidden = step !== "phone";
  $("contact-email").hidden = step !== "email";
  $("contact-code").hidden = step !== "code";
  $("contact-back").hidden = step === "overview";
  const to = noticeTo();
  $("contact-lead").textContent = c.first_registration ? t("kiosk.contact.first")
    : (to ? t("kiosk.contact.notice_to", {to}) : t("kiosk.contact.none"));
  $("contact-list").replaceChildren(...["phone", "email"].filter((k) => c[k]).map((k) => {
    const li = document.createElement("li");
    const name = document.createElement("strong"); name.textContent = t("kiosk.contact." + k);
    li.append(name, c[k] + (c.primary === k ? " " + t("kiosk.contact.main") : ""));
    return li;
  }));
  const actions = [];
  if (!c.first_registration) actions.push(button("contact-continue", "kiosk.contact.continue", "primary big", () => onPrint()));
  actions.push(button("contact-add-phone", c.phone ? "kiosk.contact.change_phone" : "kiosk.contact.add_phone", "big", () => enter("phone")));
  actions.push(button("contact-add-email", c.email ? "kiosk.contact.change_email" : "kiosk.contact.add_email", "big", () => enter("email")));
  if (c.phone && c.email) {
    const other = c.primary === "phone" ? "email" : "phone";
    actions.push(button("contact-switch", "kiosk.contact.to_" + other, "big", () => choosePrimary(other)));
  }
  actions.push(button("contact-records", "kiosk.contact.records", "big", openRecords));
  if (c.first_registration) actions.push(button("contact-skip", "kiosk.contact.skip", "secondary", () => onPrint()));
  $("contact-actions").replaceChildren(...actions);
  $("contact-sent").textContent = pending ? t("kiosk.contact.code_sent", {to: pending.to}) : "";
  ["cphone", "cemail", "ccode"].forEach((k) => { $(k + "-display").textContent = state.inputs[k]; });
}

export async function showContact() {
  try { state.contact = await api("GET", "/contact"); } catch (e) { onFatal(e); return; }
  step = "overview"; pending = null;
  show("contact");
  announce($("contact-lead").textContent);
}

function enter(kind) {
  hideError();
  step = kind;
  renderContact();
  announce(t(kind === "phone" ? "kiosk.contact.phone_prompt" : "kiosk.contact.email_prompt"));
}

async function sendCode(kind, address) {
  hideError();
  try {
    const sent = await api("POST", "/contact/code", {kind, address});
    pending = {kind, address, to: sent.sent_to};
    state.inputs.cphone = ""; state.inputs.cemail = ""; state.inputs.ccode = "";
    step = "code";
    renderContact();
    waitFor("contact", CODE_WAIT_S);
    announce($("contact-sent").textContent);
  } catch (e) {
    if (e.body && e.body.error === "broker.session.expired") { onFatal(e); return; }
    showError(e.body);
  }
}

async function verify() {
  hideError();
  try {
    state.contact = await api("POST", "/contact/verify", {kind: pending.kind, code: state.inputs.ccode});
    pending = null; step = "overview";
    waitDone("contact");
    renderContact();
    $("h-contact").focus({preventScroll: true});
    announce(t("kiosk.contact.verified", {to: noticeTo()}));
  } catch (e) {
    state.inputs.ccode = "";
    renderContact();
    if (e.body && e.body.error === "broker.session.expired") { onFatal(e); return; }
    showError(e.body);
  }
}

async function choosePrimary(kind) {
  hideError();
  try {
    state.contact = await api("POST", "/contact/primary", {kind});
    renderContact();
    announce($("contact-lead").textContent);
  } catch (e) { showError(e.body); }
}

// ---- records of use: straight from the broker to the screen, gone when the citizen leaves it ------------
function when(iso) {
  const d = new Date(iso);
  const two = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

function renderRecords() {
  const list = $("records-list");
  $("records-help").textContent = state.catalogue ? t("kiosk.records.help", {line: state.catalogue.support_line}) : "";
  if (!state.records) { list.replaceChildren(); return; }
  if (!state.records.records.length) {
    list.replaceChildren(Object.assign(document.createElement("p"), {textContent: t("kiosk.records.none"), className: "note"}));
    return;
  }
  const table = document.createElement("table");
  table.createCaption().textContent = t("kiosk.records.caption", {count: state.records.records.length});
  const head = table.createTHead().insertRow();
  ["kiosk.records.when", "kiosk.records.who", "kiosk.records.what", "kiosk.records.tx"].forEach((k) => {
    const th = document.createElement("th"); th.scope = "col"; th.textContent = t(k); head.appendChild(th);
  });
  const body = table.createTBody();
  state.records.records.forEach((r) => {
    const row = body.insertRow();
    row.dataset.transaction = r.transaction_id;
    row.insertCell().textContent = when(r.accessed_at);
    row.insertCell().textContent = `${pick(r.agency)}：${pick(r.service)}`;
    row.insertCell().textContent = r.datasets.map((d) => `${pick(d.name)}（${d.fields.map(pick).join("、")}）`).join("；");
    const tx = document.createElement("code"); tx.textContent = r.transaction_id;
    row.insertCell().append(tx);
  });
  list.replaceChildren(table);
}

async function openRecords() {
  state.records = null;
  show("records");
  try {
    state.records = await api("GET", "/records");
    renderRecords();
    const count = state.records.records.length;
    announce(count ? t("kiosk.records.caption", {count}) : t("kiosk.records.none"));
  } catch (e) {
    if (e.body && e.body.error === "broker.session.expired") { onFatal(e); return; }
    $("records-list").replaceChildren(Object.assign(document.createElement("p"), {textContent: errorText(e.body), className: "error"}));
  }
}

export function resetContact() { step = "overview"; pending = null; state.contact = null; state.records = null; }

export function setUpContact({print, fatal, keyPressed}) {
  onPrint = print; onFatal = fatal;
  registerRenderer(["contact"], renderContact);
  registerRenderer(["records"], renderRecords);
  const here = (s) => state.screen === "contact" && step === s;
  buildKeypads({
    root: $("screen-contact"),
    redraw: renderContact,
    active: () => (here("phone") ? "cphone" : (here("code") ? "ccode" : null)),
    onKey: keyPressed,
    submit: {
      cphone: () => sendCode("phone", state.inputs.cphone),
      ccode: () => { if (pending && state.inputs.ccode.length === 6) verify(); },
    },
  });
  buildKeyboard({
    target: "cemail", redraw: renderContact, active: () => here("email"), onKey: keyPressed,
    submit: () => sendCode("email", state.inputs.cemail),
  });
  $("contact-resend").onclick = () => { if (pending) sendCode(pending.kind, pending.address); };
  $("contact-back").onclick = () => { hideError(); step = "overview"; waitDone("contact"); renderContact(); };
  $("records-back").onclick = () => { state.records = null; show("contact"); };
}
