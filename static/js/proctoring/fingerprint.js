/**
 * A coarse device fingerprint (鹰眼监控: a phone must be a phone). Plain ES module.
 *
 *   deviceFacts() -> "v1|<long>x<short>|<devicePixelRatio>|<platform>|<time zone>|<cores>"
 *
 * The candidate's computer reports it with each QR code it shows (pairing.js); the phone page
 * reports its own when it claims the link (phone_start.js). The server stores a hash of it and
 * refuses a "phone" whose facts are the computer's (not_a_phone, reason "fingerprint").
 * The facts are what a second browser on the same computer shares with the first (screen,
 * pixel ratio, platform, time zone, cores): the user agent is left out on purpose, as another
 * browser on the same computer has another one. The screen is written longest side first, so
 * turning a phone does not change it.
 */

export function deviceFacts() {
  const screen = window.screen || {};
  const width = Number(screen.width) || 0;
  const height = Number(screen.height) || 0;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    zone = "";
  }
  return [
    "v1",
    `${Math.max(width, height)}x${Math.min(width, height)}`,
    String(window.devicePixelRatio || 1),
    navigator.platform || "",
    zone,
    String(navigator.hardwareConcurrency || 0),
  ].join("|").slice(0, 300);
}

/** navigator.maxTouchPoints (0 when the browser does not say). */
export function touchPoints() {
  return Math.max(0, Math.floor(Number(navigator.maxTouchPoints) || 0));
}
