// The bot's states and failure reasons (their names and words come from state/vocabulary.py through the
// generated vocabulary.js), and how Zoom's refusals map to reasons.
// No retry loop lives in the page: a failure is reported with its reason, and the farm decides.

import { AVATAR_RELEASE, AVATAR_WANT, BOT_STATES, EVENT_KINDS, REASON_WORDS } from "./vocabulary.js";

export const State = Object.freeze(Object.fromEntries(BOT_STATES.map((name) => [name, name])));
export const EventKind = EVENT_KINDS;
export const AvatarWant = Object.freeze(Object.fromEntries(AVATAR_WANT.map((name) => [name, name])));
export const AvatarRelease = Object.freeze(Object.fromEntries(AVATAR_RELEASE.map((name) => [name, name])));

export const TERMINAL = new Set([State.ended, State.failed]);

// Zoom `connection-change` Fail codes (join refusals) -> reason.
const FAIL_CODES = new Map([
  [-3000, "zoom_unreachable"],
  [3712, "bad_signature"],
  [3704, "bad_signature"],
  [3705, "bad_signature"],
  [3708, "bad_signature"],
  [3706, "meeting_not_found"],
  [3610, "meeting_not_found"],
  [3001, "meeting_not_found"],
  [3004, "bad_passcode"],
  [3623, "zak_invalid"],
  [3008, "meeting_not_started"],
  [4011, "cross_account_not_allowed"],
  [4012, "anonymous_join_refused"],
  [4013, "obf_required"],
  [4014, "obf_invalid"],
  [4015, "obf_wrong_meeting"],
  [4017, "authorizer_absent"],
  [4018, "credentials_conflict"],
  [4019, "authorizer_left"],
  [4004, "meeting_ended"],
  [4005, "meeting_full"],
  [4006, "meeting_locked"],
  [10000, "sdk_outdated"],
  [3634, "zoom_recaptcha"],
  [3100, "sign_in_required"],
  [3082, "sign_in_required"],
  [3009, "removed"],
  [3710, "app_blocked"],
  [3713, "app_blocked"],
  [4007, "information_barrier"],
  [4008, "participant_exists"],
]);

// The same refusals recognised by their words, for codes this table does not know.
/** @type {Array<[RegExp, string]>} */
const FAIL_WORDS = [
  [/sdk version is no longer supported/i, "sdk_outdated"],
  [/recaptcha/i, "zoom_recaptcha"],
  [/bot|automated|rtms/i, "blocked_as_bot"],
  [/information barrier/i, "information_barrier"],
  [/participant exist/i, "participant_exists"],
  [/require login|login required|sign in/i, "sign_in_required"],
  [/be removed|been removed/i, "removed"],
  [/api key is deactivated|no permission/i, "app_blocked"],
  [/appkey|signature|jwt|sdkkey/i, "bad_signature"],
  [/passcode|password/i, "bad_passcode"],
  [/no obftoken/i, "obf_required"],
  [/obftoken does not match/i, "obf_wrong_meeting"],
  [/obftoken/i, "obf_invalid"],
  [/authorized user not in meeting|owner is not in the meeting/i, "authorizer_absent"],
  [/cross account|external zoom account|published on zoom marketplace/i, "cross_account_not_allowed"],
  [/anonymous/i, "anonymous_join_refused"],
  [/not (been )?started|has not started/i, "meeting_not_started"],
  [/does not exist|not exist|meeting number is (wrong|invalid)|invalid meeting/i, "meeting_not_found"],
  [/duplicat/i, "duplicated_session"],
];

// Zoom `connection-change` Closed reasons -> reason.
const CLOSED_REASONS = new Map([
  ["kicked by host", "kicked"],
  ["ended by host", "meeting_ended"],
  ["free meeting ended", "meeting_ended"],
  ["RSGW ended", "meeting_ended"],
  ["duplicated session", "duplicated_session"],
  ["bot user kicked due to master leaving", "authorizer_left"],
  ["user request", "left"],
  ["archive failed", "archive_failed"],
]);

export function failReason({ errorCode, reason }) {
  const text = String(reason ?? "");
  // Zoom's bot refusal ships without a code of its own (it comes with the generic 200), so words go first.
  if (/detected you may be a bot|automated bots/i.test(text)) return "blocked_as_bot";
  const byCode = FAIL_CODES.get(Number(errorCode));
  if (byCode) return byCode;
  for (const [pattern, code] of FAIL_WORDS) if (pattern.test(text)) return code;
  return "meeting_error";
}

export function closedReason(reason) {
  const text = String(reason ?? "");
  if (CLOSED_REASONS.has(text)) return CLOSED_REASONS.get(text);
  if (text.includes("4019")) return "authorizer_left";
  return "meeting_closed";
}

const AVATAR_REASONS = new Set(["avatar_unavailable"]);

export function reasonText(reason, vendorWords) {
  const base = REASON_WORDS[reason] ?? "The bot stopped.";
  if (!vendorWords) return base;
  const source = AVATAR_REASONS.has(reason) ? "LiveAvatar" : reason === "page_error" ? "page" : "Zoom";
  return `${base} (${source}: ${vendorWords})`;
}
