/**
 * The phone monitor's start page (/proctoring/phone/<token>/). Runs by itself; exports nothing.
 * Fills the form's hidden fields with this device's facts (fingerprint.js: the coarse
 * fingerprint, navigator.maxTouchPoints), which the server needs to accept the claim
 * (phone_facts_required otherwise), then enables the start button.
 */

import { deviceFacts, touchPoints } from "./fingerprint.js";

const form = document.getElementById("phone-start-form");
if (form) {
  form.elements.fingerprint.value = deviceFacts();
  form.elements.touch_points.value = String(touchPoints());
  const button = document.getElementById("phone-start");
  button.disabled = false;
  const note = document.getElementById("phone-start-noscript");
  if (note) note.hidden = true;
}
