// 晶片金融卡 (chip bank card): insert the card → type the national ID (not for a second method: the first one
// proved it) → the card's PIN, 6-12 digits, never echoed. The card checks its PIN and signs the broker's challenge;
// the verification centre checks the card and that its account is the citizen's. A wrong PIN says the tries
// left, the last try is warned, a locked card leaves the other methods (identity.js).
import {$, announce, config, hideError, showError, state, t} from "./core.js";

const PIN_DIGITS = [6, 12];  // kiosk/identity.py is_bank_card_pin
const bank = {id: ""};  // the ID typed for this attempt; cleared with the identity steps

export function resetBankCard() { bank.id = ""; }

function localError(key) {
  showError({message: Object.fromEntries(Object.entries(config.messages).map(([lang, texts]) => [lang, texts[key]]))});
}

// The pane's parts: which card is in the reader, then the ID pad, then the PIN pad.
export function renderBankCard({second, inserted, cardText}) {
  const ready = inserted("bank");
  const needId = !second && !bank.id;
  $("bank-card").textContent = cardText("bank", "kiosk.bank_card.insert", "card.bank_card.wrong_card");
  $("bank-known").hidden = !second || !ready;
  $("bank-id").hidden = !ready || !needId;
  $("bank-pin").hidden = !ready || needId;
  $("bank-change-id").hidden = second;
  $("bankid-display").textContent = state.inputs.bankid;
}

export function bankCardKeypad() {
  if (!$("bank-id").hidden) return "bankid";
  return $("bank-pin").hidden ? null : "bankpin";
}

export function setUpBankCard({redraw, identityStep, checkedId, second}) {
  state.inputs.bankid = ""; state.inputs.bankpin = "";
  $("bank-change-id").onclick = () => {
    bank.id = ""; state.inputs.bankpin = ""; hideError(); redraw();
    announce(t("kiosk.national_id.prompt"));
  };
  return {
    bankid: () => {
      if (!checkedId(state.inputs.bankid)) return;
      bank.id = state.inputs.bankid; state.inputs.bankid = "";  // off the screen once used
      hideError(); redraw();
      announce(t("kiosk.bank_card.pin_prompt"));
    },
    bankpin: () => {
      const pin = state.inputs.bankpin;
      if (!/^[0-9]+$/.test(pin) || pin.length < PIN_DIGITS[0] || pin.length > PIN_DIGITS[1]) {
        state.inputs.bankpin = ""; redraw();
        localError("card.bank_card.pin_format");
        return;
      }
      identityStep("/identity/bank_card", {national_id: second() ? "" : bank.id, pin});
    },
  };
}
