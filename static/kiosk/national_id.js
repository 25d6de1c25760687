// Taiwan national ID check (the same rule as counter_core/national_id.py, checked against it in the tests):
// a typo is caught on the keypad's own step, before anything goes to the broker.
const LETTERS = {A: 10, B: 11, C: 12, D: 13, E: 14, F: 15, G: 16, H: 17, I: 34, J: 18, K: 19, L: 20, M: 21, N: 22,
  O: 35, P: 23, Q: 24, R: 25, S: 26, T: 27, U: 28, V: 29, W: 32, X: 30, Y: 31, Z: 33};
const WEIGHTS = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1];

export function validNationalId(text) {
  const id = String(text).trim().toUpperCase();
  if (!/^[A-Z][12][0-9]{8}$/.test(id)) return false;
  const value = LETTERS[id[0]];
  const digits = [Math.floor(value / 10), value % 10, ...id.slice(1).split("").map(Number)];
  return digits.reduce((sum, d, i) => sum + d * WEIGHTS[i], 0) % 10 === 0;
}
