/** What a client may see of a provider's error message. */
const maxLength = 300;

// Hand-rolled on purpose: a handful of patterns for the identifiers clouds put in error text; no
// library targets cloud error messages, and generic DLP scanners are far heavier than this need.
const redactions: [RegExp, string][] = [
  [/arn:aws[a-z-]*:[^\s"',]+/gi, '[arn]'],
  [/\/subscriptions\/[0-9a-f-]{36}[^\s"',]*/gi, '[resource]'],
  [/\bprojects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\b[^\s"',]*/gi, '[resource]'],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, '[key]'],
  [/\b(?:bearer|token|signature|password|secret|key)[=:]\s*\S+/gi, '[secret]'],
  [/\bhttps?:\/\/\S+/gi, '[url]'],
  [/[\w.+-]+@[\w-]+\.[\w.-]+/g, '[email]'],
  [/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, '[address]'],
  [/\b\d{12}\b/g, '[account]'],
  [/\b(?:request|correlation|activity|tracking)[ -]?id[:=]?\s*[0-9a-f-]{8,}/gi, '[request id]'],
];

/**
 * Makes a provider's error message fit to show a client: no control characters, no account ids,
 * ARNs, resource paths, keys, URLs, e-mail or IP addresses, at most 300 characters. The provider's
 * error code is kept apart (`errorProviderCode`) and never altered.
 */
export function sanitizeProviderMessage(message: string): string {
  let text = message.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  for (const [pattern, replacement] of redactions) text = text.replace(pattern, replacement);
  text = text.replace(/\s+/g, ' ').trim();
  if (text.length > maxLength) text = `${text.slice(0, maxLength - 1)}…`;
  return text === '' ? 'the provider reported an error' : text;
}
