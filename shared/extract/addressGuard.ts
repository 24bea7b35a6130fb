/**
 * Which addresses extraction requests may connect to. The deployment's policy refuses
 * link-local and cloud-metadata addresses (so a config cannot read the task's
 * credentials) and leaves loopback and private ranges reachable (upstreams on the same
 * host or network are legitimate). Addresses are parsed, not pattern-matched: every
 * IPv6 form that carries an IPv4 address (mapped, translated, compatible, NAT64, 6to4,
 * Teredo) is judged by that IPv4 address, so `[::ffff:169.254.169.254]` is exactly as
 * refused as `169.254.169.254`, and `[::ffff:127.0.0.1]` exactly as allowed as `127.0.0.1`.
 */
import dns from 'node:dns';
import net from 'node:net';
import { PermanentFailure } from '../core/errors';

/** CIDR ranges refused by default, IPv4. */
export const DEFAULT_BLOCKED_IPV4: readonly string[] = [
  '0.0.0.0/8', // "this network": 0.0.0.0 reaches the local host
  '169.254.0.0/16', // link-local: EC2/ECS/GCP/Azure/OCI metadata and credentials endpoints
  '100.100.100.200/32', // Alibaba Cloud metadata
  '168.63.129.16/32', // Azure wire server
];

/** CIDR ranges refused by default, IPv6 (IPv4 embedded in IPv6 is judged by the IPv4 list). */
export const DEFAULT_BLOCKED_IPV6: readonly string[] = [
  '::/128', // unspecified: reaches the local host
  'fe80::/10', // link-local
  'fd00:ec2::254/128', // AWS IPv6 metadata (Nitro)
];

export class BlockedAddressError extends PermanentFailure {
  readonly code = 'EBLOCKEDADDRESS';
  constructor(address: string) {
    super(`requests to link-local and metadata addresses are refused (${address})`);
    this.name = 'BlockedAddressError';
  }
}

export class AddressPolicy {
  private readonly v4 = new net.BlockList();
  private readonly v6 = new net.BlockList();

  constructor(blockedV4: readonly string[], blockedV6: readonly string[]) {
    for (const range of blockedV4) addRange(this.v4, range, 'ipv4');
    for (const range of blockedV6) addRange(this.v6, range, 'ipv6');
  }

  /** True for a refused IP address in any spelling (brackets, zone, mapped…); false for a name. */
  isBlocked(address: string): boolean {
    const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
    if (net.isIPv4(ip)) return this.v4.check(ip, 'ipv4');
    if (!net.isIPv6(ip)) return false;
    const bytes = ipv6Bytes(ip);
    if (this.v6.check(ip, 'ipv6')) return true;
    return embeddedIPv4(bytes).some((v4) => this.v4.check(v4, 'ipv4'));
  }
}

function addRange(list: net.BlockList, range: string, type: 'ipv4' | 'ipv6'): void {
  const [address = '', prefix, extra] = range.split('/');
  const bits = Number(prefix);
  const max = type === 'ipv4' ? 32 : 128;
  const valid =
    extra === undefined &&
    net.isIP(address) === (type === 'ipv4' ? 4 : 6) &&
    /^\d+$/.test(prefix ?? '') &&
    bits <= max;
  if (!valid) throw new Error(`invalid ${type} range "${range}": expected address/prefix (0-${max})`);
  list.addSubnet(address, bits, type);
}

/** The 16 bytes of a valid IPv6 address (a dotted IPv4 tail included). */
function ipv6Bytes(ip: string): number[] {
  let text = ip.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

const v4At = (b: number[], i: number, mask = 0): string =>
  [b[i]! ^ mask, b[i + 1]! ^ mask, b[i + 2]! ^ mask, b[i + 3]! ^ mask].join('.');

const zero = (b: number[], from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);

/** The IPv4 addresses an IPv6 address carries, in every standard embedding. */
function embeddedIPv4(b: number[]): string[] {
  const found: string[] = [];
  const word = (i: number): number => (b[i]! << 8) | b[i + 1]!;
  // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (SIIT translated).
  if (zero(b, 0, 10) && word(10) === 0xffff) found.push(v4At(b, 12));
  if (zero(b, 0, 8) && word(8) === 0xffff && word(10) === 0) found.push(v4At(b, 12));
  // ::a.b.c.d (compatible, deprecated); :: and ::1 are IPv6's own unspecified and loopback.
  if (zero(b, 0, 12) && !(zero(b, 12, 15) && b[15]! <= 1)) found.push(v4At(b, 12));
  // 64:ff9b::/96 (NAT64 well-known) and 64:ff9b:1::/48 (NAT64 local use, /96 layout).
  if (word(0) === 0x64 && word(2) === 0xff9b && (zero(b, 4, 12) || word(4) === 1)) found.push(v4At(b, 12));
  // 2002:V4::/48 (6to4).
  if (word(0) === 0x2002) found.push(v4At(b, 2));
  // 2001:0:SERVER:flags:port:~CLIENT (Teredo): both ends.
  if (word(0) === 0x2001 && word(2) === 0) found.push(v4At(b, 4), v4At(b, 12, 0xff));
  return found;
}

export const DEFAULT_ADDRESS_POLICY = new AddressPolicy(DEFAULT_BLOCKED_IPV4, DEFAULT_BLOCKED_IPV6);

/** The default policy's verdict on one address. */
export function isBlockedAddress(address: string): boolean {
  return DEFAULT_ADDRESS_POLICY.isBlocked(address);
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * A `dns.lookup` for the socket: every answer is checked, and the socket connects only to
 * the answers checked here (no second resolution, so no DNS-rebinding window).
 */
export function guardedLookup(policy: AddressPolicy) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, options, (err, address, family) => {
      if (err) return callback(err, '', 0);
      const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
      const blocked = addresses.find((a) => policy.isBlocked(a));
      if (blocked) return callback(new BlockedAddressError(`${hostname} -> ${blocked}`), '', 0);
      callback(null, address, family);
    });
  };
}
