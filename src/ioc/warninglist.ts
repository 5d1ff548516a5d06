// Warning lists: values that are benign or reserved, so that an extractor or a feed never
// gives them high confidence (spec: user needs #9, idea 4). Pure: no I/O.
//
// Matching is exact, CIDR or domain-suffix, never substring: MISP/misp-warninglists #275 shows
// what a substring rule does (an entry matched every value containing "77"). A domain entry
// matches the domain itself and, when it says so, its subdomains, label by label:
// `mail.google.com` is google.com, `evil-google.com` and `google.com.evil.net` are not.
import ipaddr from 'ipaddr.js';
import type { IocType } from './types.js';

// ---------------------------------------------------------------------------------------------
// IP addresses

interface NetworkEntry {
  cidr: string;
  why: string;
}

/** Special-purpose IPv4 ranges (IANA special-purpose registry, RFC 6890 and the RFCs named). */
const IPV4_NETWORKS: readonly NetworkEntry[] = [
  // "This network": never a destination on the internet.
  { cidr: '0.0.0.0/8', why: '"this network" (RFC 1122), not routable' },
  // Private space: appears in reports as victims' internal hosts, never as attacker infrastructure we can block.
  { cidr: '10.0.0.0/8', why: 'private address (RFC 1918)' },
  { cidr: '172.16.0.0/12', why: 'private address (RFC 1918)' },
  { cidr: '192.168.0.0/16', why: 'private address (RFC 1918)' },
  // Shared address space behind carrier-grade NAT.
  { cidr: '100.64.0.0/10', why: 'carrier-grade NAT shared address (RFC 6598)' },
  { cidr: '127.0.0.0/8', why: 'loopback address (RFC 1122)' },
  { cidr: '169.254.0.0/16', why: 'link-local address (RFC 3927)' },
  // Protocol assignments (DS-Lite, NAT64 discovery…), not hosts.
  { cidr: '192.0.0.0/24', why: 'IETF protocol assignment (RFC 6890)' },
  // Documentation ranges: what authors use in examples.
  { cidr: '192.0.2.0/24', why: 'documentation address TEST-NET-1 (RFC 5737)' },
  { cidr: '198.51.100.0/24', why: 'documentation address TEST-NET-2 (RFC 5737)' },
  { cidr: '203.0.113.0/24', why: 'documentation address TEST-NET-3 (RFC 5737)' },
  { cidr: '198.18.0.0/15', why: 'benchmarking address (RFC 2544)' },
  { cidr: '224.0.0.0/4', why: 'multicast address (RFC 5771)' },
  // 255.255.255.255 lies inside 240/4; listed first so that it gets its own reason.
  { cidr: '255.255.255.255/32', why: 'limited broadcast address (RFC 919)' },
  { cidr: '240.0.0.0/4', why: 'reserved for future use (RFC 1112)' },
];

/** Special-purpose IPv6 ranges. */
const IPV6_NETWORKS: readonly NetworkEntry[] = [
  { cidr: '::/128', why: 'unspecified address (RFC 4291)' },
  { cidr: '::1/128', why: 'loopback address (RFC 4291)' },
  { cidr: '2001:db8::/32', why: 'documentation address (RFC 3849)' },
  { cidr: 'fc00::/7', why: 'unique local address (RFC 4193)' },
  { cidr: 'fe80::/10', why: 'link-local address (RFC 4291)' },
  { cidr: 'fec0::/10', why: 'deprecated site-local address (RFC 3879)' },
  { cidr: 'ff00::/8', why: 'multicast address (RFC 4291)' },
  { cidr: '100::/64', why: 'discard-only address (RFC 6666)' },
];

/**
 * Public DNS resolvers: reports list them because malware checks connectivity against them or
 * because a sandbox saw the lookups; blocking them breaks name resolution. Exact addresses only.
 */
const PUBLIC_RESOLVERS: Readonly<Record<string, string>> = {
  '8.8.8.8': 'Google Public DNS',
  '8.8.4.4': 'Google Public DNS',
  '2001:4860:4860::8888': 'Google Public DNS',
  '2001:4860:4860::8844': 'Google Public DNS',
  '1.1.1.1': 'Cloudflare DNS',
  '1.0.0.1': 'Cloudflare DNS',
  '2606:4700:4700::1111': 'Cloudflare DNS',
  '2606:4700:4700::1001': 'Cloudflare DNS',
  '9.9.9.9': 'Quad9',
  '149.112.112.112': 'Quad9',
  '2620:fe::fe': 'Quad9',
  '2620:fe::9': 'Quad9',
  '208.67.222.222': 'Cisco OpenDNS',
  '208.67.220.220': 'Cisco OpenDNS',
  '94.140.14.14': 'AdGuard DNS',
  '94.140.15.15': 'AdGuard DNS',
};

