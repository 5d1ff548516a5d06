// How an IOC's type and a confidence read on the pages that show them (the lookup, an article).
const TYPE_LABELS: Record<string, string> = {
  ipv4: 'IPv4',
  ipv6: 'IPv6',
  domain: 'Domain',
  url: 'URL',
  md5: 'MD5',
  sha1: 'SHA-1',
  sha256: 'SHA-256',
  sha512: 'SHA-512',
  email: 'E-mail',
  cve: 'CVE',
  mitre_attack: 'ATT&CK',
};

export function typeLabel(type: string): string {
  return TYPE_LABELS[type] ?? type;
}

const CONFIDENCES = ['high', 'medium', 'low'];

/** The confidence as a coloured badge; a value the dashboard does not know gets no colour. */
export function ConfidenceBadge({ confidence }: { confidence: string }) {
  return <span class={`badge ${CONFIDENCES.includes(confidence) ? confidence : 'neutral'}`}>{confidence}</span>;
}
