/**
 * The address guard: every spelling of a refused address is refused, on the address the
 * socket would connect to (IP literals and DNS answers alike), and mapped or embedded IPv4
 * spellings behave exactly like their plain IPv4 form.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AddressPolicy,
  BlockedAddressError,
  DEFAULT_BLOCKED_IPV4,
  DEFAULT_BLOCKED_IPV6,
  HttpTransport,
  isBlockedAddress,
} from '../../shared/extract/http';

describe('isBlockedAddress (the default policy)', () => {
  test.each([
    ['IPv4 metadata', '169.254.169.254'],
    ['ECS credentials', '169.254.170.2'],
    ['IPv4 link-local, low end', '169.254.0.0'],
    ['IPv4 link-local, high end', '169.254.255.255'],
    ['this network', '0.0.0.0'],
    ['this network, any host', '0.1.2.3'],
    ['Alibaba Cloud metadata', '100.100.100.200'],
    ['Azure wire server', '168.63.129.16'],
    ['IPv4-mapped, dotted', '::ffff:169.254.169.254'],
    ['IPv4-mapped, hex (new URL form)', '::ffff:a9fe:a9fe'],
    ['IPv4-mapped, bracketed', '[::ffff:a9fe:a9fe]'],
    ['IPv4-mapped, fully written', '0:0:0:0:0:ffff:a9fe:a9fe'],
    ['IPv4-mapped, upper case', '::FFFF:A9FE:A9FE'],
    ['IPv4-mapped this network', '::ffff:0.0.0.0'],
    ['IPv4-translated (SIIT)', '::ffff:0:a9fe:a9fe'],
    ['IPv4-compatible', '::a9fe:a9fe'],
    ['IPv4-compatible, dotted', '::169.254.169.254'],
    ['NAT64 well-known prefix', '64:ff9b::a9fe:a9fe'],
    ['NAT64, dotted', '64:ff9b::169.254.169.254'],
    ['NAT64 local-use prefix', '64:ff9b:1::a9fe:a9fe'],
    ['6to4', '2002:a9fe:a9fe::1'],
    ['Teredo client', '2001:0:4136:e378:8000:63bf:5601:5601'],
    ['IPv6 link-local', 'fe80::1'],
    ['IPv6 link-local with a zone', 'fe80::1%eth0'],
    ['IPv6 link-local, top of fe80::/10', 'febf:ffff::1'],
    ['IPv6 unspecified', '::'],
    ['AWS IPv6 metadata', 'fd00:ec2::254'],
    ['AWS IPv6 metadata, fully written', 'fd00:0ec2:0000:0000:0000:0000:0000:0254'],
  ])('%s (%s) is refused', (_name, address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  test.each([
    ['IPv4 loopback', '127.0.0.1'],
    ['IPv6 loopback', '::1'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv4-mapped loopback, hex', '::ffff:7f00:1'],
    ['private IPv4', '10.0.0.1'],
    ['private IPv4', '192.168.1.20'],
    ['unique-local IPv6', 'fd00::1'],
    ['public IPv4', '8.8.8.8'],
    ['public IPv6', '2001:db8::1'],
    ['next to link-local', '169.253.255.255'],
    ['next to link-local', '169.255.0.0'],
    ['next to fe80::/10', 'fec0::1'],
    ['6to4 of a public address', '2002:808:808::1'],
    ['not an address (a name)', 'example.com'],
  ])('%s (%s) is allowed', (_name, address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });
});

describe('HttpTransport refuses before connecting', () => {
  const transport = new HttpTransport({ connectTimeoutMs: 500 });
  afterAll(() => transport.close());

  test.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://0xa9fea9fe/',
    'http://2852039166/',
    'http://0251.0376.0251.0376/',
    'http://169.254.43518/',
    'http://[::ffff:169.254.169.254]/',
    'http://[0:0:0:0:0:ffff:a9fe:a9fe]/',
    'http://[::ffff:0:a9fe:a9fe]/',
    'http://[::a9fe:a9fe]/',
    'http://[64:ff9b::169.254.169.254]/',
    'http://[2002:a9fe:a9fe::]/',
    'http://[fe80::1]/',
    'http://[fd00:ec2::254]/',
    'http://0/',
    'http://0.0.0.0/',
    'http://[::]/',
    'https://[::ffff:169.254.169.254]/',
  ])('%s', async (url) => {
    await expect(transport.send({ method: 'GET', url, headers: {} }, { idleTimeoutMs: 500 })).rejects.toThrow(
      BlockedAddressError,
    );
  });
});

describe('the guard applies to the address the socket connects to', () => {
  let server: http.Server;
  let port: number;
  let connections: number;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('[]'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  beforeEach(() => {
    connections = 0;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  // `connection` fires for every accepted socket, before any request is read.
  beforeAll(() => server.on('connection', () => connections++));

  test('loopback is reachable by default, and its IPv4-mapped spelling behaves exactly the same', async () => {
    const transport = new HttpTransport({ connectTimeoutMs: 2000 });
    try {
      for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '2130706433', '0x7f.1']) {
        const res = await transport.send(
          { method: 'GET', url: `http://${host}:${port}/`, headers: {} },
          { idleTimeoutMs: 2000 },
        );
        expect(res.status).toBe(200);
      }
    } finally {
      await transport.close();
    }
    expect(connections).toBeGreaterThan(0);
  });

  test('a policy that refuses loopback refuses every spelling of it, DNS answers included, without connecting', async () => {
    const policy = new AddressPolicy(
      [...DEFAULT_BLOCKED_IPV4, '127.0.0.0/8'],
      [...DEFAULT_BLOCKED_IPV6, '::1/128'],
    );
    const transport = new HttpTransport({ connectTimeoutMs: 2000, addressPolicy: policy });
    try {
      for (const host of [
        '127.0.0.1',
        '[::ffff:127.0.0.1]',
        '[0:0:0:0:0:ffff:7f00:1]',
        '[::ffff:7f00:1]',
        '[::7f00:1]',
        '[64:ff9b::127.0.0.1]',
        '2130706433',
        '0x7f.1',
        '017700000001',
        'localhost',
      ]) {
        await expect(
          transport.send(
            { method: 'GET', url: `http://${host}:${port}/`, headers: {} },
            { idleTimeoutMs: 2000 },
          ),
        ).rejects.toThrow(BlockedAddressError);
      }
    } finally {
      await transport.close();
    }
    expect(connections).toBe(0);
  });

  test('ALLOW_LINK_LOCAL_REQUESTS lifts the refusal', async () => {
    const policy = new AddressPolicy(['127.0.0.0/8'], []);
    const transport = new HttpTransport({
      connectTimeoutMs: 2000,
      addressPolicy: policy,
      allowLinkLocal: true,
    });
    try {
      const res = await transport.send(
        { method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {} },
        { idleTimeoutMs: 2000 },
      );
      expect(res.status).toBe(200);
    } finally {
      await transport.close();
    }
  });
});

describe('AddressPolicy', () => {
  test('a malformed range is refused with the range named', () => {
    expect(() => new AddressPolicy(['169.254.0.0/33'], [])).toThrow('169.254.0.0/33');
    expect(() => new AddressPolicy([], ['nope'])).toThrow('nope');
  });
});