/** Shorter prefixes than these are policy (`0.0.0.0/0`, `::/0`), not indicators: wider than any one owner's block. */
const MIN_IPV4_PREFIX = 8;
const MIN_IPV6_PREFIX = 16;

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** IPv4 ranges as 32-bit integers: the check runs for every IPv4 an article holds, so it does no parsing of its own. */
const PARSED_IPV4 = IPV4_NETWORKS.map((entry) => {
  const [base = '', bits = '32'] = entry.cidr.split('/');
  const prefix = Number(bits);
  return { base: ipv4ToInt(base) as number, prefix, why: entry.why };
});
const PARSED_IPV6 = IPV6_NETWORKS.map((entry) => ({ network: ipaddr.IPv6.parseCIDR(entry.cidr), why: entry.why }));

function ipv4ToInt(text: string): number | undefined {
  const match = DOTTED_QUAD.exec(text);
  if (match === null) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i]);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** The top `prefix` bits of a 32-bit address. */
function networkOf(address: number, prefix: number): number {
  return prefix === 0 ? 0 : Math.floor(address / 2 ** (32 - prefix));
}

function ipv4Warning(address: number, prefix: number): string | undefined {
  // A network this wide (0.0.0.0/0 in a firewall example) describes policy, not a host.
  if (prefix < MIN_IPV4_PREFIX) return `network too broad to be an indicator (/${prefix})`;
  if (prefix === 32) {
    const dotted = `${Math.floor(address / 16777216)}.${Math.floor(address / 65536) % 256}.${Math.floor(address / 256) % 256}.${address % 256}`;
    const resolver = PUBLIC_RESOLVERS[dotted];
    if (resolver !== undefined) return `public DNS resolver (${resolver})`;
  }
  // A network counts only when it is wholly inside the listed range.
  for (const range of PARSED_IPV4) {
    if (prefix >= range.prefix && networkOf(address, range.prefix) === networkOf(range.base, range.prefix)) return range.why;
  }
  return undefined;
}

