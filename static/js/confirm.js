// The confirmation page: the phone monitor's QR code (鹰眼监控). Pairing is never a condition for
// starting: a candidate whose phone will not pair still starts and asks support.

import { ensureCsrf } from "./api.js";
import { startPhonePairing } from "./proctoring/pairing.js";

await ensureCsrf();
startPhonePairing();
