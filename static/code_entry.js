// Code entry shared by terminal pages: the Damm check digit (same table as mydata_counter/datacode.py),
// 4-4-4-4 grouping, and telling a hand scanner's keystroke burst from a person typing.
(function (global) {
  "use strict";
  const DAMM = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3], [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6], [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7], [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
  ];
  const PREFIX = "MYDATA1:";
  function dammValid(digits) {
    if (!/^[0-9]+$/.test(digits)) return false;
    let interim = 0;
    for (const c of digits) interim = DAMM[interim][c.charCodeAt(0) - 48];
    return interim === 0;
  }
  function normalise(text) {
    // Full-width forms (０-９, －, ：, ＭＹＤＡＴＡ) count as ASCII, as in datacode.normalise_typed.
    let s = String(text).replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0)).trim();
    if (s.toUpperCase().startsWith(PREFIX)) s = s.slice(PREFIX.length);
    return s.replace(/[\s-]/g, "");
  }
  // A versioned MyData QR other than the unsigned MYDATA1: (MYDATA2: is the broker's signed receipt, checked
  // on the station); as in counter_core.signed_code.is_signed_text. Never typed: it comes whole from a scanner.
  function isSigned(text) {
    const match = /^MYDATA(\d+):/.exec(String(text));
    return Boolean(match) && match[1] !== "1";
  }
  function digitsOnly(text) { return normalise(text).replace(/\D/g, "").slice(0, 16); }
  function grouped(digits) { return digits.replace(/(\d{4})(?=\d)/g, "$1 "); }
  function check(text) {
    const digits = normalise(text);
    if (!/^\d{16}$/.test(digits)) return {ok: false, reason: "incomplete", digits: digits};
    return {ok: dammValid(digits), reason: dammValid(digits) ? "" : "typo", digits: digits};
  }

  // A keyboard-wedge scanner "types" a whole code in a few tens of milliseconds and ends with Enter;
  // people take well over 50 ms per key (16 keys under 50 ms each is >240 words a minute). A burst of >= minLength keys, each within maxGapMs of the
  // previous, ended by Enter, is a scan.
  function WedgeDetector(onScan, options) {
    const opts = Object.assign({maxGapMs: 50, minLength: 16}, options || {});
    let buffer = "", last = 0, fast = true;
    this.key = function (event) {
      const now = event.timeStamp || performance.now();
      const gap = now - last;
      last = now;
      if (event.key === "Enter") {
        const burst = buffer;
        const wasFast = fast && burst.length >= opts.minLength;
        buffer = ""; fast = true;
        if (wasFast && gap <= opts.maxGapMs * 3) { onScan(burst); return true; }
        return false;
      }
      if (event.key.length !== 1) return false;
      if (buffer && gap > opts.maxGapMs) { buffer = ""; fast = true; }
      buffer += event.key;
      return false;
    };
  }
  global.CodeEntry = {dammValid, normalise, digitsOnly, grouped, check, isSigned, WedgeDetector};
})(window);