/** An address or a CIDR network (`10.1.0.0/16`): the network is benign when it lies inside a listed range. */
function networkWarning(text: string): string | undefined {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const v4 = ipv4ToInt(addressText);
  if (v4 !== undefined) return ipv4Warning(v4, prefixText === undefined ? 32 : Math.min(32, Number(prefixText)));
  if (!ipaddr.IPv6.isValid(addressText)) return undefined;
  const address = ipaddr.IPv6.parse(addressText);
  const prefix = prefixText === undefined ? 128 : Math.min(128, Number(prefixText));
  if (address.isIPv4MappedAddress()) {
    // ::ffff:10.0.0.1 is the IPv4 address 10.0.0.1.
    return ipv4Warning(ipv4ToInt(address.toIPv4Address().toString()) as number, Math.max(0, prefix - 96));
  }
  if (prefix < MIN_IPV6_PREFIX) return `network too broad to be an indicator (/${prefix})`;
  const resolver = PUBLIC_RESOLVERS[address.toRFC5952String()];
  if (resolver !== undefined && prefix === 128) return `public DNS resolver (${resolver})`;
  for (const { network, why } of PARSED_IPV6) {
    if (prefix >= network[1] && address.match(network)) return why;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Domains

/** How a listed domain applies to the values built on it. */
interface DomainRule {
  why: string;
  /** Subdomains are covered too (`mail.google.com`); false for services whose tenants own the subdomains. */
  subdomains: boolean;
  /** Every URL on the host is covered; false where a URL path is user content (a repository, a paste, a webhook id). */
  anyUrl: boolean;
  /** Addresses at the domain are covered; false for webmail, where anybody can own an address. */
  emails: boolean;
}

const RESERVED: Omit<DomainRule, 'why'> = { subdomains: true, anyUrl: true, emails: true };
const VENDOR: Omit<DomainRule, 'why'> = { subdomains: true, anyUrl: true, emails: true };
const PLATFORM: Omit<DomainRule, 'why'> = { subdomains: true, anyUrl: false, emails: true };
const SHARED_SERVICE: Omit<DomainRule, 'why'> = { subdomains: false, anyUrl: false, emails: true };
const WEBMAIL: Omit<DomainRule, 'why'> = { subdomains: true, anyUrl: true, emails: false };

/**
 * The reviewed list. Keys are registrable domains or reserved suffixes, lower case; each group
 * says why it is here. Keep it short: every entry hides real indicators on that domain.
 */
const DOMAIN_RULES: ReadonlyMap<string, DomainRule> = new Map<string, DomainRule>([
  // Reserved names (RFC 2606, RFC 6761, RFC 6762, RFC 8375): examples and local names, never on the internet.
  ['example.com', { ...RESERVED, why: 'reserved example domain (RFC 2606)' }],
  ['example.net', { ...RESERVED, why: 'reserved example domain (RFC 2606)' }],
  ['example.org', { ...RESERVED, why: 'reserved example domain (RFC 2606)' }],
  ['example', { ...RESERVED, why: 'reserved top-level domain .example (RFC 2606)' }],
  ['test', { ...RESERVED, why: 'reserved top-level domain .test (RFC 2606)' }],
  ['invalid', { ...RESERVED, why: 'reserved top-level domain .invalid (RFC 2606)' }],
  ['localhost', { ...RESERVED, why: 'reserved top-level domain .localhost (RFC 6761)' }],
  ['local', { ...RESERVED, why: 'multicast DNS .local name (RFC 6762)' }],
  ['home.arpa', { ...RESERVED, why: 'home network name .home.arpa (RFC 8375)' }],

  // Vendors, agencies and references that reports cite constantly: their sites, advisories and contacts.
  ['microsoft.com', { ...VENDOR, why: 'vendor domain (Microsoft)' }],
  ['msn.com', { ...VENDOR, why: 'vendor domain (Microsoft)' }],
  ['windows.com', { ...VENDOR, why: 'vendor domain (Microsoft)' }],
  ['windowsupdate.com', { ...VENDOR, why: 'vendor domain (Microsoft Windows Update)' }],
  ['office.com', { ...VENDOR, why: 'vendor domain (Microsoft)' }],
  ['bing.com', { ...VENDOR, why: 'vendor domain (Microsoft)' }],
  ['aka.ms', { ...VENDOR, why: 'vendor link shortener (Microsoft)' }],
  ['apple.com', { ...VENDOR, why: 'vendor domain (Apple)' }],
  ['mozilla.org', { ...VENDOR, why: 'vendor domain (Mozilla)' }],
  ['cloudflare.com', { ...VENDOR, why: 'vendor domain (Cloudflare)' }],
  ['cisa.gov', { ...VENDOR, why: 'agency domain (CISA)' }],
  ['us-cert.gov', { ...VENDOR, why: 'agency domain (CISA US-CERT)' }],
  ['nsa.gov', { ...VENDOR, why: 'agency domain (NSA)' }],
  ['fbi.gov', { ...VENDOR, why: 'agency domain (FBI)' }],
  ['ic3.gov', { ...VENDOR, why: 'agency domain (FBI IC3)' }],
  ['nist.gov', { ...VENDOR, why: 'agency domain (NIST, NVD)' }],
  ['defense.gov', { ...VENDOR, why: 'agency domain (US DoD)' }],
  ['ncsc.gov.uk', { ...VENDOR, why: 'agency domain (NCSC UK)' }],
  ['cyber.gov.au', { ...VENDOR, why: 'agency domain (ASD ACSC)' }],
  ['cyber.gc.ca', { ...VENDOR, why: 'agency domain (Canadian Centre for Cyber Security)' }],
  ['bsi.bund.de', { ...VENDOR, why: 'agency domain (BSI)' }],
  ['ssi.gouv.fr', { ...VENDOR, why: 'agency domain (ANSSI, CERT-FR)' }],
  ['enisa.europa.eu', { ...VENDOR, why: 'agency domain (ENISA)' }],
  ['mitre.org', { ...VENDOR, why: 'reference domain (MITRE ATT&CK, CVE)' }],
  ['cve.org', { ...VENDOR, why: 'reference domain (CVE program)' }],
  ['first.org', { ...VENDOR, why: 'reference domain (FIRST)' }],
  ['virustotal.com', { ...VENDOR, why: 'reference domain (VirusTotal)' }],
  ['abuse.ch', { ...VENDOR, why: 'reference domain (abuse.ch)' }],
  ['shodan.io', { ...VENDOR, why: 'reference domain (Shodan)' }],
  ['wikipedia.org', { ...VENDOR, why: 'reference domain (Wikipedia)' }],

  // News, research and detection sites that reports cite as sources: a link to them is a reference.
  ...publishers('news site', ['bleepingcomputer.com', 'thehackernews.com', 'securityweek.com', 'krebsonsecurity.com', 'therecord.media', 'darkreading.com', 'theregister.com', 'arstechnica.com', 'zdnet.com', 'wired.com', 'techcrunch.com', 'cyberscoop.com', 'securityaffairs.com', 'helpnetsecurity.com', 'reuters.com', 'apnews.com', 'nytimes.com', 'washingtonpost.com', 'bbc.co.uk', 'bbc.com', 'cnn.com', 'theguardian.com', 'bloomberg.com', 'wsj.com']),
  ...publishers('security vendor or research site', ['welivesecurity.com', 'eset.com', 'talosintelligence.com', 'cisco.com', 'paloaltonetworks.com', 'crowdstrike.com', 'mandiant.com', 'sentinelone.com', 'sophos.com', 'securelist.com', 'kaspersky.com', 'trendmicro.com', 'proofpoint.com', 'checkpoint.com', 'fortinet.com', 'fortiguard.com', 'recordedfuture.com', 'thedfirreport.com', 'huntress.com', 'rapid7.com', 'tenable.com', 'zscaler.com', 'volexity.com', 'malwarebytes.com', 'bitdefender.com', 'avast.com', 'symantec.com', 'broadcom.com', 'citizenlab.ca', 'any.run', 'hybrid-analysis.com', 'joesandbox.com', 'urlscan.io', 'detection.fyi', 'socprime.com', 'censys.io', 'greynoise.io', 'alienvault.com']),
  ...publishers('agency domain', ['stopransomware.gov', 'justice.gov', 'state.gov', 'treasury.gov', 'whitehouse.gov', 'dhs.gov', 'hhs.gov', 'europol.europa.eu', 'ftc.gov', 'sec.gov', 'ncsc.nl', 'cert.pl', 'jpcert.or.jp', 'cert.europa.eu', 'cert.ssi.gouv.fr']),
  // Social media's own link shorteners: links to posts, never to payloads.
  ...publishers('social media link shortener', ['t.co', 'lnkd.in', 'fb.me', 'youtu.be', 'instagr.am', 'redd.it']),
  // Mining pools: a miner's configuration names them; the pool is a public service, not the actor's.
  ...publishers('cryptocurrency mining pool', ['minexmr.com', 'supportxmr.com', 'nanopool.org', '2miners.com', 'f2pool.com', 'moneroocean.stream', 'hashvault.pro', 'c3pool.com', 'xmrpool.eu', 'nicehash.com', 'herominers.com', 'minergate.com', 'ethermine.org', 'viabtc.com', 'antpool.com', 'unmineable.com']),
  // Remote-access and file-transfer tools that actors install: the vendor's site is not theirs.
  ...publishers('legitimate tool vendor', ['anydesk.com', 'teamviewer.com', 'splashtop.com', 'screenconnect.com', 'connectwise.com', 'atera.com', 'rustdesk.com', 'simple-help.com', 'netsupportsoftware.com', 'realvnc.com', 'tightvnc.com', 'rclone.org', 'winscp.net', 'filezilla-project.org', 'putty.org', 'sysinternals.com', '7-zip.org', 'rarlab.com', 'advanced-ip-scanner.com', 'softperfect.com', 'nirsoft.net', 'python.org', 'nodejs.org', 'docker.com', 'openai.com']),

  // Platforms whose own pages are benign but whose URL paths are user content (repositories,
  // files, pastes): the domain is benign, a URL with a path is not covered.
  ['google.com', { ...PLATFORM, why: 'platform domain (Google)' }],
  ['github.com', { ...PLATFORM, why: 'platform domain (GitHub)' }],
  ['githubusercontent.com', { ...PLATFORM, why: 'platform domain (GitHub content)' }],
  ['gitlab.com', { ...PLATFORM, why: 'platform domain (GitLab)' }],
  ['dropbox.com', { ...PLATFORM, why: 'platform domain (Dropbox)' }],
  ['discord.com', { ...PLATFORM, why: 'platform domain (Discord)' }],
  ['pastebin.com', { ...PLATFORM, why: 'platform domain (Pastebin)' }],
  ['youtube.com', { ...PLATFORM, why: 'platform domain (YouTube)' }],
  ['twitter.com', { ...PLATFORM, why: 'platform domain (Twitter/X)' }],
  ['x.com', { ...PLATFORM, why: 'platform domain (Twitter/X)' }],
  ['linkedin.com', { ...PLATFORM, why: 'platform domain (LinkedIn)' }],
  ['facebook.com', { ...PLATFORM, why: 'platform domain (Facebook)' }],

  // Code hosting, file sharing and tunnelling services: the service is benign, a file or a tenant on it may not be.
  ['bitbucket.org', { ...PLATFORM, why: 'platform domain (Bitbucket)' }],
  ['sourceforge.net', { ...PLATFORM, why: 'platform domain (SourceForge)' }],
  ['mega.nz', { ...PLATFORM, why: 'file-sharing service (MEGA)' }],
  ['mega.io', { ...PLATFORM, why: 'file-sharing service (MEGA)' }],
  ['mediafire.com', { ...PLATFORM, why: 'file-sharing service (MediaFire)' }],
  ['wetransfer.com', { ...PLATFORM, why: 'file-sharing service (WeTransfer)' }],
  ['sendspace.com', { ...PLATFORM, why: 'file-sharing service (Sendspace)' }],
  ['dropmefiles.com', { ...PLATFORM, why: 'file-sharing service (DropMeFiles)' }],
  ['gofile.io', { ...PLATFORM, why: 'file-sharing service (Gofile)' }],
  ['file.io', { ...PLATFORM, why: 'file-sharing service (file.io)' }],
  ['transfer.sh', { ...PLATFORM, why: 'file-sharing service (transfer.sh)' }],
  ['temp.sh', { ...PLATFORM, why: 'file-sharing service (temp.sh)' }],
  ['filebin.net', { ...PLATFORM, why: 'file-sharing service (Filebin)' }],
  ['catbox.moe', { ...PLATFORM, why: 'file-sharing service (Catbox)' }],
  ['anonfiles.com', { ...PLATFORM, why: 'file-sharing service (AnonFiles)' }],
  ['drive.google.com', { ...PLATFORM, why: 'file-sharing service (Google Drive)' }],
  ['onedrive.live.com', { ...PLATFORM, why: 'file-sharing service (OneDrive)' }],
  ['1drv.ms', { ...PLATFORM, why: 'file-sharing service (OneDrive)' }],
  ['box.com', { ...PLATFORM, why: 'file-sharing service (Box)' }],
  ['telegram.org', { ...PLATFORM, why: 'messaging platform (Telegram)' }],
  ['t.me', { ...PLATFORM, why: 'messaging platform (Telegram)' }],
  ['slack.com', { ...PLATFORM, why: 'messaging platform (Slack)' }],
  ['notion.so', { ...PLATFORM, why: 'platform domain (Notion)' }],
  ['paste.ee', { ...PLATFORM, why: 'paste service (Paste.ee)' }],
  ['npmjs.com', { ...PLATFORM, why: 'package registry (npm)' }],
  ['pypi.org', { ...PLATFORM, why: 'package registry (PyPI)' }],
  ['crates.io', { ...PLATFORM, why: 'package registry (crates.io)' }],
  ['rubygems.org', { ...PLATFORM, why: 'package registry (RubyGems)' }],
  ['nuget.org', { ...PLATFORM, why: 'package registry (NuGet)' }],
  ['packagist.org', { ...PLATFORM, why: 'package registry (Packagist)' }],
  ['anotepad.com', { ...PLATFORM, why: 'paste service (aNotepad)' }],
  ['rentry.co', { ...PLATFORM, why: 'paste service (Rentry)' }],
  ['controlc.com', { ...PLATFORM, why: 'paste service (ControlC)' }],
  ['justpaste.it', { ...PLATFORM, why: 'paste service (JustPaste.it)' }],
  ['hastebin.com', { ...PLATFORM, why: 'paste service (Hastebin)' }],
  ['dpaste.org', { ...PLATFORM, why: 'paste service (dpaste)' }],
  ['localtonet.com', { ...SHARED_SERVICE, why: 'tunnelling service (Localtonet); tenant subdomains are not covered' }],
  ['serveo.net', { ...SHARED_SERVICE, why: 'tunnelling service (Serveo); tenant subdomains are not covered' }],
  ['loca.lt', { ...SHARED_SERVICE, why: 'tunnelling service (localtunnel); tenant subdomains are not covered' }],
  ['localhost.run', { ...SHARED_SERVICE, why: 'tunnelling service (localhost.run); tenant subdomains are not covered' }],
  ['portmap.io', { ...SHARED_SERVICE, why: 'tunnelling service (Portmap.io); tenant subdomains are not covered' }],
  ['ngrok.com', { ...VENDOR, why: 'tunnelling service vendor (ngrok)' }],

  // Shared services named in reports as "abused": the service's own domain is not an indicator,
  // but each tenant's subdomain or URL path is, so only the bare domain is covered.
  ['webhook.site', { ...SHARED_SERVICE, why: 'shared service domain (Webhook.site); tenant URLs are not covered' }],
  ['pipedream.net', { ...SHARED_SERVICE, why: 'shared service domain (Pipedream); tenant subdomains are not covered' }],
  ['mockbin.org', { ...SHARED_SERVICE, why: 'shared service domain (Mockbin); tenant URLs are not covered' }],
  ['mocky.io', { ...SHARED_SERVICE, why: 'shared service domain (Mocky); tenant URLs are not covered' }],
  ['ngrok.io', { ...SHARED_SERVICE, why: 'shared service domain (ngrok); tenant subdomains are not covered' }],
  ['ngrok-free.app', { ...SHARED_SERVICE, why: 'shared service domain (ngrok); tenant subdomains are not covered' }],
  ['trycloudflare.com', { ...SHARED_SERVICE, why: 'shared service domain (Cloudflare Tunnel); tenant subdomains are not covered' }],
  ['duckdns.org', { ...SHARED_SERVICE, why: 'dynamic DNS provider domain (Duck DNS); tenant subdomains are not covered' }],
  ['github.io', { ...SHARED_SERVICE, why: 'shared hosting domain (GitHub Pages); tenant subdomains are not covered' }],
  ['pages.dev', { ...SHARED_SERVICE, why: 'shared hosting domain (Cloudflare Pages); tenant subdomains are not covered' }],
  ['workers.dev', { ...SHARED_SERVICE, why: 'shared hosting domain (Cloudflare Workers); tenant subdomains are not covered' }],
  ['blogspot.com', { ...SHARED_SERVICE, why: 'shared hosting domain (Blogger); tenant subdomains are not covered' }],
  ['amazonaws.com', { ...SHARED_SERVICE, why: 'cloud provider domain (AWS); tenant subdomains are not covered' }],

  // Webmail providers: reports list them as "commonly used"; the provider is benign, an address
  // at it is not (anybody can open one), so e-mails are not covered.
  ['gmail.com', { ...WEBMAIL, why: 'webmail provider (Gmail)' }],
  ['googlemail.com', { ...WEBMAIL, why: 'webmail provider (Gmail)' }],
  ['outlook.com', { ...WEBMAIL, why: 'webmail provider (Outlook.com)' }],
  ['hotmail.com', { ...WEBMAIL, why: 'webmail provider (Outlook.com)' }],
  ['live.com', { ...WEBMAIL, why: 'webmail provider (Outlook.com)' }],
  ['yahoo.com', { ...WEBMAIL, why: 'webmail provider (Yahoo)' }],
  ['aol.com', { ...WEBMAIL, why: 'webmail provider (AOL)' }],
  ['icloud.com', { ...WEBMAIL, why: 'webmail provider (Apple iCloud)' }],
  ['proton.me', { ...WEBMAIL, why: 'webmail provider (Proton Mail)' }],
  ['protonmail.com', { ...WEBMAIL, why: 'webmail provider (Proton Mail)' }],
  ['gmx.com', { ...WEBMAIL, why: 'webmail provider (GMX)' }],
  ['gmx.de', { ...WEBMAIL, why: 'webmail provider (GMX)' }],
  ['web.de', { ...WEBMAIL, why: 'webmail provider (WEB.DE)' }],
  ['mail.ru', { ...WEBMAIL, why: 'webmail provider (Mail.ru)' }],
  ['yandex.ru', { ...WEBMAIL, why: 'webmail provider (Yandex)' }],
  ['yandex.com', { ...WEBMAIL, why: 'webmail provider (Yandex)' }],
  ['seznam.cz', { ...WEBMAIL, why: 'webmail provider (Seznam)' }],
  ['email.cz', { ...WEBMAIL, why: 'webmail provider (Seznam Email.cz)' }],
  ['qq.com', { ...WEBMAIL, why: 'webmail provider (QQ Mail)' }],
  ['163.com', { ...WEBMAIL, why: 'webmail provider (NetEase)' }],
  ['zoho.com', { ...WEBMAIL, why: 'webmail provider (Zoho Mail)' }],
]);

/** Entries of one group: each domain with its subdomains, every URL on it and its addresses. */
function publishers(why: string, domains: readonly string[]): [string, DomainRule][] {
  return domains.map((domain) => [domain, { ...VENDOR, why: `${why} (${domain})` }]);
}

type HostUse = 'domain' | 'url-root' | 'url-path' | 'email';

function ruleApplies(rule: DomainRule, exact: boolean, use: HostUse): boolean {
  if (!exact && !rule.subdomains) return false;
  if (use === 'email') return rule.emails;
  if (use === 'url-path') return rule.anyUrl;
  return true;
}

/** Walks `a.b.example.com` → `b.example.com` → `example.com` → `com`: one lookup per label. */
function hostWarning(host: string, use: HostUse): string | undefined {
  let suffix = host.endsWith('.') ? host.slice(0, -1) : host;
  let exact = true;
  for (;;) {
    const rule = DOMAIN_RULES.get(suffix);
    if (rule !== undefined && ruleApplies(rule, exact, use)) return rule.why;
    const dot = suffix.indexOf('.');
    if (dot === -1) return undefined;
    suffix = suffix.slice(dot + 1);
    exact = false;
  }
}

/** A URL host: an IP literal goes to the IP lists, a name to the domain list. */
function urlWarning(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = parsed.hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) return networkWarning(host.slice(1, -1));
  if (ipv4ToInt(host) !== undefined) return networkWarning(host);
  const bareRoot = (parsed.pathname === '/' || parsed.pathname === '') && parsed.search === '';
  return hostWarning(host, bareRoot ? 'url-root' : 'url-path');
}

// ---------------------------------------------------------------------------------------------
// Hashes

/**
 * Hashes of files every system has: the empty file (a failed download or a zero-byte sample)
 * and the EICAR anti-virus test file. All-zero hashes are placeholders in templates.
 */
const BENIGN_HASHES: Readonly<Record<string, string>> = {
  d41d8cd98f00b204e9800998ecf8427e: 'MD5 of the empty file',
  da39a3ee5e6b4b0d3255bfef95601890afd80709: 'SHA-1 of the empty file',
  e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855: 'SHA-256 of the empty file',
  cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e:
    'SHA-512 of the empty file',
  '44d88612fea8a8f36de82e1278abb02f': 'MD5 of the EICAR anti-virus test file',
  '3395856ce81f2b7382dee72602f798b642f14140': 'SHA-1 of the EICAR anti-virus test file',
  '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f': 'SHA-256 of the EICAR anti-virus test file',
};

const ALL_ZEROS = /^0+$/;

function hashWarning(hash: string): string | undefined {
  const known = BENIGN_HASHES[hash];
  if (known !== undefined) return known;
  return ALL_ZEROS.test(hash) ? 'all-zero hash (a placeholder)' : undefined;
}

// ---------------------------------------------------------------------------------------------

/**
 * Why a normalized value is benign or reserved (a short phrase for `suppressed_reason`), or
 * undefined. URLs and e-mail addresses are judged by their host. CVE and ATT&CK ids are never listed.
 */
export function warningFor(type: IocType, normalized: string): string | undefined {
  const value = normalized.trim().toLowerCase();
  switch (type) {
    case 'ipv4':
      return networkWarning(value);
    case 'ipv6':
      return networkWarning(value);
    case 'domain':
      return hostWarning(value, 'domain');
    case 'url':
      return urlWarning(value);
    case 'email': {
      const at = value.lastIndexOf('@');
      return at === -1 ? undefined : hostWarning(value.slice(at + 1), 'email');
    }
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
      return hashWarning(value);
    case 'cve':
    case 'mitre_attack':
      return undefined;
  }
}
